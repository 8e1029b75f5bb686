"""Synthetic, deterministic demo data on top of the courses, quizzes, certifications and pools
already in the database: learners who sign up over 18 months (more each month), enrol, drop off
lesson by lesson, take the real quizzes, earn (and some lose) certificates, work in the pools, are
reviewed, suspended and paid. For demos, and for measuring the admin statistics at scale.

Deterministic: the same seed, number of learners and end date (`until`) on the same starting
database give exactly the same rows. Each learner draws from a random generator seeded with the
seed and the learner's number, and ids are taken in order. The signed credentials also depend on
the site's signing key and public address: they are signed for real (about 60 µs each), so demo
certificates verify like any other.

Demo rows are recognisable: every demo account's email is at DEMO_DOMAIN (reserved, never
delivered), and every task the generator adds to a pool has an external id starting "demo-".

A database holds real users when it has any account other than demo accounts and the first
admin made by `flask users ensure-admin` (an admin whose creation the audit log records as
`user.created_admin`); `flask pools seed-demo` makes no accounts. The generator refuses such a
database unless forced. A seed already generated in a database is not generated again: the run
changes nothing and says so (another seed adds more learners).
"""

from __future__ import annotations

import json
import math
import random
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from hashlib import scrypt
from types import SimpleNamespace
from typing import Any

from flask import current_app
from sqlalchemy import and_, delete, exists, func, select

from samaschool.assessments.models import Question, Quiz
from samaschool.assessments.question_types import REGISTRY as QUESTION_TYPES
from samaschool.audit import AuditEntry
from samaschool.auth.models import PUBLIC_ID_ALPHABET, User
from samaschool.catalog.models import Course, Lesson, Module
from samaschool.certification import credentials
from samaschool.certification.models import Certification
from samaschool.certification.services import CODE_ALPHABET, CODE_LENGTH, add_months
from samaschool.demo import answers, people
from samaschool.demo.bulk import Batch, check_columns
from samaschool.extensions import db
from samaschool.permissions import Role
from samaschool.pools.models import PayoutBatch, PayoutLine, Pool, Task
from samaschool.pools.quality import BATCH_SIZE, ROLLING_WINDOW
from samaschool.pools.task_types import REGISTRY as TASK_TYPES

DEMO_DOMAIN = "demo.samaschool.invalid"
DEFAULT_PASSWORD = "samaschool-demo"  # noqa: S105 (demo accounts only; the command prints it)
DEMO_TASK_PREFIX = "demo-"
HISTORY_DAYS = 540  # about 18 months
LEARNERS_PER_TRANSACTION = 2000
DAY = 86400.0
HOUR = 3600.0
MINUTE = 60.0

# Shares, tuned so that 100,000 learners make about 150,000 enrolments, a million lessons done,
# 300,000 quiz attempts and 30,000 certificates.
ENROLMENTS = ((0, 0.12), (1, 0.36), (2, 0.34), (3, 0.18))  # courses per learner
NEVER_STARTED = 0.12  # of enrolments: enrolled, never finished a lesson
NEVER_WORKS = 0.25  # of learners a pool is open to
QUESTIONS_SHARE = 0.05  # of submitted attempts, stored with their questions (for quiz statistics)
REVOKED = 0.006  # of certificates
EXPIRED_CLAIMS = 0.04  # of claims on pool tasks
REVERSED = 0.004  # of approvals, reversed later
BONUS = 0.03  # of workers
FAILED_PAYOUT = 0.01  # of payout lines

REJECTION_REASONS = (
    "The label does not match the guidelines: re-read the category rules.",
    "This answer leaves out part of the task.",
    "The answer does not follow the pool's instructions.",
)
REVERSAL_REASON = "On a second look the answer breaks the guidelines."
REVOCATION_REASONS = (
    "Exam answers were shared with other learners.",
    "The certificate was issued to the wrong account.",
)
BONUS_REASON = "Careful work on check tasks this month."
PAYOUT_FAILED_NOTE = "The number is not registered for mobile money."


def _columns(names: str) -> tuple[str, ...]:
    return tuple(names.split())


COLUMNS: dict[str, tuple[str, ...]] = {
    "users": _columns(
        "id public_id email name certificate_name password_hash role is_active country preferred_language "
        "timezone gender payout_account is_pool_manager birth_year created_at last_login_at"
    ),
    "course_staff": _columns("id course_id user_id role added_at"),
    "payout_batches": _columns("id created_at created_by_id currency threshold_minor"),
    "enrolments": _columns("id user_id course_id enrolled_at last_lesson_id last_activity_at completed_at"),
    "lesson_progress": _columns("id user_id lesson_id completed_at"),
    "attempts": _columns(
        "id quiz_id user_id number state started_at deadline_at submitted_at score_points max_points "
        "score_percent passed last_page sections"
    ),
    "attempt_questions": _columns(
        "id attempt_id question_id position layout response saved_at points score is_correct answer_key"
    ),
    "certificates": _columns(
        "id user_id certification_id cycle code holder_name issued_at expires_at revoked_at revocation_reason "
        "revoked_by_id credential_jwt key_id issuer_id credential_id"
    ),
    "tasks": _columns(
        "id pool_id external_id payload gold_answer is_gold slots_taken filled consensus_answer created_at"
    ),
    "assignments": _columns(
        "id task_id pool_id worker_id state claimed_at lease_expires_at submitted_at answer is_gold gold_correct "
        "review_state review_reason reviewed_at reviewed_by_id"
    ),
    "pool_suspensions": _columns("id pool_id worker_id started_at ends_at reason lifted_at lifted_by_id"),
    "pool_skill_snapshots": _columns("id pool_id worker_id answered correct answers_seen taken_at"),
    "payout_lines": _columns(
        "id batch_id worker_id currency amount_minor reference state note payee_name payout_account"
    ),
    "earning_entries": _columns(
        "id worker_id pool_id assignment_id kind amount_minor currency reason created_at created_by_id payout_line_id"
    ),
    "audit_entries": _columns("id created_at actor_id action target_type target_id reason before after"),
}
# In the order they are written: a row's parents before it (foreign keys are checked at once).
SETUP_TABLES = ("users", "course_staff", "payout_batches")
LEARNER_TABLES = (
    "users",
    "enrolments",
    "lesson_progress",
    "attempts",
    "attempt_questions",
    "certificates",
    "tasks",
    "assignments",
    "pool_suspensions",
    "pool_skill_snapshots",
    "payout_lines",
    "earning_entries",
    "audit_entries",
)


