"""Who may author which course: admins every course; trainers the courses they own or co-train.

Courses nobody has been given (the ones shipped in `courses/`, until an admin assigns them)
belong to the admins alone. Learners author nothing.
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, select

from samaschool.catalog.models import Course
from samaschool.extensions import db
from samaschool.permissions import Role, teaches
from samaschool.studio.models import CourseStaff


def staff_role(user, course: Course) -> str | None:
    """ "owner" or "co_trainer" when `user` is on the course's staff, else None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(CourseStaff.role).where(CourseStaff.course_id == course.id, CourseStaff.user_id == user.id)
    )


def can_edit(user, course: Course) -> bool:
    """The same people who watch a course's learners and statistics (permissions.teaches)."""
    return teaches(user, course.id)


def can_manage_staff(user, course: Course) -> bool:
    """Admins, and the course's owners (who may add and remove co-trainers)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.role == Role.ADMIN or (user.role == Role.TRAINER and staff_role(user, course) == "owner")


def taught_course_ids(user) -> Select | None:
    """A subquery of the ids of the courses `user` may author and watch; None means every course
    (admins). Use it to filter lists: `.where(Course.id.in_(ids))`."""
    if user.role == Role.ADMIN:
        return None
    return select(CourseStaff.course_id).where(CourseStaff.user_id == user.id)


def courses_for(user) -> list[Course]:
    """The courses `user` authors, by title (admins: every course)."""
    query = select(Course).order_by(Course.title)
    ids = taught_course_ids(user)
    if ids is not None:
        query = query.where(Course.id.in_(ids))
    return list(db.session.scalars(query))


def course_for_editing(slug: str) -> Course:
    """The course at `slug` when the current user may author it: 404 when there is no such
    course, 403 when it is someone else's."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        abort(404)
    if not can_edit(current_user, course):
        abort(403)
    return course


def course_for_staff_management(slug: str) -> Course:
    course = course_for_editing(slug)
    if not can_manage_staff(current_user, course):
        abort(403)
    return course
