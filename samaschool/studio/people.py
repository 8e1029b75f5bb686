"""People of a course in the studio: its staff (owners and co-trainers) and its learners.

Rules, testable without a request: every function takes the acting user. Staff changes are
audited and a replay changes nothing twice. The learners' report is a handful of SQL aggregates
whatever the number of learners (tests/test_query_budgets.py holds it to that).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import case, delete, distinct, func, literal, select, type_coerce, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from samaschool import audit
from samaschool.assessments.models import Attempt, Quiz
from samaschool.auth.models import User
from samaschool.auth.services import find_user_by_email
from samaschool.catalog.models import Course, Enrolment, Lesson, Module
from samaschool.db_types import UTCDateTime
from samaschool.errors import DomainError, NotAllowed
from samaschool.extensions import db
from samaschool.learning.models import LessonProgress
from samaschool.learning.services import Progress
from samaschool.permissions import Role, teaches
from samaschool.spreadsheets import csv_safe
from samaschool.studio.access import can_manage_staff
from samaschool.studio.models import STAFF_ROLES, CourseStaff

# Staff ------------------------------------------------------------------------------------


class StaffError(DomainError):
    """A staff change that cannot be made as asked (the message says why)."""


def staff_of(course: Course) -> list[CourseStaff]:
    """The course's owners, then its co-trainers, each by name, with their accounts loaded."""
    return list(
        db.session.scalars(
            select(CourseStaff)
            .join(User, User.id == CourseStaff.user_id)
            .where(CourseStaff.course_id == course.id)
            .options(contains_eager(CourseStaff.user))
            .order_by(case((CourseStaff.role == "owner", 0), else_=1), func.lower(User.name), User.id)
        )
    )


def _lock_course(course: Course) -> None:
    """Staff changes of one course take turns (PostgreSQL; SQLite's form posts already do), so
    two owners leaving at once cannot leave the course without one."""
    db.session.execute(select(Course.id).where(Course.id == course.id).with_for_update(key_share=True))


def add_staff(actor: User, course: Course, email: str, role: str = "co_trainer") -> str:
    """Make the trainer with `email` an owner or co-trainer of `course`. Owners and admins add
    co-trainers; only admins add owners or change an owner's role. Returns "added", "changed" or
    "unchanged" (already so: a replay changes nothing); raises NotAllowed or StaffError."""
    if not can_manage_staff(actor, course):
        raise NotAllowed(_("Only the course's owners and admins can change its staff."))
    if role not in STAFF_ROLES:
        raise StaffError(_("Choose owner or co-trainer."))
    is_admin = actor.role == Role.ADMIN
    if role == "owner" and not is_admin:
        raise NotAllowed(_("Only an admin can add or change owners."))
    user = find_user_by_email(email)
    if user is None:
        raise StaffError(_("No account has this email."))
    if user.role != Role.TRAINER:
        raise StaffError(
            _(
                "%(name)s is not a trainer. An admin must give them the trainer role first (Admin → Users).",
                name=user.name,
            )
        )
    _lock_course(course)
    current = db.session.scalar(
        select(CourseStaff).where(CourseStaff.course_id == course.id, CourseStaff.user_id == user.id)
    )
    if current is not None:
        if current.role == role:
            return "unchanged"
        if not is_admin:  # an owner made co-trainer: changing an owner is for admins
            raise NotAllowed(_("Only an admin can add or change owners."))
        was = current.role
        changed = db.session.execute(
            update(CourseStaff).where(CourseStaff.id == current.id, CourseStaff.role == was).values(role=role)
        )
        if changed.rowcount != 1:
            return "unchanged"
        audit.record(
            actor,
            "course_staff.role_changed",
            course,
            before={"user_id": user.id, "role": was},
            after={"user_id": user.id, "role": role},
        )
        return "changed"
    try:
        with db.session.begin_nested():
            db.session.add(CourseStaff(course_id=course.id, user_id=user.id, role=role))
    except IntegrityError:  # added by a simultaneous request
        return "unchanged"
    audit.record(actor, "course_staff.added", course, after={"user_id": user.id, "role": role})
    return "added"