class DemoRefused(Exception):
    """The generator will not run here; the message says why and what to do."""


@dataclass
class Summary:
    seed: int
    learners: int
    rows: dict[str, int] = field(default_factory=dict)
    already_generated: int = 0  # accounts of this seed found: nothing was added
    notes: list[str] = field(default_factory=list)


# Which accounts are demo accounts, and which are real ---------------------------------------------


def demo_email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


def is_demo_user():
    return User.email.like(f"%@{DEMO_DOMAIN}")


def first_admin():
    """The admin `flask users ensure-admin` created (it records `user.created_admin`)."""
    return and_(
        User.role == Role.ADMIN,
        exists().where(
            AuditEntry.action == "user.created_admin",
            AuditEntry.target_type == "users",
            AuditEntry.target_id == User.id,
        ),
    )


def real_user_count() -> int:
    """Accounts that are neither demo accounts nor the first admin: people's, never to be mixed with demo data."""
    return db.session.scalar(select(func.count()).select_from(User).where(~is_demo_user(), ~first_admin())) or 0


def seed_user_count(seed: int) -> int:
    """Demo accounts made with this seed (their emails end `.s<seed>@` the demo domain)."""
    return db.session.scalar(select(func.count()).select_from(User).where(User.email.like(f"%.s{seed}@{DEMO_DOMAIN}")))


# What is already there: courses, quizzes, certifications, pools ----------------------------------


@dataclass
class QuizInfo:
    id: int
    is_exam: bool
    pass_mark: int
    max_attempts: int
    retry_delay: float  # seconds
    time_limit: float  # seconds, 0: none
    per_day: int | None
    shuffle_choices: bool
    shuffle_questions: bool
    fixed: list[tuple] | None  # the questions of a fixed list, or None when drawn by rules
    rules: list[dict]
    sections: list[dict]  # of a fixed list
    bank: list[tuple]  # the course's questions (id, key, type, points, data, tags)
    max_points: float


@dataclass
class CourseInfo:
    id: int
    slug: str
    steps: list[tuple[str, Any]]  # ("lesson", lesson id) or ("quiz", QuizInfo), in the learner's order
    first_lesson: int | None


@dataclass
class CertificationInfo:
    id: int
    template: SimpleNamespace  # what credentials.build_credential reads of a certification
    validity_months: int | None
    course_ids: list[int] | None  # None: a required course is missing, so it cannot be earned
    quiz_rules: list[tuple[int, float]] | None


@dataclass
class PoolInfo:
    id: int
    task_type: str
    labels: list[str]
    reward: int
    currency: str
    overlap: int
    lease: float  # seconds
    daily_cap: int | None
    review_mode: str
    auto_days: int | None
    auto_accuracy: int | None
    min_gold: int
    threshold: int
    suspension_days: int
    required: list[int] | None  # certification ids; None: needs one that does not exist
    countries: list[str]
    matcher: SimpleNamespace  # what a task type's `matches` reads of a pool
    templates: list[tuple[str, str, Any, bool]]  # (payload json, gold json, gold, is_gold) of its own tasks
    examples: list[Any]  # its gold answers, as plausible answers to tasks without gold


@dataclass
class Context:
    courses: list[CourseInfo]
    course_weights: list[float]
    certifications: list[CertificationInfo]
    pools: list[PoolInfo]


def _question_row(question: Question) -> tuple:
    return (question.id, question.key, question.type, question.points, question.data, tuple(question.tags or ()))


def _quiz_info(quiz: Quiz, bank: list[tuple]) -> QuizInfo:
    by_key = {q[1]: q for q in bank}
    fixed = [by_key[key] for key in quiz.question_keys if key in by_key] if quiz.question_keys else None
    if fixed is not None:
        max_points = float(sum(q[3] for q in fixed))
    else:
        max_points, taken = 0.0, set()
        for rule in quiz.draw_rules:
            eligible = [q for q in bank if q[0] not in taken and set(q[5]) & set(rule["tags"])][: rule["count"]]
            taken.update(q[0] for q in eligible)
            max_points += sum(q[3] for q in eligible)
    return QuizInfo(
        id=quiz.id,
        is_exam=quiz.module_id is None,
        pass_mark=quiz.pass_mark_percent,
        max_attempts=quiz.max_attempts,
        retry_delay=quiz.retry_delay_minutes * MINUTE,
        time_limit=quiz.time_limit_minutes * MINUTE,
        per_day=quiz.attempts_per_day,
        shuffle_choices=quiz.shuffle_choices,
        shuffle_questions=quiz.shuffle_questions,
        fixed=fixed,
        rules=list(quiz.draw_rules or []),
        sections=list(quiz.sections or []),
        bank=bank,
        max_points=max_points,
    )


