"""Course outlines (a course, its live modules and lessons, in reading order), cached per process.

An outline changes only when content is imported or published, yet every lesson, course and
quiz page reads it: loading it as ORM objects was most of a lesson page's time. So each process
keeps the outlines it has built, as plain read-only objects, keyed by the course's content
version: `courses.updated_at`, which every change to the course, its modules, lessons or quizzes
moves forward in the same transaction (`_touch_courses` below, for every ORM flush: `courses
import`, the studio's publish, anything else). A page reads that one value from the database
(one small statement) and rebuilds the outline when it differs from the cached one, so another
process or another server's publish is seen on the next request, never a stale outline.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from typing import NamedTuple

from flask import current_app
from sqlalchemy import bindparam, event, select, update
from sqlalchemy.orm import Session

from samaschool.catalog.models import Course, Lesson, Module
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.reads import core_execute

MAX_COURSES = 64
"""Outlines kept per process (least recently used dropped first): lesson bodies included, a course
is a few hundred KB at most."""


@dataclass(frozen=True)
class LessonOutline:
    id: int
    course_id: int
    module_id: int
    slug: str
    title: str
    minutes: int
    body_html: str
    position: int


@dataclass(frozen=True)
class ModuleOutline:
    id: int
    course_id: int
    slug: str
    title: str
    summary: str
    position: int
    lessons: tuple[LessonOutline, ...]

    @property
    def minutes(self) -> int:
        return sum(lesson.minutes for lesson in self.lessons)


@dataclass(frozen=True)
class QuizOutline:
    """A live quiz as the course and lesson pages show it (the quiz pages load the full row)."""

    id: int
    module_id: int | None  # None: the course's exam
    key: str
    title: str
    pass_mark_percent: int


@dataclass(frozen=True)
class CourseOutline:
    """What pages read of a visible course: the columns of `courses` they show, and its live
    modules (each with its live lessons) in order. Read-only and shared between requests."""

    id: int
    slug: str
    title: str
    summary: str
    level: str
    language: str
    estimated_hours: int
    is_published: bool
    version: datetime
    modules: tuple[ModuleOutline, ...]
    lessons: tuple[LessonOutline, ...]  # every live lesson in reading order
    quizzes: tuple[QuizOutline, ...]  # every live quiz, oldest first


class OutlineCache:
    """One app's outlines by course id, least recently used dropped first (threads share it)."""

    def __init__(self, size: int = MAX_COURSES):
        self.size = size
        self._outlines: OrderedDict[int, CourseOutline] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, course_id: int, version: datetime) -> CourseOutline | None:
        with self._lock:
            outline = self._outlines.get(course_id)
            if outline is None or outline.version != version:
                return None
            self._outlines.move_to_end(course_id)
            return outline

    def put(self, outline: CourseOutline) -> None:
        with self._lock:
            self._outlines[outline.id] = outline
            self._outlines.move_to_end(outline.id)
            while len(self._outlines) > self.size:
                self._outlines.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._outlines.clear()


def _cache() -> OutlineCache:
    return current_app.extensions.setdefault("samaschool.outlines", OutlineCache())


# Built once: a select and its cache key cost more to build than the statement takes to run, and
# the columns are read through the session's connection, without the ORM's per-statement work.
_VERSION_BY_SLUG = select(Course.id, Course.updated_at).where(
    Course.slug == bindparam("slug"), Course.is_published.is_(True)
)


class EnrolmentPlace(NamedTuple):
    """A learner's enrolment as the course and lesson pages read it (read-only)."""

    id: int
    last_lesson_id: int | None
    last_activity_at: datetime | None


def visible_outline(slug: str) -> CourseOutline | None:
    """The outline of the visible (published) course `slug`, or None: one statement when this
    process already holds the course's current version."""
    row = core_execute(_VERSION_BY_SLUG, {"slug": slug}).first()
    if row is None:
        return None
    return current_outline(row[0], row[1], slug)


def current_outline(course_id: int, version: datetime, slug: str) -> CourseOutline | None:
    """The outline of course `course_id` at content `version` (its `updated_at`, just read with
    its slug): from this process's cache when it holds that version, else loaded and cached."""
    cache = _cache()
    outline = cache.get(course_id, version)
    if outline is not None and outline.slug == slug:
        return outline
    outline = _load(course_id)
    if outline is None or not outline.is_published or outline.slug != slug:
        return None
    cache.put(outline)
    return outline


