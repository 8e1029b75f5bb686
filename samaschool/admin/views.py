from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from samaschool import audit, jobs
from samaschool.admin import services
from samaschool.admin.forms import (
    ROLE_NAMES,
    ActivationForm,
    AuditSearchForm,
    PayoutDecisionForm,
    RoleForm,
    UserSearchForm,
)
from samaschool.auth import payout_accounts
from samaschool.auth.models import PayoutAccountChange, User
from samaschool.auth.services import active_session_count
from samaschool.errors import DomainError
from samaschool.extensions import db
from samaschool.forms import ActionForm
from samaschool.permissions import Role, role_required
from samaschool.web import page_arg

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@role_required(Role.ADMIN)
def _admins_only():
    return None


@bp.get("/users")
def users():
    form = UserSearchForm(request.args, meta={"csrf": False})
    page = db.paginate(
        services.users_query(form.q.data or "", form.role.data or ""), page=page_arg(), per_page=50, error_out=False
    )
    return render_template("admin/users.html", form=form, page=page, role_names=ROLE_NAMES)


def _user_or_404(user_id: int) -> User:
    user = db.get_or_404(User, user_id)
    return user


@bp.get("/users/<int:user_id>")
def user(user_id: int):
    target = _user_or_404(user_id)
    return _user_page(target, RoleForm(role=target.role.value), ActivationForm(prefix="activation"))


def _user_page(
    target: User,
    role_form: RoleForm,
    activation_form: ActivationForm,
    status: int = 200,
    payout_form: PayoutDecisionForm | None = None,
):
    history = db.session.scalars(audit.entries_query(target_type="users", target_id=target.id).limit(20))
    return (
        render_template(
            "admin/user.html",
            user=target,
            role_form=role_form,
            activation_form=activation_form,
            held_payout_change=payout_accounts.held_change(target),
            payout_form=payout_form or PayoutDecisionForm(prefix="payout"),
            history=list(history),
            sessions=active_session_count(target),
            action_form=ActionForm(),
            role_names=ROLE_NAMES,
        ),
        status,
    )


@bp.post("/users/<int:user_id>/role")
def change_role(user_id: int):
    target = _user_or_404(user_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            changed = services.change_role(current_user, target, Role(form.role.data), form.reason.data or "")
        except DomainError as error:
            form.role.errors.append(str(error))
        else:
            db.session.commit()
            if changed:
                flash(_("%(name)s is now: %(role)s.", name=target.name, role=ROLE_NAMES[target.role]), "success")
            return redirect(url_for("admin.user", user_id=target.id))
    return _user_page(target, form, ActivationForm(prefix="activation"), 422)


@bp.post("/users/<int:user_id>/active")
def set_active(user_id: int):
    target = _user_or_404(user_id)
    form = ActivationForm(prefix="activation")
    activate = request.form.get("activate") == "1"
    if form.validate_on_submit():
        try:
            changed = services.set_active(current_user, target, activate, form.reason.data)
        except DomainError as error:
            form.reason.errors.append(str(error))
        else:
            db.session.commit()
            if changed:
                message = _("Account reactivated.") if activate else _("Account deactivated; its sessions are ended.")
                flash(message, "success")
            return redirect(url_for("admin.user", user_id=target.id))
    return _user_page(target, RoleForm(role=target.role.value), form, 422)


@bp.get("/audit")
def audit_log():
    form = AuditSearchForm(request.args)
    query = audit.entries_query(**form.search())
    page = db.paginate(query, page=page_arg(), per_page=50, error_out=False)
    searching = any(value for key, value in request.args.items() if key != "page")
    return render_template("admin/audit.html", page=page, form=form, searching=searching)


@bp.post("/users/<int:user_id>/pool-manager")
def set_pool_manager(user_id: int):
    target = _user_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    allowed = request.form.get("allowed") == "1"
    if services.set_pool_manager(current_user, target, allowed):
        db.session.commit()
        flash(_("Pool manager permission granted.") if allowed else _("Pool manager permission withdrawn."), "success")
    return redirect(url_for("admin.user", user_id=target.id))


@bp.get("/payout-account-changes")
def payout_account_changes():
    """Payout-account changes held after a reset through someone else's link, waiting for an admin."""
    page = db.paginate(payout_accounts.held_changes(), page=page_arg(), per_page=50, error_out=False)
    return render_template("admin/payout_account_changes.html", page=page)


@bp.get("/jobs")
def job_queue():
    """The background job queue: its length, retries waiting, recent failures, periodic jobs' last runs."""
    return render_template("admin/jobs.html", status=jobs.queue_status(current_app))


@bp.post("/payout-account-changes/<int:change_id>")
def decide_payout_account_change(change_id: int):
    change = db.get_or_404(PayoutAccountChange, change_id)
    target = change.user
    form = PayoutDecisionForm(prefix="payout")
    decision = request.form.get("decision")
    if decision not in ("confirm", "reject"):
        abort(400)
    if form.validate_on_submit():
        try:
            decided = payout_accounts.decide(current_user, change, decision == "confirm", form.reason.data or "")
        except DomainError as error:
            form.reason.errors.append(str(error))
        else:
            db.session.commit()
            if decided:
                message = (
                    _("The payout account of %(name)s is changed.", name=target.name)
                    if decision == "confirm"
                    else _("The change of %(name)s's payout account is refused.", name=target.name)
                )
                flash(message, "success")
            else:
                flash(_("This change was already decided."), "info")
            return redirect(url_for("admin.user", user_id=target.id))
    return _user_page(target, RoleForm(role=target.role.value), ActivationForm(prefix="activation"), 422, form)
