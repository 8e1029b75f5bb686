"""Write checked course specs to the database: idempotent, matched by slugs, nothing deleted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from samaschool.assessments.models import Question, Quiz
from samaschool.catalog.models import Course, Lesson, Module
from samaschool.certification.models import Certification
from samaschool.content.course_folder import CourseSpec, LessonSpec
from samaschool.content.markdown import render_markdown, render_markdown_with_media
from samaschool.content.media_refs import MediaUse
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.media import services as media_services
from samaschool.media.models import MediaFile


@dataclass
class ImportStats:
    courses_created: int = 0
    courses_updated: int = 0
    lessons_created: int = 0
    lessons_updated: int = 0
    lessons_unchanged: int = 0
    lessons_archived: int = 0
    modules_archived: int = 0
    questions: int = 0
    quizzes: int = 0
    media_added: int = 0
    media_unchanged: int = 0

    def summary(self) -> str:
        return (
            f"media files: {self.media_added} new, {self.media_unchanged} unchanged; "
            f"courses: {self.courses_created} new, {self.courses_updated} updated; "
            f"lessons: {self.lessons_created} new, {self.lessons_updated} updated, "
            f"{self.lessons_unchanged} unchanged, {self.lessons_archived} archived; "
            f"modules archived: {self.modules_archived}; {self.questions} questions, {self.quizzes} quizzes"
        )


def _assign(obj, **values) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def import_courses(specs: list[CourseSpec], on_lesson: Callable[[], None] = lambda: None) -> ImportStats:
    """Create or update every course in `specs`. The caller commits (or rolls back) once.

    Lessons and modules missing from a course's folder are archived, never deleted, so
    learners' progress stays. A lesson keeps its id (and its progress) when its text changes.
    """
    stats = ImportStats()
    now = utcnow()
    media = import_media([use for spec in specs for use in spec.media], stats)
    for spec in specs:
        course = db.session.scalar(select(Course).where(Course.slug == spec.slug))
        created = course is None
        if created:
            course = Course(slug=spec.slug)
            db.session.add(course)
            stats.courses_created += 1
        course_changed = _assign(
            course,
            title=spec.title,
            summary=spec.summary,
            level=spec.level,
            language=spec.language,
            estimated_hours=spec.estimated_hours,
        )
        db.session.flush()
        if course_changed and not created:
            stats.courses_updated += 1

        modules = {m.slug: m for m in db.session.scalars(select(Module).where(Module.course_id == course.id))}
        lessons = {
            lesson.slug: lesson for lesson in db.session.scalars(select(Lesson).where(Lesson.course_id == course.id))
        }
        live_modules, live_lessons = set(), set()
        for position, module_spec in enumerate(spec.modules):
            module = modules.get(module_spec.slug)
            if module is None:
                module = Module(course_id=course.id, slug=module_spec.slug)
                db.session.add(module)
                modules[module.slug] = module
            _assign(module, title=module_spec.title, summary=module_spec.summary, position=position, archived_at=None)
            db.session.flush()
            live_modules.add(module.slug)
            for lesson_position, lesson_spec in enumerate(module_spec.lessons):
                live_lessons.add(lesson_spec.slug)
                lesson = lessons.get(lesson_spec.slug)
                if lesson is None:
                    lesson = Lesson(course_id=course.id, slug=lesson_spec.slug, body_markdown=None)
                    db.session.add(lesson)
                    stats.lessons_created += 1
                    new = True
                else:
                    new = False
                # Rendered on every import (milliseconds a lesson): media files may have changed
                # under the same names, and a fix to the renderer reaches lessons already stored.
                if lesson_spec.media:
                    html = render_lesson(lesson_spec, media, spec.language)
                else:
                    html = render_markdown(lesson_spec.body)
                changed = _assign(
                    lesson,
                    module_id=module.id,
                    title=lesson_spec.title,
                    minutes=lesson_spec.minutes,
                    body_markdown=lesson_spec.body,
                    body_html=html,
                    position=lesson_position,
                    archived_at=None,
                )
                if not new:
                    if changed:
                        stats.lessons_updated += 1
                    else:
                        stats.lessons_unchanged += 1
                on_lesson()
        for slug, lesson in lessons.items():
            if slug not in live_lessons and lesson.archived_at is None:
                lesson.archived_at = now
                stats.lessons_archived += 1
        for slug, module in modules.items():
            if slug not in live_modules and module.archived_at is None:
                module.archived_at = now
                stats.modules_archived += 1
        import_assessments(course, spec, modules, now)
        stats.questions += len(spec.questions)
        stats.quizzes += len(spec.quizzes)
    db.session.flush()
    return stats


def import_media(uses: list[MediaUse], stats: ImportStats) -> dict[str, MediaFile]:
    """Every media file the courses use, by key. A file whose content is already stored (its key
    is its content hash) is neither read again nor encoded; new ones are checked and made small
    once (samaschool.media.services.ingest). A sound an upload left waiting for the job worker is
    made now: lessons are rendered here, once, and must show a player (publishing already takes a while)."""
    wanted = {use.key: use for use in uses}
    stored = media_services.by_keys(wanted)
    for key, use in wanted.items():
        if key in stored and stored[key].ready:
            stats.media_unchanged += 1
            continue
        stored[key] = media_services.ingest_path(use.path, use.name, kinds=(use.kind,))
        stats.media_added += 1
    return stored


def render_lesson(spec: LessonSpec, media: dict[str, MediaFile], language: str) -> str:
    """A lesson's HTML with its images (<picture>, lazy) and sounds (player, size, transcript)."""
    from flask import current_app, has_request_context
    from flask_babel import force_locale

    def rendered():
        template = current_app.jinja_env.get_template("content/lesson_media.html")
        module = template.make_module()

        def image_html(src: str, alt: str) -> str:
            use = spec.media.get(src)
            return str(module.image(media[use.key], alt)) if use else ""

        def audio_html(src: str, transcript: str) -> str:
            use = spec.media.get(src)
            return str(module.audio(media[use.key], transcript)) if use else ""

        # The player's words ("Listen", "Transcript") in the course's language, like its text.
        with force_locale(language):
            return render_markdown_with_media(spec.body, image_html, audio_html)

    if has_request_context():
        return rendered()
    with current_app.test_request_context("/"):  # media URLs are built with url_for
        return rendered()