def load_context() -> Context:
    session = db.session
    courses = list(session.scalars(select(Course).where(Course.is_published.is_(True)).order_by(Course.id)))
    infos, by_slug = [], {}
    for course in courses:
        modules = list(
            session.scalars(
                select(Module)
                .where(Module.course_id == course.id, Module.archived_at.is_(None))
                .order_by(Module.position, Module.id)
            )
        )
        lessons = list(
            session.scalars(
                select(Lesson)
                .where(Lesson.course_id == course.id, Lesson.archived_at.is_(None))
                .order_by(Lesson.position, Lesson.id)
            )
        )
        bank = [
            _question_row(q)
            for q in session.scalars(
                select(Question)
                .where(Question.course_id == course.id, Question.archived_at.is_(None))
                .order_by(Question.id)
            )
        ]
        quizzes = list(
            session.scalars(
                select(Quiz).where(Quiz.course_id == course.id, Quiz.archived_at.is_(None)).order_by(Quiz.id)
            )
        )
        steps: list[tuple[str, Any]] = []
        module_ids = {module.id for module in modules}
        for module in modules:
            steps += [("lesson", lesson.id) for lesson in lessons if lesson.module_id == module.id]
            steps += [("quiz", _quiz_info(quiz, bank)) for quiz in quizzes if quiz.module_id == module.id]
        steps += [("quiz", _quiz_info(quiz, bank)) for quiz in quizzes if quiz.module_id not in module_ids]
        lesson_ids = [value for kind, value in steps if kind == "lesson"]
        if not lesson_ids:
            continue
        info = CourseInfo(course.id, course.slug, steps, lesson_ids[0])
        infos.append(info)
        by_slug[course.slug] = info
    quiz_by_key = {
        (course_slug, quiz_key): quiz_id
        for course_slug, quiz_key, quiz_id in session.execute(
            select(Course.slug, Quiz.key, Quiz.id)
            .join(Quiz, Quiz.course_id == Course.id)
            .where(Quiz.archived_at.is_(None))
        )
    }
    certifications = []
    for certification in session.scalars(
        select(Certification).where(Certification.archived_at.is_(None)).order_by(Certification.id)
    ):
        criteria = certification.criteria or {}
        course_slugs = criteria.get("courses", [])
        rules = criteria.get("quizzes", [])
        course_ids = [by_slug[slug].id for slug in course_slugs] if all(s in by_slug for s in course_slugs) else None
        quiz_rules = [(quiz_by_key.get((r["course"], r["quiz"])), float(r.get("min_percent", 0))) for r in rules]
        certifications.append(
            CertificationInfo(
                id=certification.id,
                template=SimpleNamespace(
                    slug=certification.slug,
                    name=certification.name,
                    description=certification.description,
                    criteria=criteria,
                    badge_png=certification.badge_png,
                ),
                validity_months=certification.validity_months,
                course_ids=course_ids,
                quiz_rules=None if any(quiz_id is None for quiz_id, _ in quiz_rules) else quiz_rules,
            )
        )
    certification_ids = {c.template.slug: c.id for c in certifications}
    pools = []
    for pool in session.scalars(select(Pool).where(Pool.status != "draft").order_by(Pool.id)):
        templates = [
            (json.dumps(payload), json.dumps(gold), gold, bool(is_gold))
            for payload, gold, is_gold in session.execute(
                select(Task.payload, Task.gold_answer, Task.is_gold)
                .where(Task.pool_id == pool.id, ~Task.external_id.startswith(DEMO_TASK_PREFIX))
                .order_by(Task.id)
            )
        ]
        if not templates:
            continue
        required = [certification_ids.get(slug) for slug in pool.required_certifications]
        pools.append(
            PoolInfo(
                id=pool.id,
                task_type=pool.task_type,
                labels=list(pool.labels or []),
                reward=pool.reward_minor,
                currency=pool.currency,
                overlap=pool.overlap,
                lease=pool.lease_minutes * MINUTE,
                daily_cap=pool.daily_cap,
                review_mode=pool.review_mode,
                auto_days=pool.auto_approve_days,
                auto_accuracy=pool.auto_approve_accuracy,
                min_gold=pool.quality_min_gold,
                threshold=pool.quality_threshold_percent,
                suspension_days=pool.suspension_days,
                required=None if None in required else required,
                countries=list(pool.countries or []),
                matcher=SimpleNamespace(
                    max_error_percent=pool.max_error_percent, iou_threshold_percent=pool.iou_threshold_percent
                ),
                templates=templates,
                examples=[gold for _p, _g, gold, is_gold in templates if is_gold],
            )
        )
    # Earlier courses draw more learners (the first is the way in), none fewer than a third as many.
    weights = [max(1 / 3, 1 / (1 + 0.3 * n)) for n in range(len(infos))]
    return Context(infos, weights, certifications, pools)


# Small helpers ------------------------------------------------------------------------------------


def password_hash(password: str, rng: random.Random) -> str:
    """One hash for every demo account, in Werkzeug's scrypt format with a salt from the seed: the
    same seed gives the same rows, and 100,000 accounts cost one hash, not 100,000."""
    method = current_app.config.get("SAMASCHOOL_PASSWORD_HASH_METHOD", "scrypt")
    name, *args = method.split(":")
    if name != "scrypt":
        raise DemoRefused(f"demo accounts need scrypt password hashing, not {method}")
    n, r, p = map(int, args) if args else (2**15, 8, 1)
    salt = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(16))
    digest = scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=132 * n * r * p).hex()
    return f"scrypt:{n}:{r}:{p}${salt}${digest}"


def _dumps(value) -> str:
    return json.dumps(value)


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _gap(rng: random.Random) -> float:
    """Time between two lessons: often the same sitting, else a few days."""
    return rng.uniform(4, 25) * MINUTE if rng.random() < 0.55 else rng.expovariate(1 / (2.5 * DAY))


def _month_starts(start: float, end: float) -> list[float]:
    moment = datetime.fromtimestamp(start, UTC)
    month = datetime(moment.year, moment.month, 1, 9, tzinfo=UTC)
    result = []
    while True:
        month = add_months(month, 1)
        if month.timestamp() >= end:
            return result
        result.append(month.timestamp())


# The learners ---------------------------------------------------------------------------------------


@dataclass
class Staff:
    reviewer: int  # the demo pool manager: reviews by hand, suspends, lifts suspensions
    trainer: int


