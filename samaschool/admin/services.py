"""User administration. Every change is audit-logged with before and after."""

from __future__ import annotations

import secrets

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from samaschool import audit
from samaschool.auth import services as auth
from samaschool.auth.models import User
from samaschool.auth.passwords import verify_password
from samaschool.errors import NotAllowed
from samaschool.extensions import db
from samaschool.permissions import Role


def users_query(q: str = "", role: str = ""):
    query = select(User).order_by(User.created_at.desc(), User.id.desc())
    if q := q.strip().lower():
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        query = query.where(
            or_(User.email.like(pattern, escape="\\"), func.lower(User.name).like(pattern, escape="\\"))
        )
    if role in {r.value for r in Role}:
        query = query.where(User.role == Role(role))
    return query


def _active_admins() -> int:
    return db.session.scalar(
        select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.is_active.is_(True))
    )


def change_role(actor: User, user: User, new_role: Role, reason: str = "") -> bool:
    """Set a user's role. Returns False when nothing changed. Never leaves no active admin."""
    if user.role == new_role:
        return False
    if user.role == Role.ADMIN and user.is_active and _active_admins() <= 1:
        raise NotAllowed(_("This is the last active admin. Make another admin first."))
    before = {"role": user.role.value}
    user.role = new_role
    audit.record(actor, "user.role_changed", user, before=before, after={"role": new_role.value}, reason=reason)
    return True


def set_active(actor: User, user: User, active: bool, reason: str = "") -> bool:
    """Deactivate (ending every session) or reactivate an account. False when nothing changed."""
    if user.is_active == active:
        return False
    if not active and user.id == actor.id:
        raise NotAllowed(_("You cannot deactivate your own account."))
    if not active and user.role == Role.ADMIN and _active_admins() <= 1:
        raise NotAllowed(_("This is the last active admin. Make another admin first."))
    user.is_active = active
    if not active:
        auth.end_all_sessions(user)
    audit.record(
        actor,
        "user.activated" if active else "user.deactivated",
        user,
        before={"is_active": not active},
        after={"is_active": active},
        reason=reason,
    )
    return True


def ensure_admin(email: str | None, password: str | None) -> tuple[User, str | None] | None:
    """Make the first admin if there is none. Returns (user, generated password or None).

    With an email and password (from the environment) that account is created or promoted;
    without them, a generated password is returned once. Returns None when nothing was done.
    """
    if email:
        user = auth.find_user_by_email(email)
        if user is not None:
            if user.role == Role.ADMIN:
                return None
            # Sign-up does not prove who owns an address: promote an existing account only
            # when the operator also gives that account's password.
            if not password or not verify_password(user.password_hash, password):
                raise NotAllowed(
                    _("An account with %(email)s already exists; give its password to make it the admin.", email=email)
                )
            change_role(None, user, Role.ADMIN, reason="SAMASCHOOL_ADMIN_EMAIL")
            return user, None
    elif db.session.scalar(select(func.count()).select_from(User).where(User.role == Role.ADMIN)):
        return None
    generated = None
    if not password:
        generated = password = secrets.token_urlsafe(12)
    user = auth.sign_up(
        auth.SignUp(
            name="Administrator",
            email=email or "admin@samaschool.org",
            password=password,
            country="KE",
            preferred_language="en",
        ),
        role=Role.ADMIN,
    )
    audit.record(None, "user.created_admin", user, after={"role": "admin", "email": user.email})
    return user, generated


def set_pool_manager(actor: User, user: User, allowed: bool, reason: str = "") -> bool:
    """Grant or withdraw the pool manager permission. False when nothing changed."""
    if user.is_pool_manager == allowed:
        return False
    user.is_pool_manager = allowed
    audit.record(
        actor,
        "user.pool_manager_changed",
        user,
        before={"is_pool_manager": not allowed},
        after={"is_pool_manager": allowed},
        reason=reason,
    )
    return True