def _sync(existing: dict, wanted: dict[str, dict], make, now, *, owned=lambda obj: True) -> None:
    """Make `existing` (key -> row) match `wanted` (key -> column values): update or create
    rows by key, and archive the rows that the folder no longer has (never delete them)."""
    for key, values in wanted.items():
        row = existing.get(key)
        if row is None:
            row = make(key)
            db.session.add(row)
        _assign(row, **values, archived_at=None)
    for key, row in existing.items():
        if key not in wanted and owned(row) and row.archived_at is None:
            row.archived_at = now


def _from_folder(row) -> bool:
    return row.source == "folder"  # questions and certifications made elsewhere are left alone


def import_assessments(course: Course, spec: CourseSpec, modules: dict[str, Module], now) -> None:
    """Upsert the course's question bank and quizzes; archive what left the folder."""
    _sync(
        {q.key: q for q in db.session.scalars(select(Question).where(Question.course_id == course.id))},
        {
            q.key: {
                "type": q.type,
                "tags": q.tags,
                "points": q.points,
                "text_html": q.text_html,
                "explanation_html": q.explanation_html,
                "data": q.data,
                "spec": q.spec,
                "source": "folder",
                "lesson_slug": q.lesson,
            }
            for q in spec.questions
        },
        lambda key: Question(course_id=course.id, key=key),
        now,
        owned=_from_folder,
    )
    _sync(
        {q.key: q for q in db.session.scalars(select(Quiz).where(Quiz.course_id == course.id))},
        {
            q.key: {
                "module_id": modules[q.module_slug].id if q.module_slug else None,
                "title": q.title,
                "pass_mark_percent": q.pass_mark_percent,
                "max_attempts": q.max_attempts,
                "retry_delay_minutes": q.retry_delay_minutes,
                "time_limit_minutes": q.time_limit_minutes,
                "questions_per_page": q.questions_per_page,
                "shuffle_questions": q.shuffle_questions,
                "shuffle_choices": q.shuffle_choices,
                "review_policy": q.review_policy,
                "question_keys": q.question_keys,
                "draw_rules": q.draw_rules,
                "sections": q.sections or None,
                "attempts_per_day": q.attempts_per_day,
            }
            for q in spec.quizzes
        },
        lambda key: Quiz(course_id=course.id, key=key),
        now,
    )


def import_certifications(specs: list) -> int:
    """Upsert certifications from the folder by slug; archive folder ones that disappeared."""
    _sync(
        {c.slug: c for c in db.session.scalars(select(Certification))},
        {
            c.slug: {
                "name": c.name,
                "description": c.description,
                "validity_months": c.validity_months,
                "badge_svg": c.badge_svg,
                "badge_png": c.badge_png,
                "criteria": c.criteria,
                "source": "folder",
            }
            for c in specs
        },
        lambda slug: Certification(slug=slug),
        utcnow(),
        owned=_from_folder,
    )
    db.session.flush()
    return len(specs)