@dataclass
class Generation:
    """Everything one run needs while it makes each learner."""

    seed: int
    start: float
    end: float
    context: Context
    staff: Staff
    password_hash: str
    batches: dict[str, list[tuple[int, float, int]]]  # currency -> [(batch id, date, threshold)]
    signups: list[float]

    def learner(self, b: Batch, index: int) -> None:
        rng = random.Random(f"samaschool-demo:{self.seed}:{index}")
        signup = self.signups[index]
        who = people.person(rng, datetime.fromtimestamp(signup, UTC).year)
        user_id = b.new_id("users")
        ability = rng.gauss(0, 1)
        activity = [signup]
        results: dict[int, dict] = {}
        count = rng.choices([n for n, _ in ENROLMENTS], weights=[w for _, w in ENROLMENTS])[0]
        chosen = self._choose_courses(rng, count)
        enrolled = signup
        for position, course in enumerate(chosen):
            if position == 0:
                enrolled += rng.uniform(1, 60) * MINUTE if rng.random() < 0.7 else rng.expovariate(1 / (8 * DAY))
            else:
                enrolled += 10 * MINUTE + rng.expovariate(1 / (25 * DAY))
            if enrolled >= self.end:
                break
            results[course.id] = self._course(b, rng, user_id, course, enrolled, ability)
            activity.append(results[course.id]["last"])
        certificates = self._certificates(b, rng, user_id, who, results)
        worked = self._pool_work(b, rng, user_id, who, ability, certificates)
        activity += worked
        last_login = max(signup, min(self.end - 1, max(activity) + rng.uniform(0, 600)))
        b.add(
            "users",
            (
                user_id,
                "usr_" + "".join(rng.choice(PUBLIC_ID_ALPHABET) for _ in range(16)),
                demo_email(f"{who.email_name}.{index + 1}.s{self.seed}"),
                who.name,
                None,
                self.password_hash,
                Role.LEARNER.value,
                True,
                who.country,
                who.preferred_language,
                who.timezone,
                who.gender,
                who.payout_account if worked else None,
                False,
                who.birth_year,
                b.time(signup),
                b.time(last_login),
            ),
        )

    def _choose_courses(self, rng: random.Random, count: int) -> list[CourseInfo]:
        courses, weights = list(self.context.courses), list(self.context.course_weights)
        chosen = []
        for _ in range(min(count, len(courses))):
            pick = rng.choices(range(len(courses)), weights=weights)[0]
            chosen.append(courses.pop(pick))
            weights.pop(pick)
        return chosen

    # Lessons and quizzes -------------------------------------------------------------------------

    def _course(self, b: Batch, rng: random.Random, user_id: int, course: CourseInfo, enrolled: float, ability):
        """Walk the course: lessons in order, each module's quiz after its lessons, the exam at the
        end. Most learners stop somewhere; a finisher goes on until the end (or the end of time)."""
        draw = rng.random()
        finish_share = _clamp(0.3 + 0.07 * ability, 0.08, 0.6)
        if draw < NEVER_STARTED:
            budget = 0
        elif draw < NEVER_STARTED + finish_share:
            budget = math.inf
        else:
            budget = 1 + int(rng.expovariate(1 / 2.2))
        persistent = budget == math.inf
        t = enrolled + rng.uniform(0.5, 15) * MINUTE
        last_lesson, last_activity = None, None
        passes: dict[int, list[tuple[float, float]]] = {}  # quiz id -> [(percent, submitted)] of passed attempts
        complete = True
        for kind, step in course.steps:
            if kind == "lesson":
                if budget <= 0 or t >= self.end:
                    if t < self.end and rng.random() < 0.5:
                        last_lesson, last_activity = step, t  # opened, not finished
                    complete = False
                    break
                b.add("lesson_progress", (b.new_id("lesson_progress"), user_id, step, b.time(t)))
                budget -= 1
                last_lesson, last_activity = step, t
                t += _gap(rng)
            else:
                if budget <= 0 and rng.random() < 0.6:
                    complete = False
                    break
                passed, t_after, quiz_passes = self._quiz(b, rng, user_id, step, t, ability, persistent)
                if t_after is not None:
                    last_activity = t_after
                if quiz_passes:
                    passes[step.id] = quiz_passes
                if not passed:
                    complete = False
                    break
                t = t_after + _gap(rng)
        b.add(
            "enrolments",
            (
                b.new_id("enrolments"),
                user_id,
                course.id,
                b.time(enrolled),
                last_lesson,
                b.time(last_activity) if last_activity is not None else None,
                b.time(last_activity) if complete and last_activity is not None else None,
            ),
        )
        return {"complete": complete, "done_at": last_activity, "passes": passes, "last": last_activity or enrolled}

    def _quiz(self, b: Batch, rng, user_id: int, quiz: QuizInfo, t: float, ability: float, persistent: bool):
        """Attempts until a pass, giving up, running out of attempts or of time. Returns (passed,
        when the last attempt was submitted, the passes as [(percent, submitted)])."""
        mean = (77 if quiz.is_exam else 81) + 10 * ability
        # Starts more than a day / attempts_per_day apart never put more than that many in any 24 hours.
        per_day_gap = DAY / quiz.per_day + MINUTE if quiz.per_day else 0
        last_submit, passes, number = None, [], 0
        while True:
            number += 1
            if quiz.max_attempts and number > quiz.max_attempts:
                return False, last_submit, passes
            started = t + rng.uniform(1, 30) * MINUTE
            if started >= self.end:
                return False, last_submit, passes
            duration = rng.uniform(4, 30) * MINUTE
            if quiz.time_limit:
                duration = min(duration, quiz.time_limit - 30)
            submitted = started + max(duration, 20)
            target = _clamp(rng.gauss(mean + 5 * (number - 1), 13), 0, 100)
            if submitted >= self.end:  # still answering when the history ends
                if not quiz.time_limit:
                    self._attempt(b, rng, user_id, quiz, number, started, None, target)
                return False, last_submit, passes
            with_questions = rng.random() < QUESTIONS_SHARE
            percent, passed = self._attempt(
                b, rng, user_id, quiz, number, started, submitted, target, with_questions=with_questions
            )
            last_submit = submitted
            if passed:
                passes.append((percent, submitted))
                return True, submitted, passes
            gives_up = rng.random() < (0.1 if number < 5 else 0.5) if persistent else rng.random() < 0.6
            if gives_up:
                return False, last_submit, passes
            wait = rng.uniform(1, 60) * MINUTE if rng.random() < 0.5 else rng.expovariate(1 / DAY)
            t = max(submitted + quiz.retry_delay, started + per_day_gap) + wait

    def _attempt(self, b, rng, user_id, quiz: QuizInfo, number, started, submitted, target, *, with_questions=True):
        """One attempt: submitted (graded) or still open (`submitted` None). With its questions, the
        score is what the question types grade of the answers given; without, it is `target`."""
        attempt_id = b.new_id("attempts")
        deadline = b.time(started + quiz.time_limit) if quiz.time_limit else None
        sections_json, passed, percent = None, None, None
        score_points = max_points = None
        if with_questions:
            chosen, sections = self._draw(rng, quiz)
            earned = total = 0.0
            full_marks = set()
            answered = len(chosen) if submitted is not None else rng.randint(0, len(chosen))
            for position, (question_id, _key, kind_name, points, data, _tags) in enumerate(chosen, start=1):
                kind = QUESTION_TYPES[kind_name]
                layout = kind.layout(data, rng, quiz.shuffle_choices)
                response = None
                if position <= answered:
                    response = answers.question_response(kind_name, data, rng.random() * 100 < target, rng)
                saved = b.time(started + (submitted - started if submitted else 60) * position / (len(chosen) + 1))
                score = is_correct = answer_key = None
                if submitted is not None:
                    grade = kind.grade(data, response)
                    score = round(grade.fraction * points, 4)
                    is_correct = grade.correct
                    answer_key = grade.answer_key[:255]
                    total += points
                    earned += score
                    if is_correct:
                        full_marks.add(question_id)
                b.add(
                    "attempt_questions",
                    (
                        b.new_id("attempt_questions"),
                        attempt_id,
                        question_id,
                        position,
                        _dumps(layout),
                        _dumps(response) if response is not None else None,
                        saved if response is not None else None,
                        points,
                        score,
                        is_correct,
                        answer_key,
                    ),
                )
            if submitted is not None:
                percent = round(100 * earned / total, 2) if total else 0.0
                score_points, max_points = earned, total
                results = []
                for section in sections:
                    ids = section["question_ids"]
                    correct = sum(qid in full_marks for qid in ids)
                    minimum = section.get("min_correct")
                    met = minimum is None or correct >= minimum
                    results.append({**section, "count": len(ids), "correct": correct, "met": met})
                sections = results
                passed = percent >= quiz.pass_mark and all(section["met"] for section in sections)
            sections_json = _dumps(sections) if sections else None
        elif submitted is not None:
            max_points = quiz.max_points
            score_points = float(round(target / 100 * max_points))
            percent = round(100 * score_points / max_points, 2) if max_points else 0.0
            passed = percent >= quiz.pass_mark
        b.add(
            "attempts",
            (
                attempt_id,
                quiz.id,
                user_id,
                number,
                "submitted" if submitted is not None else "in_progress",
                b.time(started),
                deadline,
                b.time(submitted) if submitted is not None else None,
                score_points,
                max_points,
                percent,
                passed,
                1,
                sections_json,
            ),
        )
        return percent, passed

    @staticmethod
    def _draw(rng: random.Random, quiz: QuizInfo) -> tuple[list[tuple], list[dict]]:
        """The questions of an attempt and its sections, as assessments.services draws them."""
        sections = []
        if quiz.fixed is not None:
            chosen = list(quiz.fixed)
            ids = {q[1]: q[0] for q in chosen}
            for section in quiz.sections:
                sections.append(
                    {
                        "name": section["name"],
                        "min_correct": section.get("min_correct"),
                        "question_ids": [ids[key] for key in section["questions"] if key in ids],
                    }
                )
        else:
            chosen, taken = [], set()
            for rule in quiz.rules:
                pool = [q for q in quiz.bank if q[0] not in taken and set(q[5]) & set(rule["tags"])]
                picked = rng.sample(pool, min(rule["count"], len(pool)))
                chosen += picked
                taken.update(q[0] for q in picked)
                if rule.get("section"):
                    sections.append(
                        {
                            "name": rule["section"],
                            "min_correct": rule.get("min_correct"),
                            "question_ids": [q[0] for q in picked],
                        }
                    )
        if quiz.shuffle_questions:
            rng.shuffle(chosen)
        return chosen, sections

    # Certificates --------------------------------------------------------------------------------

    def _certificates(self, b: Batch, rng, user_id: int, who: people.Person, results: dict) -> dict[int, tuple]:
        """Issue each certification whose criteria the learner met, a moment after they were met
        (as the app does on the progress that completes them). Returns certification id ->
        (issued, expires or None, revoked or None)."""
        held = {}
        for certification in self.context.certifications:
            if certification.course_ids is None or certification.quiz_rules is None:
                continue
            moments = []
            for course_id in certification.course_ids:
                result = results.get(course_id)
                if result is None or not result["complete"]:
                    break
                moments.append(result["done_at"])
            else:
                for quiz_id, min_percent in certification.quiz_rules:
                    times = [
                        when
                        for result in results.values()
                        for percent, when in result["passes"].get(quiz_id, ())
                        if percent >= min_percent
                    ]
                    if not times:
                        break
                    moments.append(min(times))
                else:
                    if moments:
                        held[certification.id] = self._certificate(b, rng, user_id, who, certification, max(moments))
        return held

    def _certificate(self, b: Batch, rng, user_id: int, who, certification: CertificationInfo, met: float):
        certificate_id = b.new_id("certificates")
        issued = met + rng.uniform(0.2, 2)
        issued_at = datetime.fromtimestamp(issued, UTC)
        expires_at = add_months(issued_at, certification.validity_months) if certification.validity_months else None
        revoked = None
        if rng.random() < REVOKED:
            revoked = issued + rng.uniform(2, 120) * DAY
            if revoked >= self.end:
                revoked = None
        credential_id = f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}"
        code = "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        credential = credentials.build_credential(
            SimpleNamespace(
                certification=certification.template,
                credential_id=credential_id,
                issued_at=issued_at,
                expires_at=expires_at,
            ),
            demo_email("holder"),  # only its salted hash goes in; the holder's own email is not needed
        )
        token, key_id = credentials.sign(credential)
        reason = rng.choice(REVOCATION_REASONS) if revoked else None
        b.add(
            "certificates",
            (
                certificate_id,
                user_id,
                certification.id,
                1,
                code,
                who.name,
                b.time(issued),
                b.time(expires_at.timestamp()) if expires_at else None,
                b.time(revoked) if revoked else None,
                reason,
                None,
                token,
                key_id,
                credential["issuer"]["id"],
                credential_id,
            ),
        )
        self._audit(
            b, issued, None, "certificate.issued", "certificates", certificate_id, after={"code": code, "cycle": 1}
        )
        if revoked:
            self._audit(
                b,
                revoked,
                None,
                "certificate.revoked",
                "certificates",
                certificate_id,
                before={"status": "valid"},
                after={"status": "revoked"},
                reason=reason,
            )
        return issued, expires_at.timestamp() if expires_at else None, revoked

    @staticmethod
    def _audit(b: Batch, when: float, actor, action: str, target_type: str, target_id: int, **fields) -> None:
        before, after = fields.get("before"), fields.get("after")
        b.add(
            "audit_entries",
            (
                b.new_id("audit_entries"),
                b.time(when),
                actor,
                action,
                target_type,
                target_id,
                fields.get("reason") or "",
                _dumps(before),
                _dumps(after),
            ),
        )

    # Pool work -----------------------------------------------------------------------------------

    def _pool_work(self, b: Batch, rng, user_id: int, who, ability: float, certificates: dict) -> list[float]:
        """Claims, answers, reviews, suspensions, snapshots and the ledger of one worker in every
        pool they may work in. Returns the moments they worked (for their last login)."""
        accuracy = _clamp(rng.gauss(0.86 + 0.04 * ability, 0.08), 0.35, 0.995)
        if rng.random() < 0.08:
            accuracy = _clamp(rng.gauss(0.6, 0.08), 0.3, 0.8)  # a careless worker: suspensions come from these
        entries: list[list] = []  # [id, pool, assignment, kind, amount, currency, reason, created, by, line]
        moments: list[float] = []
        eligible = []
        for pool in self.context.pools:
            if pool.required is None or any(c not in certificates for c in pool.required):
                continue
            if pool.countries and who.country not in pool.countries:
                continue
            held = [certificates[c] for c in pool.required]
            opens = max((issued for issued, _e, _r in held), default=None)
            closes = min([self.end] + [e for _i, e, _r in held if e] + [r for _i, _e, r in held if r])
            eligible.append((pool, opens, closes))
        if not eligible or rng.random() < NEVER_WORKS:
            return moments
        rng.shuffle(eligible)
        for position, (pool, opens, closes) in enumerate(eligible):
            if position and rng.random() > 0.45:
                continue
            if opens is None:  # a pool that needs no certification: open to anyone certified in something
                if not certificates:
                    continue
                opens = min(issued for issued, _e, _r in certificates.values())
            moments += self._work_in_pool(b, rng, user_id, pool, opens, closes, accuracy, entries)
        if entries and rng.random() < BONUS:
            pool = eligible[0][0]
            when = rng.uniform(min(moments), max(moments)) if moments else None
            if when is not None:
                entry_id = b.new_id("earning_entries")
                amount = 10 * pool.reward
                entries.append([entry_id, None, None, "bonus", amount, pool.currency, BONUS_REASON, when, None, None])
                self._audit(
                    b,
                    when,
                    None,
                    "earnings.bonus",
                    "earning_entries",
                    entry_id,
                    after={"amount_minor": amount, "currency": pool.currency},
                    reason=BONUS_REASON,
                )
        self._payouts(b, rng, user_id, who, entries)
        for entry in entries:
            entry_id, pool_id, assignment_id, kind, amount, currency, reason, created, by, line = entry
            b.add(
                "earning_entries",
                (entry_id, user_id, pool_id, assignment_id, kind, amount, currency, reason, b.time(created), by, line),
            )
        return moments

    def _work_in_pool(self, b, rng, user_id, pool: PoolInfo, opens, closes, accuracy, entries) -> list[float]:
        accuracy = _clamp(accuracy + rng.gauss(0, 0.03), 0.2, 0.995)
        target = min(800, int(3 * rng.paretovariate(1.3)))
        session_cap = min(25, pool.daily_cap or 25)
        kind = TASK_TYPES.get(pool.task_type)
        reviewer = self.staff.reviewer
        t = opens + HOUR + rng.expovariate(1 / (4 * DAY))
        done = submitted_count = 0
        golds: list[bool] = []  # every gold answer, in order (the snapshot's rolling window)
        golds_since: list[bool] = []  # since the last suspension ended (the suspension rule's)
        snapshot = None
        moments = []
        quit_pool = False
        while done < target and t < closes and not quit_pool:
            for _ in range(min(rng.randint(3, session_cap), target - done)):
                claimed = t
                if claimed >= closes:
                    break
                payload, gold_json, gold, is_gold = rng.choice(pool.templates)
                task_id, assignment_id = b.new_id("tasks"), b.new_id("assignments")
                external_id = f"{DEMO_TASK_PREFIX}{self.seed}-{user_id}-{task_id}"
                created = claimed - rng.uniform(1 * HOUR, 10 * DAY)
                lease_ends = claimed + pool.lease
                if rng.random() < EXPIRED_CLAIMS:  # the lease ran out: the slot went back to the pool
                    b.add(
                        "tasks",
                        (task_id, pool.id, external_id, payload, gold_json, is_gold, 0, False, None, b.time(created)),
                    )
                    b.add(
                        "assignments",
                        (
                            assignment_id,
                            task_id,
                            pool.id,
                            user_id,
                            "expired",
                            b.time(claimed),
                            b.time(lease_ends),
                            None,
                            None,
                            is_gold,
                            None,
                            "pending",
                            None,
                            None,
                            None,
                        ),
                    )
                    t = lease_ends + rng.uniform(1, 10) * MINUTE
                    continue
                submitted = claimed + rng.uniform(0.1, 0.8) * pool.lease
                if submitted >= self.end:
                    break
                answer = answers.task_answer(
                    pool.task_type, pool.labels, gold if is_gold else None, pool.examples, rng.random() < accuracy, rng
                )
                gold_correct = None
                if is_gold:
                    gold_correct = bool(kind.matches(answer, gold, pool.matcher)) if kind else answer == gold
                filled = pool.overlap == 1
                b.add(
                    "tasks",
                    (task_id, pool.id, external_id, payload, gold_json, is_gold, 1, filled, None, b.time(created)),
                )
                state, reason, decided, by = self._review(rng, pool, submitted, gold_correct, snapshot)
                if state == "approved":
                    entries.append(
                        [
                            b.new_id("earning_entries"),
                            pool.id,
                            assignment_id,
                            "approval",
                            pool.reward,
                            pool.currency,
                            reason,
                            decided,
                            by,
                            None,
                        ]
                    )
                    if rng.random() < REVERSED and decided + 20 * DAY < self.end:
                        reversed_at = decided + rng.uniform(1, 20) * DAY
                        state, reason, decided, by = "rejected", REVERSAL_REASON, reversed_at, reviewer
                        entries.append(
                            [
                                b.new_id("earning_entries"),
                                pool.id,
                                assignment_id,
                                "reversal",
                                -pool.reward,
                                pool.currency,
                                reason,
                                decided,
                                reviewer,
                                None,
                            ]
                        )
                if by is not None:
                    self._audit(
                        b,
                        decided,
                        by,
                        f"submission.{state}",
                        "assignments",
                        assignment_id,
                        before={"review": "pending"},
                        after={"review": state},
                        reason=reason,
                    )
                b.add(
                    "assignments",
                    (
                        assignment_id,
                        task_id,
                        pool.id,
                        user_id,
                        "submitted",
                        b.time(claimed),
                        b.time(lease_ends),
                        b.time(submitted),
                        _dumps(answer),
                        is_gold,
                        gold_correct,
                        state,
                        reason,
                        b.time(decided) if decided is not None else None,
                        by,
                    ),
                )
                moments.append(submitted)
                done += 1
                submitted_count += 1
                if is_gold:
                    golds.append(gold_correct)
                    golds_since.append(gold_correct)
                t = submitted + rng.uniform(0.3, 4) * MINUTE
                if submitted_count % BATCH_SIZE:
                    continue
                window = golds[-ROLLING_WINDOW:]
                snapshot = (len(window), sum(window), submitted_count, submitted)
                recent = golds_since[-ROLLING_WINDOW:]
                if len(recent) >= pool.min_gold and 100 * sum(recent) < pool.threshold * len(recent):
                    t = self._suspend(b, rng, user_id, pool, submitted, 100 * sum(recent) / len(recent))
                    golds_since = []
                    quit_pool = rng.random() < 0.4 or t >= closes
                    break
            t += DAY + rng.expovariate(1 / (2 * DAY))
        if snapshot is not None:
            answered, correct, seen, taken = snapshot
            b.add(
                "pool_skill_snapshots",
                (b.new_id("pool_skill_snapshots"), pool.id, user_id, answered, correct, seen, b.time(taken)),
            )
        return moments

    def _review(self, rng, pool: PoolInfo, submitted: float, gold_correct, snapshot):
        """(review state, reason, when, reviewer id or None for automatic) of a submission."""
        reviewer = self.staff.reviewer
        reject = 0.55 if gold_correct is False else 0.03 if gold_correct else 0.06
        if pool.review_mode == "auto_gold" and pool.auto_accuracy is not None and snapshot is not None:
            answered, correct = snapshot[0], snapshot[1]
            if answered >= pool.min_gold and 100 * correct >= pool.auto_accuracy * answered:
                return "approved", f"automatic: gold accuracy {100 * correct / answered:.0f}%", submitted, None
        if pool.review_mode == "auto_days" and pool.auto_days is not None:
            if rng.random() < reject:
                decided = submitted + rng.uniform(HOUR, max(HOUR, 0.9 * pool.auto_days * DAY))
                state, reason, by = "rejected", rng.choice(REJECTION_REASONS), reviewer
            else:
                decided = submitted + pool.auto_days * DAY
                state, reason, by = "approved", f"automatic after {pool.auto_days} days", None
        else:
            decided = submitted + rng.lognormvariate(math.log(18 * HOUR), 0.8)
            if rng.random() < reject:
                state, reason, by = "rejected", rng.choice(REJECTION_REASONS), reviewer
            else:
                state, reason, by = "approved", "", reviewer
        if decided >= self.end:
            return "pending", None, None, None
        return state, reason, decided, by

    def _suspend(self, b: Batch, rng, user_id: int, pool: PoolInfo, now: float, percent: float) -> float:
        """Suspend the worker as quality.enforce_threshold does; returns when they may work again."""
        suspension_id = b.new_id("pool_suspensions")
        ends = now + pool.suspension_days * DAY
        lifted = now + rng.uniform(0.2, 0.8) * (ends - now) if rng.random() < 0.1 else None
        if lifted is not None and lifted >= self.end:
            lifted = None
        reason = (
            f"accuracy on check tasks is {percent:.0f}%, below this pool's {pool.threshold}%. "
            "Re-read the guidelines before you come back."
        )
        b.add(
            "pool_suspensions",
            (
                suspension_id,
                pool.id,
                user_id,
                b.time(now),
                b.time(ends),
                reason,
                b.time(lifted) if lifted else None,
                self.staff.reviewer if lifted else None,
            ),
        )
        self._audit(
            b,
            now,
            None,
            "pool.worker_suspended",
            "pool_suspensions",
            suspension_id,
            after={"accuracy": round(percent, 1)},
        )
        if lifted:
            self._audit(
                b,
                lifted,
                self.staff.reviewer,
                "pool.worker_reinstated",
                "pool_suspensions",
                suspension_id,
                before={"ends_at": datetime.fromtimestamp(ends, UTC).isoformat()},
            )
        return (lifted or ends) + rng.uniform(HOUR, 3 * DAY)

    def _payouts(self, b: Batch, rng, user_id: int, who: people.Person, entries: list[list]) -> None:
        """Take the worker's unpaid entries into each monthly batch their balance reaches the
        threshold by, as money.create_batch does on that day. The last batch is still being paid;
        a failed line gives its entries back for the next batch."""
        by_currency: dict[str, list[list]] = {}
        for entry in sorted(entries, key=lambda e: (e[7], e[0])):
            by_currency.setdefault(entry[5], []).append(entry)
        for currency, mine in by_currency.items():
            batches = self.batches.get(currency, [])
            unpaid: list[list] = []
            position = 0
            for number, (batch_id, when, threshold) in enumerate(batches):
                while position < len(mine) and mine[position][7] < when:
                    unpaid.append(mine[position])
                    position += 1
                amount = sum(entry[4] for entry in unpaid)
                if not unpaid or amount < max(1, threshold):
                    continue
                line_id = b.new_id("payout_lines")
                last = number == len(batches) - 1
                state = "pending" if last else "failed" if rng.random() < FAILED_PAYOUT else "paid"
                reference = f"SS-{batch_id}-{rng.getrandbits(32):08X}"
                b.add(
                    "payout_lines",
                    (
                        line_id,
                        batch_id,
                        user_id,
                        currency,
                        amount,
                        reference,
                        state,
                        PAYOUT_FAILED_NOTE if state == "failed" else "",
                        who.name,
                        who.payout_account,
                    ),
                )
                if state != "failed":
                    for entry in unpaid:
                        entry[9] = line_id
                    unpaid = []