def visible_outlines(course_ids) -> dict[int, CourseOutline]:
    """The outlines of the visible courses among `course_ids`, by id: one statement when this
    process holds every one's current version."""
    course_ids = sorted(set(course_ids))
    if not course_ids:
        return {}
    cache, result = _cache(), {}
    for course_id, version in db.session.execute(
        select(Course.id, Course.updated_at).where(Course.id.in_(course_ids), Course.is_published.is_(True))
    ):
        outline = cache.get(course_id, version)
        if outline is None:
            outline = _load(course_id)
            if outline is None or not outline.is_published:
                continue
            cache.put(outline)
        result[course_id] = outline
    return result


def _load(course_id: int) -> CourseOutline | None:
    """The outline as the database holds it now, with the version read in the same statement as
    the course (a publish committed in between makes the content newer than its key, never older:
    the next request sees the new version and loads again)."""
    course = db.session.execute(
        select(
            Course.slug,
            Course.title,
            Course.summary,
            Course.level,
            Course.language,
            Course.estimated_hours,
            Course.is_published,
            Course.updated_at,
        ).where(Course.id == course_id)
    ).first()
    if course is None:
        return None
    lessons_by_module: dict[int, list[LessonOutline]] = {}
    for row in db.session.execute(
        select(
            Lesson.id,
            Lesson.course_id,
            Lesson.module_id,
            Lesson.slug,
            Lesson.title,
            Lesson.minutes,
            Lesson.body_html,
            Lesson.position,
        )
        .where(Lesson.course_id == course_id, Lesson.archived_at.is_(None))
        .order_by(Lesson.position, Lesson.id)
    ):
        lessons_by_module.setdefault(row.module_id, []).append(LessonOutline(*row))
    modules = tuple(
        ModuleOutline(*row, lessons=tuple(lessons_by_module.get(row.id, ())))
        for row in db.session.execute(
            select(Module.id, Module.course_id, Module.slug, Module.title, Module.summary, Module.position)
            .where(Module.course_id == course_id, Module.archived_at.is_(None))
            .order_by(Module.position, Module.id)
        )
    )
    from samaschool.assessments.models import Quiz  # assessments sits above catalog: its model only

    quizzes = tuple(
        QuizOutline(*row)
        for row in db.session.execute(
            select(Quiz.id, Quiz.module_id, Quiz.key, Quiz.title, Quiz.pass_mark_percent)
            .where(Quiz.course_id == course_id, Quiz.archived_at.is_(None))
            .order_by(Quiz.id)
        )
    )
    return CourseOutline(
        id=course_id,
        slug=course.slug,
        title=course.title,
        summary=course.summary,
        level=course.level,
        language=course.language,
        estimated_hours=course.estimated_hours,
        is_published=course.is_published,
        version=course.updated_at,
        modules=modules,
        lessons=tuple(chain.from_iterable(module.lessons for module in modules)),
        quizzes=quizzes,
    )


def _content_classes():
    from samaschool.assessments.models import Quiz

    return (Module, Lesson, Quiz)


@event.listens_for(Session, "before_flush")
def _touch_courses(session: Session, _context, _instances) -> None:
    """A change to a course's modules, lessons or quizzes moves the course's `updated_at` (its
    content version) in the same flush, so every process's cached outline of it is rebuilt."""
    content = _content_classes()
    changed: set[int] = set()
    for obj in chain(session.new, session.deleted, session.dirty):
        if isinstance(obj, content) and obj.course_id is not None:
            if obj in session.dirty and not session.is_modified(obj):
                continue
            changed.add(obj.course_id)
    if not changed:
        return
    now = utcnow()
    missing = set()
    for course_id in changed:
        course = session.identity_map.get(session.identity_key(Course, course_id))
        if course is not None:
            course.updated_at = now
        else:
            missing.add(course_id)
    if missing:
        session.connection().execute(
            update(Course.__table__).where(Course.__table__.c.id.in_(sorted(missing))).values(updated_at=now)
        )
