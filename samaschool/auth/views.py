from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from samaschool.auth import services
from samaschool.auth.forms import (
    ChangePasswordForm,
    LoginForm,
    ProfileForm,
    ResetLinkForm,
    ResetPasswordForm,
    ResetRequestForm,
    SignUpForm,
)
from samaschool.errors import DomainError
from samaschool.extensions import db, limiter
from samaschool.mail import send_email
from samaschool.permissions import Role, role_required
from samaschool.web import public_url, safe_next_url

bp = Blueprint("auth", __name__, url_prefix="/account")


def _email_key() -> str:
    return "login-email:" + services.normalise_email(request.form.get("email", ""))


def _email_and_address_key() -> str:
    return f"{_email_key()}|{request.remote_addr}"


def _failed(response) -> bool:
    return response.status_code != 302


def _log_in(user) -> None:
    """A fresh session for a fresh login: nothing from before the login carries over."""
    session.clear()
    services.start_session(user, request.headers.get("User-Agent", ""))
    login_user(user)
    session.permanent = True


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("learning.dashboard"))
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            user = services.sign_up(
                services.SignUp(
                    name=form.name.data,
                    email=form.email.data,
                    password=form.password.data,
                    country=form.country.data,
                    preferred_language=form.preferred_language.data,
                    gender=form.gender.data,
                    birth_year=form.birth_year.data,
                )
            )
        except services.EmailTaken as error:
            form.email.errors.append(str(error))
        except services.WeakPassword as error:
            form.password.errors.append(str(error))
        else:
            _log_in(user)
            db.session.commit()
            flash(_("Welcome, %(name)s! Pick a course to start.", name=user.name), "success")
            return redirect(url_for("catalog.index"))
    return render_template("auth/signup.html", form=form), 422 if form.errors else 200


# Learners often share one address (a cybercafé, a mobile network's NAT), so the per-address
# limit is generous. Guessing is stopped per account and address; a looser per-account limit
# stops guessing from many addresses without letting a stranger lock the owner out.
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("60 per minute", methods=["POST"])
@limiter.limit("5 per minute;20 per hour", methods=["POST"], key_func=_email_and_address_key, deduct_when=_failed)
@limiter.limit("100 per hour", methods=["POST"], key_func=_email_key, deduct_when=_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("learning.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except services.InvalidCredentials as error:
            form.password.errors.append(str(error))
        else:
            _log_in(user)
            db.session.commit()
            return redirect(safe_next_url(request.args.get("next")) or url_for("learning.dashboard"))
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        services.end_session(current_user.get_id())
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("main.home"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user,
                form.current_password.data,
                form.new_password.data,
                keep_login_id=current_user.get_id(),
            )
        except services.InvalidCredentials as error:
            form.current_password.errors.append(str(error))
        except services.WeakPassword as error:
            form.new_password.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Your password is changed. You were logged out everywhere else."), "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/change_password.html", form=form), 422 if form.errors else 200


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        form.populate_obj(current_user)
        current_user.gender = form.gender.data or None
        current_user.certificate_name = form.certificate_name.data or None
        current_user.payout_account = form.payout_account.data or None
        db.session.commit()
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", form=form), 422 if form.errors else 200


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        user = services.find_user_by_email(form.email.data)
        if user is not None and user.is_active:
            token = services.create_reset_token(user)
            db.session.commit()
            link = public_url("auth.reset_password", token=token)
            send_email(
                user.email,
                _("Reset your Samaschool password"),
                _(
                    "Hello %(name)s,\n\nOpen this link within one hour to choose a new password:\n%(link)s\n\n"
                    "If you did not ask for this, ignore this email; your password stays the same.",
                    name=user.name,
                    link=link,
                ),
            )
        # The same answer whether or not the address is registered.
        flash(_("If that email has an account, a reset link is on its way. It works once, for one hour."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form), 422 if form.errors else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    if services.find_valid_reset_token(token) is None:
        return render_template("auth/reset_invalid.html"), 410
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.reset_password(token, form.password.data)
        except services.WeakPassword as error:
            form.password.errors.append(str(error))
        except services.InvalidToken:
            return render_template("auth/reset_invalid.html"), 410
        else:
            db.session.commit()
            logout_user()
            session.clear()
            flash(_("Your password is set, %(name)s. Log in with it now.", name=user.name), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form), 422 if form.errors else 200


@bp.route("/reset-links/new", methods=["GET", "POST"])
@role_required(Role.TRAINER, Role.ADMIN)
def make_reset_link():
    """For learners with no working email: a trainer makes the link and hands it over."""
    form = ResetLinkForm(email=request.args.get("email", ""))
    link = None
    if form.validate_on_submit():
        target = services.find_user_by_email(form.email.data)
        if target is None:
            form.email.errors.append(_("No account has this email."))
        else:
            try:
                token = services.create_reset_link_for(current_user, target)
            except DomainError as error:
                form.email.errors.append(str(error))
            else:
                db.session.commit()
                link = public_url("auth.reset_password", token=token)
                current_app.logger.info("reset link made by user %s for user %s", current_user.id, target.id)
    response = render_template("auth/make_reset_link.html", form=form, link=link)
    if link is None and form.errors:
        return response, 422
    return response, 200, {"Cache-Control": "no-store"}