# The run -------------------------------------------------------------------------------------------


def _signups(seed: int, count: int, start: float, end: float) -> list[float]:
    """Sign-up moments over the history, each month more than the one before (six times as many
    at the end as at the start), in order: learner 1 signed up first."""
    rng = random.Random(f"samaschool-demo:{seed}:signups")
    span = end - start
    growth = math.log(6) / span
    scale = math.expm1(growth * span)
    return sorted(start + math.log1p(rng.random() * scale) / growth for _ in range(count))


def _tables(names) -> dict:
    tables = {}
    for name in names:
        table = db.metadata.tables[name]
        check_columns(table, COLUMNS[name])
        tables[name] = (table, COLUMNS[name])
    return tables


def _add_counts(total: dict[str, int], written: dict[str, int]) -> None:
    for name, count in written.items():
        total[name] = total.get(name, 0) + count


def generate(
    learners: int,
    *,
    seed: int = 1,
    until: date | None = None,
    force: bool = False,
    password: str = DEFAULT_PASSWORD,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Add `learners` demo learners and everything they did. Raises DemoRefused when there are no
    courses, or real users (unless `force`). A seed already generated here adds nothing."""
    summary = Summary(seed=seed, learners=learners)
    if not db.session.scalar(select(func.count()).select_from(Course)):
        raise DemoRefused(
            "There are no courses to learn from. Run `flask --app app courses import` and "
            "`flask --app app pools seed-demo` first."
        )
    real = real_user_count()
    if real and not force:
        raise DemoRefused(
            f"This database holds {real} real account(s) (not demo accounts at @{DEMO_DOMAIN}, nor the first admin). "
            "Demo data is for demo and benchmark databases: give --force to add it here anyway."
        )
    if already := seed_user_count(seed):
        db.session.rollback()
        summary.already_generated = already
        return summary
    context = load_context()
    if not context.courses:
        raise DemoRefused("No published course has lessons. Run `flask --app app courses import` first.")
    if not context.certifications:
        summary.notes.append("No certifications: no certificates and no pool work were generated.")
    if not context.pools:
        summary.notes.append(
            "No pool with tasks: no pool work was generated (run `flask --app app pools seed-demo` first)."
        )
    db.session.rollback()  # the writes below take their own connections (and on SQLite, the write lock)

    end_day = until or datetime.now(UTC).date()
    end = datetime.combine(end_day, time(0), tzinfo=UTC).timestamp()
    start = end - HISTORY_DAYS * DAY
    master = random.Random(f"samaschool-demo:{seed}")
    hashed = password_hash(password, master)

    staff_tables = _tables(SETUP_TABLES)
    with db.engine.begin() as connection:
        b = Batch(connection, staff_tables)
        staff = _staff(b, master, seed, start, hashed, context)
        batches = {}
        for currency in sorted({pool.currency for pool in context.pools}):
            threshold = 100 * 10 ** _decimals(currency)
            batches[currency] = []
            for when in _month_starts(start, end):
                batch_id = b.new_id("payout_batches")
                b.add("payout_batches", (batch_id, b.time(when), None, currency, threshold))
                batches[currency].append((batch_id, when, threshold))
        _add_counts(summary.rows, b.write())

    generation = Generation(seed, start, end, context, staff, hashed, batches, _signups(seed, learners, start, end))
    tables = _tables(LEARNER_TABLES)
    for first in range(0, learners, LEARNERS_PER_TRANSACTION):
        last = min(learners, first + LEARNERS_PER_TRANSACTION)
        with db.engine.begin() as connection:
            b = Batch(connection, tables)
            for index in range(first, last):
                generation.learner(b, index)
            _add_counts(summary.rows, b.write())
        if progress is not None:
            progress(last - first)

    summary.rows["payout_batches"] -= _close_batches(batches, end)
    return summary


def _decimals(currency: str) -> int:
    from babel.numbers import get_currency_precision

    return get_currency_precision(currency)


def _staff(b: Batch, rng: random.Random, seed: int, start: float, hashed: str, context: Context) -> Staff:
    """A demo pool manager (reviews by hand, lifts suspensions) and a demo trainer who co-trains
    the first course, so trainers' views have someone to show."""
    ids = []
    for local, name, is_manager in (
        (f"pool-manager.s{seed}", "Demo Pool Manager", True),
        (f"trainer.s{seed}", "Demo Trainer", False),
    ):
        user_id = b.new_id("users")
        ids.append(user_id)
        joined = b.time(start - 30 * DAY)
        b.add(
            "users",
            (
                user_id,
                "usr_" + "".join(rng.choice(PUBLIC_ID_ALPHABET) for _ in range(16)),
                demo_email(local),
                name,
                None,
                hashed,
                Role.TRAINER.value,
                True,
                "KE",
                "en",
                "Africa/Nairobi",
                None,
                None,
                is_manager,
                None,
                joined,
                joined,
            ),
        )
    if context.courses:
        b.add(
            "course_staff",
            (b.new_id("course_staff"), context.courses[0].id, ids[1], "co_trainer", b.time(start - 29 * DAY)),
        )
    return Staff(reviewer=ids[0], trainer=ids[1])


def _close_batches(batches: dict[str, list[tuple[int, float, int]]], end: float) -> int:
    """Drop the batches no worker's balance reached, and record the others as created (the audit
    log's payout.batch_created). Returns how many were dropped."""
    ids = [batch_id for rows in batches.values() for batch_id, _when, _threshold in rows]
    if not ids:
        return 0
    when = {batch_id: moment for rows in batches.values() for batch_id, moment, _t in rows}
    currency = {batch_id: code for code, rows in batches.items() for batch_id, _m, _t in rows}
    with db.engine.begin() as connection:
        lines = dict(
            connection.execute(
                select(PayoutLine.batch_id, func.count())
                .where(PayoutLine.batch_id.in_(ids))
                .group_by(PayoutLine.batch_id)
            ).all()
        )
        empty = [batch_id for batch_id in ids if not lines.get(batch_id)]
        if empty:
            connection.execute(delete(PayoutBatch).where(PayoutBatch.id.in_(empty)))
        b = Batch(connection, _tables(("audit_entries",)))
        for batch_id in ids:
            if lines.get(batch_id):
                Generation._audit(
                    b,
                    when[batch_id],
                    None,
                    "payout.batch_created",
                    "payout_batches",
                    batch_id,
                    after={"lines": lines[batch_id], "currency": currency[batch_id]},
                )
        b.write()
    return len(empty)
