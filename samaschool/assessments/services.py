"""Quizzes and attempts: start, save a page, submit, review. Safe against double clicks,
replayed requests and two requests at once; the database has the final word."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from samaschool.assessments.models import Attempt, AttemptQuestion, Question, Quiz
from samaschool.assessments.question_types import REGISTRY, InvalidAnswer
from samaschool.catalog.models import Course, Lesson, Module
from samaschool.db_types import utcnow
from samaschool.errors import DomainError
from samaschool.extensions import db
from samaschool.signals import progress_made

# Answers arriving this long after the deadline still count (a slow 2G upload).
DEADLINE_GRACE = timedelta(seconds=60)
# `attempts_per_day` counts the attempts started in any window this long (a rolling day).
ATTEMPT_WINDOW = timedelta(hours=24)


class AttemptClosed(DomainError):
    pass


class AttemptsExhausted(DomainError):
    pass


class RetryTooSoon(DomainError):
    def __init__(self, message: str, available_at: datetime):
        super().__init__(message)
        self.available_at = available_at


def get_quiz(course: Course, key: str) -> Quiz | None:
    return db.session.scalar(
        select(Quiz).where(Quiz.course_id == course.id, Quiz.key == key, Quiz.archived_at.is_(None))
    )


def attempts_for(user, quiz: Quiz) -> list[Attempt]:
    return list(
        db.session.scalars(
            select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id).order_by(Attempt.number)
        )
    )


# Built once: every page of an attempt and every save runs it. Two statements: the attempt with
# its quiz, then its questions each with its question.
_OWN_ATTEMPT = (
    select(Attempt)
    .where(Attempt.id == bindparam("attempt_id"), Attempt.user_id == bindparam("user_id"))
    .options(selectinload(Attempt.questions).joinedload(AttemptQuestion.question), joinedload(Attempt.quiz))
)


def get_attempt_for(user, attempt_id: int) -> Attempt | None:
    """The attempt if it is the user's own; None otherwise (a 404, never another's attempt)."""
    return db.session.scalar(_OWN_ATTEMPT, {"attempt_id": attempt_id, "user_id": user.id})


def draw_questions(quiz: Quiz, rng: random.Random) -> list[Question]:
    return draw_with_sections(quiz, rng)[0]


def draw_with_sections(quiz: Quiz, rng: random.Random) -> tuple[list[Question], list[dict]]:
    """The questions of a new attempt, and its sections: [{name, min_correct, question_ids}]
    (a drawn quiz's sections are its draw entries that have a `section`)."""
    bank = list(
        db.session.scalars(
            select(Question)
            .where(Question.course_id == quiz.course_id, Question.archived_at.is_(None))
            .order_by(Question.id)
        )
    )
    by_key = {q.key: q for q in bank}
    sections = []
    if quiz.question_keys:
        chosen = [by_key[k] for k in quiz.question_keys if k in by_key]
        for section in quiz.sections or []:
            ids = [by_key[k].id for k in section["questions"] if k in by_key]
            sections.append({"name": section["name"], "min_correct": section.get("min_correct"), "question_ids": ids})
    else:
        chosen, taken = [], set()
        for rule in quiz.draw_rules:
            pool = [q for q in bank if q.id not in taken and set(q.tags) & set(rule["tags"])]
            picked = rng.sample(pool, min(rule["count"], len(pool)))
            chosen.extend(picked)
            taken.update(q.id for q in picked)
            if rule.get("section"):
                ids = [q.id for q in picked]
                sections.append({"name": rule["section"], "min_correct": rule.get("min_correct"), "question_ids": ids})
    if quiz.shuffle_questions:
        rng.shuffle(chosen)
    return chosen, sections


@dataclass
class QuizStatus:
    attempts: list[Attempt]
    open_attempt: Attempt | None
    best_percent: float | None
    passed: bool
    can_start: bool
    reason: str
    available_at: datetime | None
    daily_limit: bool = False  # refused because of `attempts_per_day` (available_at: when it opens)


def quiz_status(user, quiz: Quiz, now: datetime | None = None) -> QuizStatus:
    """What the learner can do with this quiz now, and why not when they cannot."""
    now = now or utcnow()
    attempts = attempts_for(user, quiz)
    for attempt in attempts:
        close_if_expired(attempt, now)
    submitted = [a for a in attempts if a.state == "submitted"]
    open_attempt = next((a for a in attempts if a.state == "in_progress"), None)
    passed = any(a.passed for a in submitted)
    best = max((a.score_percent for a in submitted), default=None)
    reason, available_at, can_start, daily = "", None, True, False
    if open_attempt is None:
        if quiz.max_attempts and len(attempts) >= quiz.max_attempts:
            can_start, reason = False, _("You have used all %(count)d attempts.", count=quiz.max_attempts)
        else:
            if submitted and quiz.retry_delay_minutes and not submitted[-1].passed:
                available_at = submitted[-1].submitted_at + timedelta(minutes=quiz.retry_delay_minutes)
                if available_at > now:
                    can_start = False
                    reason = _("Wait a little before your next attempt: use the time to review the lessons.")
                else:
                    available_at = None
            opens = daily_limit_opens(quiz, attempts, now)
            if opens is not None and (available_at is None or opens >= available_at):
                can_start, available_at, daily = False, opens, True
                reason = ngettext(
                    "You have started %(num)d attempt in the last 24 hours, the most this quiz allows.",
                    "You have started %(num)d attempts in the last 24 hours, the most this quiz allows.",
                    quiz.attempts_per_day,
                )
    return QuizStatus(attempts, open_attempt, best, passed, can_start, reason, available_at, daily)


def daily_limit_opens(quiz: Quiz, attempts: list[Attempt], now: datetime) -> datetime | None:
    """When the next attempt may start under `attempts_per_day` (attempts started in any 24
    hours), or None when one may start now."""
    if not quiz.attempts_per_day:
        return None
    recent = sorted(a.started_at for a in attempts if a.started_at > now - ATTEMPT_WINDOW)
    if len(recent) < quiz.attempts_per_day:
        return None
    # The window must lose enough of them to leave room for one more.
    return recent[len(recent) - quiz.attempts_per_day] + ATTEMPT_WINDOW


def start_attempt(user, quiz: Quiz, now: datetime | None = None, rng: random.Random | None = None) -> Attempt:
    """Resume the open attempt, or start a new one within the quiz's rules.

    Raises AttemptsExhausted or RetryTooSoon. Two simultaneous starts make one attempt: the
    unique (quiz, user, number) and the one-open-attempt index decide, not this code.
    """
    now = now or utcnow()
    status = quiz_status(user, quiz, now)
    if status.open_attempt is not None:
        return status.open_attempt
    if not status.can_start:
        if status.available_at is not None:
            raise RetryTooSoon(status.reason, status.available_at)
        raise AttemptsExhausted(status.reason)
    rng = rng or random.Random(secrets.randbits(64))
    questions, sections = draw_with_sections(quiz, rng)
    attempt = Attempt(
        quiz_id=quiz.id,
        user_id=user.id,
        number=len(status.attempts) + 1,
        started_at=now,
        deadline_at=now + timedelta(minutes=quiz.time_limit_minutes) if quiz.time_limit_minutes else None,
        sections=sections or None,
    )
    for position, question in enumerate(questions, start=1):
        kind = REGISTRY[question.type]
        attempt.questions.append(
            AttemptQuestion(
                question=question,
                position=position,
                points=question.points,
                layout=kind.layout(question.data, rng, quiz.shuffle_choices),
            )
        )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        # Another request started one at the same moment: use that one.
        existing = db.session.scalar(
            select(Attempt).where(
                Attempt.quiz_id == quiz.id, Attempt.user_id == user.id, Attempt.state == "in_progress"
            )
        )
        if existing is None:
            raise AttemptsExhausted(_("Another attempt was just started. Reload the page.")) from None
        return existing
    return attempt


def unanswered(attempt: Attempt) -> list[tuple[int, int]]:
    """(question number, page) of each question of the attempt still without a saved answer."""
    per_page = max(1, attempt.quiz.questions_per_page)
    return [
        (number, (number - 1) // per_page + 1)
        for number, aq in enumerate(attempt.questions, start=1)
        if aq.response is None
    ]


def page_count(attempt: Attempt) -> int:
    per_page = max(1, attempt.quiz.questions_per_page)
    return max(1, -(-len(attempt.questions) // per_page))


def page_questions(attempt: Attempt, page: int) -> list[AttemptQuestion]:
    per_page = max(1, attempt.quiz.questions_per_page)
    return attempt.questions[(page - 1) * per_page : page * per_page]


def is_past_deadline(attempt: Attempt, now: datetime) -> bool:
    return attempt.deadline_at is not None and now > attempt.deadline_at + DEADLINE_GRACE


def close_if_expired(attempt: Attempt, now: datetime) -> bool:
    """Close and grade an open attempt whose time ran out, on what was saved in time."""
    if attempt.state == "in_progress" and is_past_deadline(attempt, now):
        submit_attempt(attempt, now)
        return True
    return False


def save_page(attempt: Attempt, form, page: int, now: datetime | None = None) -> dict[int, str]:
    """Save the answers given on one page. Returns {attempt question id: error message}.

    Nothing on the page is saved if any answer on it is unreadable, so a learner never ends
    up with half a page stored. Raises AttemptClosed for a submitted or timed-out attempt.
    """
    now = now or utcnow()
    if attempt.state != "in_progress":
        raise AttemptClosed(_("This attempt is already submitted."))
    if close_if_expired(attempt, now):
        raise AttemptClosed(_("Time ran out. Your attempt was graded on the answers saved in time."))
    allowed = {f"q{aq.id}" for aq in page_questions(attempt, page)}
    unexpected = [
        name for name in form if name.startswith("q") and name.split("-")[0] not in allowed and name[1:2].isdigit()
    ]
    if unexpected:
        return {0: _("Some answers were for questions that are not on this page. Nothing was saved.")}
    errors, parsed = {}, {}
    for aq in page_questions(attempt, page):
        kind = REGISTRY[aq.question.type]
        try:
            parsed[aq.id] = kind.parse(form, f"q{aq.id}", aq.question.data, aq.layout)
        except InvalidAnswer as error:
            errors[aq.id] = str(error)
    if errors:
        return errors
    for aq in page_questions(attempt, page):
        if aq.response != parsed[aq.id]:
            aq.response = parsed[aq.id]
            aq.saved_at = now
    attempt.last_page = page
    return {}


def submit_attempt(attempt: Attempt, now: datetime | None = None) -> bool:
    """Close and grade the attempt. Idempotent: returns False if it was already submitted.

    The conditional UPDATE is the lock: of two simultaneous submits only one changes the row.
    """
    now = now or utcnow()
    closed = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.state == "in_progress")
        .values(state="submitted", submitted_at=now)
        .execution_options(synchronize_session=False)
    )
    if closed.rowcount != 1:
        db.session.refresh(attempt)
        return False
    total = earned = 0.0
    full_marks = set()
    for aq in attempt.questions:
        grade = REGISTRY[aq.question.type].grade(aq.question.data, aq.response)
        aq.score = round(grade.fraction * aq.points, 4)
        aq.is_correct = grade.correct
        aq.answer_key = grade.answer_key[:255]
        total += aq.points
        earned += aq.score
        if grade.correct:
            full_marks.add(aq.question_id)
    percent = round(100 * earned / total, 2) if total else 0.0
    attempt.state, attempt.submitted_at = "submitted", now
    attempt.score_points, attempt.max_points, attempt.score_percent = earned, total, percent
    attempt.sections = section_results(attempt, full_marks)
    sections_met = all(section["met"] for section in attempt.sections or [])
    attempt.passed = percent >= attempt.quiz.pass_mark_percent and sections_met
    db.session.flush()
    progress_made.send(None, user_id=attempt.user_id, course_id=attempt.quiz.course_id)
    return True


def section_results(attempt: Attempt, full_marks: set[int]) -> list[dict] | None:
    """Each section of the attempt with how many of its questions earned full points, and
    whether that meets its minimum: a learner passes only if every section's minimum is met."""
    if not attempt.sections:
        return None
    drawn = {aq.question_id for aq in attempt.questions}
    results = []
    for section in attempt.sections:
        ids = [qid for qid in section["question_ids"] if qid in drawn]
        correct = sum(qid in full_marks for qid in ids)
        minimum = section.get("min_correct")
        results.append({**section, "count": len(ids), "correct": correct, "met": minimum is None or correct >= minimum})
    return results


def quiz_sections(quiz: Quiz) -> list[dict]:
    """The quiz's sections as its page lists them: [{name, count, min_correct}]."""
    if quiz.question_keys:
        return [
            {"name": s["name"], "count": len(s["questions"]), "min_correct": s.get("min_correct")}
            for s in quiz.sections or []
        ]
    return [
        {"name": rule["section"], "count": rule["count"], "min_correct": rule.get("min_correct")}
        for rule in quiz.draw_rules
        if rule.get("section")
    ]


def lessons_assessed(course: Course, questions) -> dict[str, Lesson]:
    """The live lessons (by slug) that these questions name as the lesson they assess."""
    slugs = {q.lesson_slug for q in questions if q.lesson_slug}
    if not slugs:
        return {}
    return {
        lesson.slug: lesson
        for lesson in db.session.scalars(
            select(Lesson).where(Lesson.course_id == course.id, Lesson.slug.in_(slugs), Lesson.archived_at.is_(None))
        )
    }


def failed_sections(attempt: Attempt) -> list[dict]:
    return [section for section in attempt.sections or [] if "met" in section and not section["met"]]


def question_media(questions) -> dict:
    """The media files (MediaFile by key) that these questions show, in one query."""
    from samaschool.media.services import by_keys

    keys = [q.data[name]["key"] for q in questions for name in ("image", "audio") if isinstance(q.data.get(name), dict)]
    return by_keys(keys) if keys else {}


def review_level(attempt: Attempt, status: QuizStatus) -> str:
    """What review shows: 'score', 'correctness' or 'answers' (everything).

    After a pass, or once no further attempt is possible, everything is shown; except that
    `after_pass` shows only the score (and the sections' results) until the learner has passed.
    """
    if attempt.state != "submitted":
        return "none"
    quiz = attempt.quiz
    if status.passed:
        return "answers"
    if quiz.review_policy == "after_pass":
        return "score"
    if quiz.max_attempts and len(status.attempts) >= quiz.max_attempts:
        return "answers"
    return quiz.review_policy


@dataclass
class NextStep:
    """Where a learner goes after passing a module quiz: the next module (its first lesson, and
    its number as the course page counts modules), or else the course's final exam."""

    module_number: int | None = None
    module: Module | None = None
    lesson: Lesson | None = None
    exam: Quiz | None = None


def next_step_after(quiz: Quiz, course: Course) -> NextStep | None:
    """The step after `quiz` when it is a module quiz; None after the exam (what a certificate
    unlocks is shown by the pools) or when the course has nothing after it."""
    if quiz.module_id is None:
        return None
    modules = course.modules  # live ones, in order
    index = next((i for i, module in enumerate(modules) if module.id == quiz.module_id), None)
    if index is None:
        return None
    for number, module in enumerate(modules[index + 1 :], start=index + 2):
        if module.lessons:
            return NextStep(module_number=number, module=module, lesson=module.lessons[0])
    exam = db.session.scalar(
        select(Quiz)
        .where(Quiz.course_id == course.id, Quiz.module_id.is_(None), Quiz.archived_at.is_(None))
        .order_by(Quiz.id)
        .limit(1)
    )
    return NextStep(exam=exam) if exam is not None else None
