from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import refresh as refresh_locale
from flask_login import current_user, login_required, login_user, logout_user

from samaschool import outage
from samaschool.auth import devices, payout_accounts, services
from samaschool.auth.forms import (
    ChangePasswordForm,
    EndOtherSessionsForm,
    LoginForm,
    PayoutAccountForm,
    ProfileForm,
    ResetLinkForm,
    ResetPasswordForm,
    ResetRequestForm,
    SignUpForm,
)
from samaschool.bookkeeping import bookkeeping
from samaschool.errors import DomainError
from samaschool.extensions import db, limiter
from samaschool.forms import ActionForm
from samaschool.permissions import Role, role_required
from samaschool.web import public_url, safe_next_url

bp = Blueprint("auth", __name__, url_prefix="/account")


def _email_key() -> str:
    return "login-email:" + services.normalise_email(request.form.get("email", ""))


def _email_and_address_key() -> str:
    return f"{_email_key()}|{request.remote_addr}"


def _failed(response) -> bool:
    return response.status_code != 302


def _login_device() -> str | None:
    """This browser's id for the account being logged in to, when its device cookie shows that it
    has logged in to that account before (samaschool/auth/devices.py)."""
    if "login_device" not in g:
        user = services.find_user_by_email(request.form.get("email", "")[:254]) if request.method == "POST" else None
        g.login_device = devices.trusted(request.cookies.get(devices.COOKIE), user) if user else None
    return g.login_device


def _from_known_device() -> bool:
    return _login_device() is not None


def _from_new_device() -> bool:
    return _login_device() is None


def _device_key() -> str:
    return f"login-device:{_login_device()}"


def _account_paused(_limit):
    """The per-account limit's answer: the login form, saying how the owner still gets in."""
    return make_response(render_template("auth/login.html", form=LoginForm(), paused=True), 429)


def _remember_device(response, user):
    """Mark this browser as one that has logged in to `user`'s account (samaschool/auth/devices.py)."""
    response.set_cookie(
        devices.COOKIE,
        devices.remember(request.cookies.get(devices.COOKIE), user),
        max_age=devices.LIFETIME,
        path=f"{request.script_root}{bp.url_prefix}/",
        secure=current_app.session_interface.get_cookie_secure(current_app),
        httponly=True,
        samesite="Strict",
    )
    return response


def _log_in(user) -> None:
    """A fresh session for a fresh login: nothing from before the login carries over."""
    session.clear()
    services.start_session(user, request.headers.get("User-Agent", ""), request.remote_addr or "")
    login_user(user)
    session.permanent = True
    refresh_locale()  # from here on the request speaks the user's language (the welcome message)


@bp.after_app_request
def _note_visit(response):
    """A signed-in page view keeps its session from going idle. "Last seen" is the one write a GET
    may make: bookkeeping, at most every few minutes per session, never for static files."""
    if request.method != "GET" or request.endpoint in (None, "static") or response.status_code >= 500:
        return response
    user = g.get("_login_user")  # only a user the request loaded already (Flask-Login keeps it here)
    if outage.database_unavailable() or user is None or not user.is_authenticated:
        return response
    user_session = user._session
    if user_session is not None and services.visit_due(user_session):
        with bookkeeping():
            services.note_visit(user_session, request.remote_addr or "")
    return response


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
            return _remember_device(redirect(url_for("catalog.index")), user)
    return render_template("auth/signup.html", form=form), 422 if form.errors else 200