def remove_staff(actor: User, course: Course, user_id: int) -> bool:
    """Take `user_id` off the course's staff. Owners remove co-trainers, and themselves while
    another owner remains; only admins remove another owner (or the last one). Returns False when
    they were not on the staff (a replay); raises NotAllowed or StaffError."""
    if not can_manage_staff(actor, course):
        raise NotAllowed(_("Only the course's owners and admins can change its staff."))
    _lock_course(course)
    member = db.session.scalar(
        select(CourseStaff).where(CourseStaff.course_id == course.id, CourseStaff.user_id == user_id)
    )
    if member is None:
        return False
    if member.role == "owner" and actor.role != Role.ADMIN:
        if member.user_id != actor.id:
            raise NotAllowed(_("Only an admin can add or change owners."))
        owners = db.session.scalar(
            select(func.count()).where(CourseStaff.course_id == course.id, CourseStaff.role == "owner")
        )
        if owners <= 1:
            raise StaffError(
                _("You are the course's only owner: an admin must add another owner before you can leave it.")
            )
    removed = db.session.execute(delete(CourseStaff).where(CourseStaff.id == member.id))
    if removed.rowcount != 1:
        return False
    audit.record(actor, "course_staff.removed", course, before={"user_id": member.user_id, "role": member.role})
    return True


# Learners ---------------------------------------------------------------------------------

PER_PAGE = 50
SORTS = ("name", "email", "enrolled", "progress", "activity")


@dataclass(frozen=True)
class QuizResult:
    best_percent: float | None
    passed: bool
    attempts: int


@dataclass(frozen=True)
class LearnerRow:
    user_id: int
    name: str
    email: str
    enrolled_at: datetime
    last_activity_at: datetime
    progress: Progress
    results: dict[int, QuizResult]


@dataclass(frozen=True)
class StopPoint:
    lesson: Lesson
    learners: int


@dataclass(frozen=True)
class DropOff:
    """Where learners who have not finished stopped: `stops` has every live lesson in order with
    the number of such learners whose furthest completed lesson it is; `not_started` completed
    none."""

    stops: list[StopPoint]
    not_started: int
    unfinished: int
    finished: int

    @property
    def most(self) -> StopPoint | None:
        """The lesson most learners stopped after (the earliest of equals), or None."""
        best = None
        for stop in self.stops:
            if stop.learners and (best is None or stop.learners > best.learners):
                best = stop
        return best


@dataclass(frozen=True)
class Pager:
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


@dataclass(frozen=True)
class LearnersReport:
    course: Course
    lessons: list[Lesson]
    quizzes: list[Quiz]
    rows: list[LearnerRow]
    pager: Pager
    sort: str
    descending: bool
    dropoff: DropOff


def live_lessons(course: Course) -> list[Lesson]:
    """The lessons learners see, in the course's order (as learning.services counts them)."""
    return list(
        db.session.scalars(
            select(Lesson)
            .join(Module, Module.id == Lesson.module_id)
            .where(Lesson.course_id == course.id, Lesson.archived_at.is_(None), Module.archived_at.is_(None))
            .order_by(Module.position, Lesson.position, Lesson.id)
        )
    )


def live_quizzes(course: Course) -> list[Quiz]:
    """The quizzes that count towards progress: module quizzes in module order, then the exam."""
    return list(
        db.session.scalars(
            select(Quiz)
            .outerjoin(Module, Module.id == Quiz.module_id)
            .where(Quiz.course_id == course.id, Quiz.archived_at.is_(None))
            .order_by(case((Quiz.module_id.is_(None), 1), else_=0), Module.position, Quiz.id)
        )
    )


def _greatest(*values):
    """The latest of several never-empty times, on SQLite and PostgreSQL."""
    name = "greatest" if db.session.get_bind().dialect.name == "postgresql" else "max"
    return type_coerce(getattr(func, name)(*values), UTCDateTime())


