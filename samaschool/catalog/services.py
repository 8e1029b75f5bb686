"""The catalog: finding courses, reading their outline, enrolling."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from samaschool.catalog.models import Course, Enrolment, Lesson
from samaschool.catalog.outlines import (
    CourseOutline,
    LessonOutline,
    visible_outline,
)
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.reads import core_execute


def visible_courses():
    """Courses a learner may see; every list and page of courses starts from this query."""
    return select(Course).where(Course.is_published.is_(True))


# What a list of courses shows (the catalog, the home page), read as plain rows; the unfiltered
# list, which nearly every visit asks for, is built once (samaschool/reads.py).
_ALL_CARDS = (
    select(
        Course.id,
        Course.slug,
        Course.title,
        Course.summary,
        Course.level,
        Course.language,
        Course.estimated_hours,
    )
    .where(Course.is_published.is_(True))
    .order_by(Course.title)
)
_LANGUAGES = select(Course.language).where(Course.is_published.is_(True)).distinct()


def search_courses(*, level: str = "", language: str = "", q: str = "") -> list[Row]:
    """The visible courses (id, slug, title, summary, level, language, estimated_hours), by title,
    of the level and language given, whose title holds `q`."""
    query = _ALL_CARDS
    if level:
        query = query.where(Course.level == level)
    if language:
        query = query.where(Course.language == language)
    if q := q.strip():
        escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(func.lower(Course.title).like(f"%{escaped}%", escape="\\"))
    return list(core_execute(query))


def visible_courses_by_slug(slugs) -> dict[str, Course]:
    """The visible courses among `slugs`, by slug (one query)."""
    slugs = sorted(set(slugs))
    if not slugs:
        return {}
    return {course.slug: course for course in db.session.scalars(visible_courses().where(Course.slug.in_(slugs)))}


def catalog_languages() -> list[str]:
    return list(core_execute(_LANGUAGES).scalars())


def get_course_outline(slug: str) -> CourseOutline | None:
    """A visible course with its live modules and lessons, read-only: from this process's cache
    when the course's content version is the one cached (catalog/outlines.py), in one statement."""
    return visible_outline(slug)


def get_lesson(course: Course, lesson_slug: str) -> Lesson | None:
    return db.session.scalar(
        select(Lesson).where(
            Lesson.course_id == course.id,
            Lesson.slug == lesson_slug,
            Lesson.archived_at.is_(None),
        )
    )


def ordered_lessons(course: Course | CourseOutline) -> list[Lesson] | list[LessonOutline]:
    """The course's live lessons in reading order (module order, then lesson order)."""
    if isinstance(course, CourseOutline):
        return list(course.lessons)
    return [lesson for module in course.modules for lesson in module.lessons]


def find_enrolment(user, course: Course) -> Enrolment | None:
    if not user.is_authenticated:
        return None
    return db.session.scalar(select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.course_id == course.id))


def enrol(user, course: Course) -> tuple[Enrolment, bool]:
    """Enrol the user; idempotent. Returns the enrolment and whether it was new.

    The unique (user, course) constraint decides between two simultaneous requests.
    """
    existing = find_enrolment(user, course)
    if existing is not None:
        return existing, False
    enrolment = Enrolment(user_id=user.id, course_id=course.id, enrolled_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(enrolment)
    except IntegrityError:
        return find_enrolment(user, course), False
    return enrolment, True