# Learners often share one address (a cybercafé, a mobile network's NAT), so the per-address
# limit is generous. Failed logins from a browser that has never logged in to the account are
# limited per account and address, and per account: a stranger guessing from many addresses
# pauses the account on new devices only. A browser whose device cookie shows it has logged in
# to the account before skips those and has its own limit, so the owner's phone always gets in
# and guessing stays bounded there too (samaschool/auth/devices.py).
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("60 per minute", methods=["POST"])
@limiter.limit(
    "5 per minute;20 per hour",
    methods=["POST"],
    key_func=_email_and_address_key,
    deduct_when=_failed,
    exempt_when=_from_known_device,
)
@limiter.limit(
    "100 per hour",
    methods=["POST"],
    key_func=_email_key,
    deduct_when=_failed,
    exempt_when=_from_known_device,
    on_breach=_account_paused,
)
@limiter.limit(
    "5 per minute;20 per hour",
    methods=["POST"],
    key_func=_device_key,
    deduct_when=_failed,
    exempt_when=_from_new_device,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("learning.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, address=request.remote_addr or "")
        except services.InvalidCredentials as error:
            db.session.commit()  # the failure's audit entry
            form.password.errors.append(str(error))
        else:
            # Someone else made a reset link since her last login: her dashboard says who and when.
            told = services.reset_links_made_for(user, since=user.last_login_at)
            _log_in(user)
            db.session.commit()
            next_page = safe_next_url(request.args.get("next")) or url_for("learning.dashboard")
            if told:
                next_page = url_for("learning.dashboard")
            return _remember_device(redirect(next_page), user)
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
                current_user._get_current_object(),
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
            return _remember_device(redirect(url_for("auth.profile")), current_user)
    return render_template("auth/change_password.html", form=form), 422 if form.errors else 200


@bp.route("/sessions", methods=["GET", "POST"])
@login_required
def sessions():
    """Where the user is logged in (device, last seen, address), and a button that logs out
    everywhere else."""
    form = EndOtherSessionsForm()
    if form.validate_on_submit():
        ended = services.end_other_sessions(current_user._get_current_object(), keep_login_id=current_user.get_id())
        db.session.commit()
        if ended:
            flash(
                ngettext(
                    "You are logged out on %(num)d other phone or computer.",
                    "You are logged out on %(num)d other phones and computers.",
                    ended,
                ),
                "success",
            )
        else:
            flash(_("You are not logged in anywhere else."), "info")
        return redirect(url_for("auth.sessions"))
    here = current_user.get_id()
    items = [
        {"session": row, "device": devices.device_name(row.user_agent), "current": services.is_session_of(row, here)}
        for row in services.live_sessions(current_user)
    ]
    items.sort(key=lambda item: not item["current"])  # this one first, then the most recently used
    return render_template("auth/sessions.html", form=form, sessions=items)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        form.populate_obj(current_user)
        current_user.gender = form.gender.data or None
        current_user.certificate_name = form.certificate_name.data or None
        db.session.commit()
        refresh_locale()  # say it in the language just chosen
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("auth.profile"))
    payout_form = PayoutAccountForm(prefix="payout", formdata=None, payout_account=current_user.payout_account)
    return _profile_page(form, payout_form)


def _profile_page(form: ProfileForm, payout_form: PayoutAccountForm):
    page = render_template(
        "auth/profile.html",
        form=form,
        payout_form=payout_form,
        held=payout_accounts.held_change(current_user),
        mask=payout_accounts.mask,
    )
    return page, 422 if form.errors or payout_form.errors else 200


def _payout_key() -> str:
    return f"payout-account:{getattr(current_user, 'id', None) or request.remote_addr}"


@bp.post("/payout-account")
@limiter.limit("10 per hour", key_func=_payout_key, deduct_when=_failed)
@login_required
def payout_account():
    """Change where earnings go: with the current password, audited, emailed, perhaps held."""
    form = PayoutAccountForm(prefix="payout")
    if form.validate_on_submit():
        try:
            change = payout_accounts.change_payout_account(
                current_user._get_current_object(), form.current_password.data, form.payout_account.data
            )
        except services.InvalidCredentials as error:
            form.current_password.errors.append(str(error))
        else:
            db.session.commit()
            if change is None:
                flash(_("Your payout account is unchanged."), "info")
            elif change.state == "held":
                flash(
                    _(
                        "Your password was reset through a link someone else made, less than 72 hours ago. "
                        "So this change waits until an admin confirms it, or you confirm it through the link "
                        "we emailed you."
                    ),
                    "info",
                )
            else:
                flash(_("Your payout account is changed."), "success")
            return redirect(url_for("auth.profile"))
    return _profile_page(ProfileForm(formdata=None, obj=current_user), form)


@bp.route("/payout-account/confirm/<token>", methods=["GET", "POST"])
def confirm_payout_account(token: str):
    """The learner's answer through the link emailed to her own address (no login: her password
    may be in someone else's hands). Signed, single use, expiring."""
    change = payout_accounts.change_for_token(token)
    if change is None:
        return _link_gone()
    form = ActionForm()
    if form.validate_on_submit():
        decision = request.form.get("decision")
        if decision not in ("confirm", "keep"):
            abort(400)
        try:
            payout_accounts.decide_by_email(token, decision == "confirm")
        except services.InvalidToken:
            return _link_gone()
        db.session.commit()
        if decision == "confirm":
            account = payout_accounts.mask(change.new_account)
            flash(_("Done: your earnings now go to %(account)s.", account=account), "success")
        else:
            flash(_("Done: the change is cancelled, and your earnings still go to your earlier account."), "success")
        return redirect(url_for("main.home"))
    page = render_template("auth/confirm_payout_account.html", change=change, form=form, mask=payout_accounts.mask)
    return page, 200, {"Cache-Control": "no-store"}


def _link_gone():
    message = _("This link has expired or was already used.")
    return render_template("errors/error.html", status=410, title=_("Link expired"), message=message), 410


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        # The same work and the same answer whether or not the address is registered: one row in
        # the outbox; the mail sender makes the link, or drops the row (samaschool/mail.py).
        services.request_password_reset(form.email.data)
        db.session.commit()
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
            return _remember_device(redirect(url_for("auth.login")), user)
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