class _Columns:
    """The per-learner figures of one course as SQL: one row per enrolment."""

    def __init__(self, course: Course, steps: int):
        ordered = (
            select(
                Lesson.id.label("lesson_id"),
                func.row_number().over(order_by=(Module.position, Lesson.position, Lesson.id)).label("n"),
            )
            .join(Module, Module.id == Lesson.module_id)
            .where(Lesson.course_id == course.id, Lesson.archived_at.is_(None), Module.archived_at.is_(None))
            .subquery()
        )
        lessons = (
            select(
                LessonProgress.user_id.label("user_id"),
                func.count(ordered.c.n).label("done"),  # live lessons only
                func.max(ordered.c.n).label("furthest"),
                func.max(LessonProgress.completed_at).label("last_at"),
            )
            .join(Lesson, Lesson.id == LessonProgress.lesson_id)
            .outerjoin(ordered, ordered.c.lesson_id == LessonProgress.lesson_id)
            .where(Lesson.course_id == course.id)
            .group_by(LessonProgress.user_id)
            .subquery()
        )
        counted = case((Attempt.passed.is_(True) & Quiz.archived_at.is_(None), Attempt.quiz_id))
        attempts = (
            select(
                Attempt.user_id.label("user_id"),
                func.count(distinct(counted)).label("passed"),  # live quizzes passed
                func.max(func.coalesce(Attempt.submitted_at, Attempt.started_at)).label("last_at"),
            )
            .join(Quiz, Quiz.id == Attempt.quiz_id)
            .where(Quiz.course_id == course.id)
            .group_by(Attempt.user_id)
            .subquery()
        )
        self.steps = steps
        self.done = (func.coalesce(lessons.c.done, 0) + func.coalesce(attempts.c.passed, 0)).label("done")
        self.furthest = lessons.c.furthest.label("furthest")
        enrolled = Enrolment.enrolled_at
        self.last_activity = _greatest(
            enrolled,
            func.coalesce(Enrolment.last_activity_at, enrolled),
            func.coalesce(lessons.c.last_at, enrolled),
            func.coalesce(attempts.c.last_at, enrolled),
        ).label("last_activity")
        self.base = (
            select()
            .select_from(Enrolment)
            .join(User, User.id == Enrolment.user_id)
            .outerjoin(lessons, lessons.c.user_id == Enrolment.user_id)
            .outerjoin(attempts, attempts.c.user_id == Enrolment.user_id)
            .where(Enrolment.course_id == course.id)
        )

    def rows(self):
        return self.base.add_columns(
            Enrolment.id,
            User.id.label("user_id"),
            User.name,
            User.email,
            Enrolment.enrolled_at,
            self.last_activity,
            self.done,
        )

    def order(self, sort: str, descending: bool):
        column = {
            "name": func.lower(User.name),
            "email": User.email,
            "enrolled": Enrolment.enrolled_at,
            "progress": self.done,
            "activity": self.last_activity,
        }[sort]
        return (column.desc() if descending else column.asc(), func.lower(User.name), Enrolment.id)


def _quiz_results(course: Course, user_ids=None) -> dict[int, dict[int, QuizResult]]:
    """Best score, passed and submitted attempts per learner and live quiz (all enrolled learners,
    or those of `user_ids`)."""
    query = (
        select(
            Attempt.user_id,
            Attempt.quiz_id,
            func.max(Attempt.score_percent),
            func.max(case((Attempt.passed.is_(True), 1), else_=0)),
            func.count(),
        )
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(Quiz.course_id == course.id, Quiz.archived_at.is_(None), Attempt.state == "submitted")
        .group_by(Attempt.user_id, Attempt.quiz_id)
    )
    if user_ids is not None:
        query = query.where(Attempt.user_id.in_(user_ids))
    results: dict[int, dict[int, QuizResult]] = {}
    for user_id, quiz_id, best, passed, count in db.session.execute(query):
        results.setdefault(user_id, {})[quiz_id] = QuizResult(best, bool(passed), count)
    return results


