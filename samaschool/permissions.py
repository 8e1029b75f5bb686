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


def teaches(user, course_id: int) -> bool:
    """Whether `user` may watch a course's learners and statistics: admins every course, a trainer
    the courses they own or co-train (samaschool/studio/access.py has the same rule for authoring)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.TRAINER:
        return False
    from sqlalchemy import select

    from samaschool.extensions import db
    from samaschool.studio.models import CourseStaff

    staff = select(CourseStaff.id).where(CourseStaff.course_id == course_id, CourseStaff.user_id == user.id)
    return db.session.scalar(staff.limit(1)) is not None


def teaches_learner(trainer, learner) -> bool:
    """Whether `learner` is enrolled in a course `trainer` owns or co-trains."""
    from sqlalchemy import select

    from samaschool.catalog.models import Enrolment
    from samaschool.extensions import db
    from samaschool.studio.models import CourseStaff

    taught = select(CourseStaff.course_id).where(CourseStaff.user_id == trainer.id)
    enrolled = select(Enrolment.id).where(Enrolment.user_id == learner.id, Enrolment.course_id.in_(taught))
    return db.session.scalar(enrolled.limit(1)) is not None


def is_plain_learner(user) -> bool:
    # A pool manager holds a learner's role but can approve payments: admins only.
    return user.role == Role.LEARNER and not user.is_pool_manager


def can_make_reset_link(actor, target) -> bool:
    """Admins can for anyone but themselves; trainers for the learners enrolled in a course they
    own or co-train, and no one else."""
    if actor.id == target.id:
        return False
    if actor.role == Role.ADMIN:
        return True
    return actor.role == Role.TRAINER and is_plain_learner(target) and teaches_learner(actor, target)


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
