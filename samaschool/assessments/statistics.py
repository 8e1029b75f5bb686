"""Quiz statistics for trainers, after Moodle's: computed with SQL aggregates, never by
looping over attempts in Python."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from sqlalchemy import Integer, and_, cast, func, select

from samaschool.assessments.models import Attempt, AttemptQuestion, Question, Quiz
from samaschool.extensions import db


@dataclass
class QuestionStats:
    question: Question
    answered: int
    facility_percent: float | None
    discrimination: float | None
    common_wrong_answer: str | None
    common_wrong_count: int


@dataclass
class QuizStats:
    attempts: int
    learners: int
    pass_rate_percent: float | None
    mean_percent: float | None
    distribution: list[tuple[str, int]]  # ten buckets of ten percent: (label, count)
    questions: list[QuestionStats]


def _answer_text(question: Question, key: str) -> str:
    labels = {c["id"]: c["html"] for c in question.data.get("choices", [])}
    if question.type in ("single_choice", "multiple_response", "image_classification"):
        parts = [re.sub(r"<[^>]+>", "", labels.get(k, k)).strip() for k in key.split(",") if k]
        return "; ".join(parts)
    return key


def quiz_statistics(quiz: Quiz) -> QuizStats:
    submitted = and_(Attempt.quiz_id == quiz.id, Attempt.state == "submitted")
    attempts, learners, passes, mean = db.session.execute(
        select(
            func.count(Attempt.id),
            func.count(func.distinct(Attempt.user_id)),
            func.sum(cast(Attempt.passed, Integer)),
            func.avg(Attempt.score_percent),
        ).where(submitted)
    ).one()
    bucket = func.least(cast(func.floor(Attempt.score_percent / 10), Integer), 9)
    if db.engine.dialect.name == "sqlite":
        bucket = func.min(cast(Attempt.score_percent / 10, Integer), 9)
    counts = dict(db.session.execute(select(bucket, func.count()).where(submitted).group_by(bucket)).all())
    distribution = [(f"{b * 10}–{b * 10 + 9 if b < 9 else 100}%", counts.get(b, 0)) for b in range(10)]

    # Per question: x = the question's fraction, y = the rest of the attempt's fraction.
    x = AttemptQuestion.score / AttemptQuestion.points
    y = (Attempt.score_points - AttemptQuestion.score) / func.nullif(Attempt.max_points - AttemptQuestion.points, 0)
    rows = db.session.execute(
        select(
            AttemptQuestion.question_id,
            func.count(),
            func.avg(x),
            func.sum(x),
            func.sum(y),
            func.sum(x * x),
            func.sum(y * y),
            func.sum(x * y),
        )
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(submitted)
        .group_by(AttemptQuestion.question_id)
    ).all()
    wrong = db.session.execute(
        select(AttemptQuestion.question_id, AttemptQuestion.answer_key, func.count().label("n"))
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(submitted, AttemptQuestion.is_correct.is_(False), AttemptQuestion.answer_key != "")
        .group_by(AttemptQuestion.question_id, AttemptQuestion.answer_key)
    ).all()
    most_wrong: dict[int, tuple[str, int]] = {}
    for question_id, key, n in wrong:
        if n > most_wrong.get(question_id, ("", 0))[1]:
            most_wrong[question_id] = (key, n)
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_([r[0] for r in rows])))}
    stats = []
    for question_id, n, facility, sx, sy, sxx, syy, sxy in rows:
        question = questions[question_id]
        key, count = most_wrong.get(question_id, (None, 0))
        stats.append(
            QuestionStats(
                question=question,
                answered=n,
                facility_percent=round(100 * facility, 1) if facility is not None else None,
                discrimination=_correlation(n, sx, sy, sxx, syy, sxy),
                common_wrong_answer=_answer_text(question, key) if key else None,
                common_wrong_count=count,
            )
        )
    stats.sort(key=lambda s: s.question.key)
    return QuizStats(
        attempts=attempts,
        learners=learners,
        pass_rate_percent=round(100 * (passes or 0) / attempts, 1) if attempts else None,
        mean_percent=round(mean, 1) if mean is not None else None,
        distribution=distribution,
        questions=stats,
    )


def _correlation(n, sx, sy, sxx, syy, sxy) -> float | None:
    """Pearson's r from sums: Moodle's discrimination index (question vs rest of the test)."""
    if n is None or n < 2 or sy is None:
        return None
    numerator = n * sxy - sx * sy
    denominator = math.sqrt(max(0.0, n * sxx - sx * sx)) * math.sqrt(max(0.0, n * syy - sy * sy))
    return round(numerator / denominator, 2) if denominator else None