def _rows(columns: _Columns, query, results) -> list[LearnerRow]:
    return [
        LearnerRow(
            user_id=row.user_id,
            name=row.name,
            email=row.email,
            enrolled_at=row.enrolled_at,
            last_activity_at=row.last_activity,
            progress=Progress(done=row.done, total=columns.steps),
            results=results.get(row.user_id, {}),
        )
        for row in query
    ]


def _dropoff(columns: _Columns, lessons: list[Lesson]) -> DropOff:
    learners = columns.base.add_columns(columns.done, columns.furthest).subquery()
    finished = case((learners.c.done >= columns.steps, 1), else_=0) if columns.steps else literal(0)
    per_lesson = {}
    not_started = unfinished = finished_count = 0
    for furthest, count, done in db.session.execute(
        select(learners.c.furthest, func.count(), func.coalesce(func.sum(finished), 0)).group_by(learners.c.furthest)
    ):
        finished_count += done
        unfinished += count - done
        if furthest is None:
            not_started += count - done
        else:
            per_lesson[furthest] = count - done
    stops = [StopPoint(lesson, per_lesson.get(n, 0)) for n, lesson in enumerate(lessons, start=1)]
    return DropOff(stops=stops, not_started=not_started, unfinished=unfinished, finished=finished_count)


def _check(actor: User, course: Course) -> None:
    if not teaches(actor, course.id):
        raise NotAllowed(_("Only the course's trainers and admins can see its learners."))


def learners_report(
    actor: User, course: Course, *, sort: str = "name", descending: bool = False, page: int = 1
) -> LearnersReport:
    """One page of the course's enrolled learners with their progress (lessons completed and
    quizzes passed, as on the learner's dashboard), last activity and quiz results, sorted by one
    of SORTS, and where the learners who have not finished stopped."""
    _check(actor, course)
    sort = sort if sort in SORTS else "name"
    lessons, quizzes = live_lessons(course), live_quizzes(course)
    columns = _Columns(course, len(lessons) + len(quizzes))
    total = db.session.scalar(select(func.count()).where(Enrolment.course_id == course.id))
    pager = Pager(page=page, per_page=PER_PAGE, total=total)
    query = columns.rows().order_by(*columns.order(sort, descending)).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    found = db.session.execute(query).all()
    results = _quiz_results(course, [row.user_id for row in found])
    return LearnersReport(
        course=course,
        lessons=lessons,
        quizzes=quizzes,
        rows=_rows(columns, found, results),
        pager=pager,
        sort=sort,
        descending=descending,
        dropoff=_dropoff(columns, lessons),
    )


def _utc(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")


def learners_csv(actor: User, course: Course, *, sort: str = "name", descending: bool = False) -> str:
    """Every enrolled learner (not one page) as CSV, the columns of the learners page; text cells
    that a spreadsheet would run as a formula are neutralised."""
    _check(actor, course)
    sort = sort if sort in SORTS else "name"
    lessons, quizzes = live_lessons(course), live_quizzes(course)
    columns = _Columns(course, len(lessons) + len(quizzes))
    rows = _rows(
        columns, db.session.execute(columns.rows().order_by(*columns.order(sort, descending))), _quiz_results(course)
    )
    out = io.StringIO()
    writer = csv.writer(out)
    header = [_("Name"), _("Email"), _("Enrolled (UTC)"), _("Percent complete"), _("Last activity (UTC)")]
    for quiz in quizzes:
        header += [
            _("%(quiz)s: best score (%%)", quiz=quiz.title),
            _("%(quiz)s: passed", quiz=quiz.title),
            _("%(quiz)s: attempts", quiz=quiz.title),
        ]
    writer.writerow([csv_safe(cell) for cell in header])
    for row in rows:
        cells = [csv_safe(row.name), csv_safe(row.email), _utc(row.enrolled_at), str(row.progress.percent)]
        cells.append(_utc(row.last_activity_at))
        for quiz in quizzes:
            result = row.results.get(quiz.id)
            if result is None:
                cells += ["", "", "0"]
            else:
                best = "" if result.best_percent is None else f"{result.best_percent:.0f}"
                cells += [best, _("yes") if result.passed else _("no"), str(result.attempts)]
        writer.writerow(cells)
    return out.getvalue()
