"""Roles and the checks that guard routes. Object checks live beside their query filters."""

from __future__ import annotations

import enum
from functools import wraps

from flask import abort
from flask_login import current_user


class Role(enum.StrEnum):
    LEARNER = "learner"
    TRAINER = "trainer"
    ADMIN = "admin"


def role_required(*roles: Role):
    """Let through only signed-in users holding one of `roles`; others get 403 (or login)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from samaschool.extensions import login_manager

                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def can_make_reset_link(actor, target) -> bool:
    """Admins can for anyone but themselves; trainers for learners only."""
    if actor.id == target.id:
        return False
    if actor.role == Role.ADMIN:
        return True
    # A pool manager holds a learner's role but can approve payments: admins only.
    return actor.role == Role.TRAINER and target.role == Role.LEARNER and not target.is_pool_manager


def can_manage_pools(user) -> bool:
    return user.is_authenticated and (user.role == Role.ADMIN or bool(getattr(user, "is_pool_manager", False)))


def pool_manager_required(view):
    """Admins, and users holding the pool manager permission."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            from samaschool.extensions import login_manager

            return login_manager.unauthorized()
        if not can_manage_pools(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped
