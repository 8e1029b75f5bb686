"""Progress through lessons and the learner's dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, bindparam, cast, func, literal_column, null, select, union_all, update
from sqlalchemy.exc import IntegrityError

# Progress counts passed quizzes, so learning reads the assessment models (models only:
# no services or views), the one place where a dependency points up the journey.
from samaschool.assessments.models import Attempt, Quiz
from samaschool.catalog.models import Course, Enrolment, Lesson, Module
from samaschool.catalog.outlines import CourseOutline, EnrolmentPlace, LessonOutline, current_outline, visible_outlines
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.learning.models import LessonProgress
from samaschool.reads import core_execute
from samaschool.signals import progress_made


@dataclass(frozen=True)
class Progress:
    done: int
    total: int

    @property
    def percent(self) -> int:
        return 0 if self.total == 0 else (100 * self.done) // self.total

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done >= self.total


def completed_lesson_ids(user, course: Course) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(
        db.session.scalars(
            select(LessonProgress.lesson_id)
            .join(Lesson, Lesson.id == LessonProgress.lesson_id)
            .where(LessonProgress.user_id == user.id, Lesson.course_id == course.id)
        )
    )


def course_progress(
    lessons: list[Lesson], completed_ids: set[int], quiz_ids: list[int] = (), passed_ids: set[int] = frozenset()
) -> Progress:
    """Lessons completed plus quizzes passed, over all live lessons and quizzes."""
    done = sum(1 for lesson in lessons if lesson.id in completed_ids) + sum(1 for q in quiz_ids if q in passed_ids)
    return Progress(done=done, total=len(lessons) + len(quiz_ids))


def quiz_ids_by_course(course_ids: list[int]) -> dict[int, list[int]]:
    result: dict[int, list[int]] = {cid: [] for cid in course_ids}
    for quiz_id, course_id in db.session.execute(
        select(Quiz.id, Quiz.course_id).where(Quiz.course_id.in_(course_ids), Quiz.archived_at.is_(None))
    ):
        result[course_id].append(quiz_id)
    return result


def passed_quiz_ids(user_id: int, quiz_ids: list[int]) -> set[int]:
    if not quiz_ids:
        return set()
    return set(
        db.session.scalars(
            select(Attempt.quiz_id)
            .where(Attempt.user_id == user_id, Attempt.quiz_id.in_(quiz_ids), Attempt.passed.is_(True))
            .distinct()
        )
    )


VISIT_THROTTLE = timedelta(minutes=5)


def visit_due(enrolment: Enrolment | EnrolmentPlace, lesson: Lesson, now: datetime | None = None) -> bool:
    """Whether `record_visit` would write: another lesson, or the last visit is old (a page
    skips its bookkeeping transaction when not)."""
    now = now or utcnow()
    recent = enrolment.last_activity_at is not None and now - enrolment.last_activity_at < VISIT_THROTTLE
    return enrolment.last_lesson_id != lesson.id or not recent


def record_visit(enrolment: Enrolment | EnrolmentPlace, lesson: Lesson, now: datetime | None = None) -> bool:
    """Remember the lesson for "continue where you left off" (bookkeeping on a page view: run it
    inside `bookkeeping()`). Writes only when the lesson changed or the last visit is old;
    returns whether it wrote."""
    now = now or utcnow()
    if not visit_due(enrolment, lesson, now):
        return False
    db.session.execute(
        update(Enrolment).where(Enrolment.id == enrolment.id).values(last_lesson_id=lesson.id, last_activity_at=now)
    )
    return True


def mark_complete(user, lesson: Lesson) -> bool:
    """Mark a lesson complete for the user; idempotent. Returns True if it was newly completed."""
    exists = db.session.scalar(
        select(LessonProgress.id).where(LessonProgress.user_id == user.id, LessonProgress.lesson_id == lesson.id)
    )
    if exists is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(LessonProgress(user_id=user.id, lesson_id=lesson.id, completed_at=utcnow()))
    except IntegrityError:
        return False
    progress_made.send(None, user_id=user.id, course_id=lesson.course_id)
    return True


def next_lesson_to_read(lessons: list[Lesson], completed_ids: set[int], last_lesson_id: int | None) -> Lesson | None:
    """The first unfinished lesson from where the learner left off, else from the start."""
    if not lessons:
        return None
    start = next((i for i, lesson in enumerate(lessons) if lesson.id == last_lesson_id), 0)
    for lesson in lessons[start:] + lessons[:start]:
        if lesson.id not in completed_ids:
            return lesson
    return lessons[-1]


@dataclass
class DashboardCourse:
    enrolment: Enrolment
    course: CourseOutline
    progress: Progress
    continue_lesson: LessonOutline | None


_DASHBOARD_ENROLMENTS = (  # built once (samaschool/reads.py)
    select(Enrolment)
    .join(Course, Course.id == Enrolment.course_id)
    .where(Enrolment.user_id == bindparam("user_id"), Course.is_published.is_(True))
    .order_by(func.coalesce(Enrolment.last_activity_at, Enrolment.enrolled_at).desc())
)


def dashboard(user) -> list[DashboardCourse]:
    """The learner's courses, most recently active first, in three statements (the outlines come
    from this process's cache while their content version holds)."""
    enrolments = list(db.session.scalars(_DASHBOARD_ENROLMENTS, {"user_id": user.id}))
    if not enrolments:
        return []
    outlines = visible_outlines(e.course_id for e in enrolments)
    quizzes = {cid: [quiz.id for quiz in outline.quizzes] for cid, outline in outlines.items()}
    completed, passed = done_in_courses(user.id, list(outlines), [q for ids in quizzes.values() for q in ids])
    result = []
    for enrolment in enrolments:
        outline = outlines.get(enrolment.course_id)
        if outline is None:  # unpublished a moment ago
            continue
        lessons = list(outline.lessons)
        result.append(
            DashboardCourse(
                enrolment=enrolment,
                course=outline,
                progress=course_progress(lessons, completed, quizzes[enrolment.course_id], passed),
                continue_lesson=next_lesson_to_read(lessons, completed, enrolment.last_lesson_id),
            )
        )
    return result


@dataclass
class Outline:
    """A learner's view of one course: what is done, which quizzes exist and are passed."""

    lessons: list[Lesson]
    completed: set[int]
    quizzes_by_module: dict[int | None, Quiz]
    passed: set[int]

    @property
    def progress(self) -> Progress:
        quiz_ids = [q.id for q in self.quizzes_by_module.values()]
        return course_progress(self.lessons, self.completed, quiz_ids, self.passed)

    @property
    def exam(self) -> Quiz | None:
        return self.quizzes_by_module.get(None)


def outline_for(user, course: Course | CourseOutline, lessons: list[Lesson], *, enrolled: bool) -> Outline:
    """The learner's progress through `course` (a cached outline, or a Course row)."""
    if isinstance(course, CourseOutline):
        quizzes = {quiz.module_id: quiz for quiz in course.quizzes}
    else:
        quizzes = {
            quiz.module_id: quiz
            for quiz in db.session.scalars(
                select(Quiz).where(Quiz.course_id == course.id, Quiz.archived_at.is_(None)).order_by(Quiz.id)
            )
        }
    if not enrolled:
        return Outline(lessons, set(), quizzes, set())
    completed, passed = done_in_course(user.id, course.id, [q.id for q in quizzes.values()])
    return Outline(lessons, completed, quizzes, passed)


# The lesson and course pages' one statement: the course's content version with the learner's
# enrolment (as catalog/outlines.py reads them), then the lessons they completed and the quizzes
# they passed in it. One round trip instead of two; built once (samaschool/reads.py).
_NO_PLACE = (  # typed: PostgreSQL takes an untyped NULL in a UNION for text
    cast(null(), Course.updated_at.type),
    cast(null(), Integer),
    cast(null(), Integer),
    cast(null(), Enrolment.last_activity_at.type),
)
_PLACE_AND_PROGRESS_BY_SLUG = union_all(
    select(
        literal_column("2").label("kind"),
        Course.id,
        Course.updated_at,
        Enrolment.id.label("enrolment_id"),
        Enrolment.last_lesson_id,
        Enrolment.last_activity_at,
    )
    .outerjoin(Enrolment, (Enrolment.course_id == Course.id) & (Enrolment.user_id == bindparam("user_id")))
    .where(Course.slug == bindparam("slug"), Course.is_published.is_(True)),
    select(literal_column("0"), LessonProgress.lesson_id, *_NO_PLACE)
    .join(Lesson, Lesson.id == LessonProgress.lesson_id)
    .join(Course, Course.id == Lesson.course_id)
    .where(LessonProgress.user_id == bindparam("user_id"), Course.slug == bindparam("slug")),
    select(literal_column("1"), Attempt.quiz_id, *_NO_PLACE)
    .join(Quiz, Quiz.id == Attempt.quiz_id)
    .join(Course, Course.id == Quiz.course_id)
    .where(Attempt.user_id == bindparam("user_id"), Attempt.passed.is_(True), Course.slug == bindparam("slug"))
    .distinct(),
)


def course_place(slug: str, user) -> tuple[CourseOutline | None, EnrolmentPlace | None, Outline | None]:
    """The visible course `slug` (its cached outline), the signed-in `user`'s enrolment in it (None
    when not enrolled) and their progress through it (`outline_for`), in one statement when this
    process holds the course's current version. (None, None, None) when no such course is visible."""
    place, completed, passed = None, set(), set()
    for kind, item_id, version, enrolment_id, last_lesson_id, last_activity_at in core_execute(
        _PLACE_AND_PROGRESS_BY_SLUG, {"slug": slug, "user_id": user.id}
    ):
        if kind == 2:
            place = (item_id, version, enrolment_id, last_lesson_id, last_activity_at)
        elif kind == 0:
            completed.add(item_id)
        else:
            passed.add(item_id)
    course = current_outline(place[0], place[1], slug) if place is not None else None
    if course is None:
        return None, None, None
    lessons = list(course.lessons)
    quizzes = {quiz.module_id: quiz for quiz in course.quizzes}
    if place[2] is None:
        return course, None, Outline(lessons, set(), quizzes, set())
    passed &= {quiz.id for quiz in course.quizzes}  # live quizzes only, as `done_in_course` counts them
    return course, EnrolmentPlace(*place[2:]), Outline(lessons, completed, quizzes, passed)


def done_in_course(user_id: int, course_id: int, quiz_ids: list[int]) -> tuple[set[int], set[int]]:
    """(lessons completed, quizzes passed) of the course's, in one statement."""
    return done_in_courses(user_id, [course_id], quiz_ids)


# Built once, with the lists as expanding parameters (samaschool/reads.py): every course, lesson
# and dashboard page runs one of them.
_LESSONS_DONE = (
    select(literal_column("0").label("kind"), LessonProgress.lesson_id.label("id"))
    .join(Lesson, Lesson.id == LessonProgress.lesson_id)
    .where(
        LessonProgress.user_id == bindparam("user_id"), Lesson.course_id.in_(bindparam("course_ids", expanding=True))
    )
)
_LESSONS_AND_QUIZZES_DONE = union_all(
    _LESSONS_DONE,
    select(literal_column("1").label("kind"), Attempt.quiz_id.label("id"))
    .where(
        Attempt.user_id == bindparam("user_id"),
        Attempt.quiz_id.in_(bindparam("quiz_ids", expanding=True)),
        Attempt.passed.is_(True),
    )
    .distinct(),
)


def done_in_courses(user_id: int, course_ids: list[int], quiz_ids: list[int]) -> tuple[set[int], set[int]]:
    """(lessons completed, quizzes passed) among the courses' lessons and `quiz_ids`, in one statement."""
    if not course_ids:
        return set(), set()
    params = {"user_id": user_id, "course_ids": list(course_ids), "quiz_ids": list(quiz_ids)}
    if not quiz_ids:
        return {item_id for _kind, item_id in core_execute(_LESSONS_DONE, params)}, set()
    completed, passed = set(), set()
    for kind, item_id in core_execute(_LESSONS_AND_QUIZZES_DONE, params):
        (passed if kind else completed).add(item_id)
    return completed, passed


def module_quiz(course: Course, module_id: int) -> Quiz | None:
    return db.session.scalar(
        select(Quiz).where(Quiz.course_id == course.id, Quiz.module_id == module_id, Quiz.archived_at.is_(None))
    )


def course_progress_for(user_id: int, course_id: int) -> Progress:
    """Lessons done and quizzes passed in one course, from aggregate queries."""
    return courses_progress_for(user_id, [course_id])[course_id]


def courses_progress_for(user_id: int, course_ids) -> dict[int, Progress]:
    """`course_progress_for` for many courses in the same four queries."""
    course_ids = list(course_ids)
    if not course_ids:
        return {}
    lessons: dict[int, list[int]] = {cid: [] for cid in course_ids}
    for lesson_id, course_id in db.session.execute(
        select(Lesson.id, Lesson.course_id)
        .join(Module, Module.id == Lesson.module_id)
        .where(Lesson.course_id.in_(course_ids), Lesson.archived_at.is_(None), Module.archived_at.is_(None))
    ):
        lessons[course_id].append(lesson_id)
    done = set(
        db.session.scalars(
            select(LessonProgress.lesson_id)
            .join(Lesson, Lesson.id == LessonProgress.lesson_id)
            .where(LessonProgress.user_id == user_id, Lesson.course_id.in_(course_ids))
        )
    )
    quizzes = quiz_ids_by_course(course_ids)
    passed = passed_quiz_ids(user_id, [q for ids in quizzes.values() for q in ids])
    return {
        cid: Progress(
            done=sum(1 for lesson_id in lessons[cid] if lesson_id in done)
            + sum(1 for q in quizzes[cid] if q in passed),
            total=len(lessons[cid]) + len(quizzes[cid]),
        )
        for cid in course_ids
    }


def record_completion(sender=None, *, user_id: int, course_id: int, **_extra) -> bool:
    """On progress (signals.progress_made): the first time the learner's course is complete, note
    when on the enrolment. Later changes to the course do not take a completion back."""
    enrolment = db.session.scalar(
        select(Enrolment).where(Enrolment.user_id == user_id, Enrolment.course_id == course_id)
    )
    if enrolment is None or enrolment.completed_at is not None:
        return False
    if not course_progress_for(user_id, course_id).complete:
        return False
    enrolment.completed_at = utcnow()
    db.session.flush()
    return True


def module_progress(user_id: int, course_id: int) -> tuple[int, int]:
    """(modules complete, modules) for one course: a module is complete when its lessons are
    done and its quiz, if it has one, is passed."""
    return modules_progress(user_id, [course_id])[course_id]


def modules_progress(user_id: int, course_ids) -> dict[int, tuple[int, int]]:
    """`module_progress` for many courses in the same four queries."""
    course_ids = list(course_ids)
    if not course_ids:
        return {}
    modules: dict[int, list[int]] = {cid: [] for cid in course_ids}
    for module_id, course_id in db.session.execute(
        select(Module.id, Module.course_id)
        .where(Module.course_id.in_(course_ids), Module.archived_at.is_(None))
        .order_by(Module.position)
    ):
        modules[course_id].append(module_id)
    lessons: dict[int, set[int]] = {m: set() for ids in modules.values() for m in ids}
    for lesson_id, module_id in db.session.execute(
        select(Lesson.id, Lesson.module_id).where(Lesson.course_id.in_(course_ids), Lesson.archived_at.is_(None))
    ):
        if module_id in lessons:
            lessons[module_id].add(lesson_id)
    done = set(
        db.session.scalars(
            select(LessonProgress.lesson_id)
            .join(Lesson, Lesson.id == LessonProgress.lesson_id)
            .where(LessonProgress.user_id == user_id, Lesson.course_id.in_(course_ids))
        )
    )
    quizzes = dict(
        db.session.execute(
            select(Quiz.module_id, Quiz.id).where(
                Quiz.course_id.in_(course_ids), Quiz.module_id.is_not(None), Quiz.archived_at.is_(None)
            )
        ).all()
    )
    passed = passed_quiz_ids(user_id, list(quizzes.values()))
    return {
        cid: (
            sum(1 for m in ids if lessons[m] <= done and (m not in quizzes or quizzes[m] in passed)),
            len(ids),
        )
        for cid, ids in modules.items()
    }
