from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from samaschool.db_types import UTCDateTime, check, one_of, utcnow
from samaschool.extensions import db

REVIEW_POLICIES = ("score", "correctness", "answers", "after_pass")
# Most attempts a learner may start in any 24 hours (`attempts_per_day`; empty: no limit).
MAX_ATTEMPTS_PER_DAY = 20
# The question types of assessments/question_types.py (a test keeps the two lists equal).
QUESTION_TYPES = (
    "matching",
    "multiple_response",
    "numeric",
    "ordering",
    "short_answer",
    "single_choice",
    "transcription",
    "true_false",
    # Added later: kept after the first entry, which the migration tests use to fill old revisions.
    "audio_transcription",
    "image_classification",
    "image_region",
)


class Question(db.Model):
    """A question in a course's bank. `data` holds what its type needs (see question_types)."""

    __tablename__ = "questions"
    __table_args__ = (
        UniqueConstraint("course_id", "key"),
        one_of("type", QUESTION_TYPES),
        one_of("source", ("folder", "gift")),
        check("points_not_negative", "points >= 0"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(80))  # the author's id, unique in the course
    type: Mapped[str] = mapped_column(String(30))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    points: Mapped[int] = mapped_column(default=1)
    text_html: Mapped[str] = mapped_column(Text)
    explanation_html: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # as the author wrote it (for export)
    source: Mapped[str] = mapped_column(String(10), default="folder")  # folder | gift
    lesson_slug: Mapped[str | None] = mapped_column(String(60))  # the lesson of the course it assesses
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Quiz(db.Model):
    """A module's quiz (module_id set) or a course exam (module_id empty)."""

    __tablename__ = "quizzes"
    __table_args__ = (
        UniqueConstraint("course_id", "key"),
        one_of("review_policy", REVIEW_POLICIES),
        check("pass_mark_percent_range", "pass_mark_percent BETWEEN 0 AND 100"),
        check("settings_not_negative", "max_attempts >= 0 AND retry_delay_minutes >= 0 AND time_limit_minutes >= 0"),
        check("questions_per_page_positive", "questions_per_page >= 1"),
        check(
            "attempts_per_day_range",
            f"attempts_per_day IS NULL OR attempts_per_day BETWEEN 1 AND {MAX_ATTEMPTS_PER_DAY}",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(80))  # the module's slug, or "exam"
    title: Mapped[str] = mapped_column(String(200))
    pass_mark_percent: Mapped[int] = mapped_column(default=70)
    max_attempts: Mapped[int] = mapped_column(default=0)  # 0 = unlimited
    retry_delay_minutes: Mapped[int] = mapped_column(default=0)
    time_limit_minutes: Mapped[int] = mapped_column(default=0)  # 0 = none
    questions_per_page: Mapped[int] = mapped_column(default=5)
    shuffle_questions: Mapped[bool] = mapped_column(default=False)
    shuffle_choices: Mapped[bool] = mapped_column(default=True)
    review_policy: Mapped[str] = mapped_column(String(20), default="answers")
    question_keys: Mapped[list[str]] = mapped_column(JSON, default=list)  # a fixed list, or …
    # … [{tags, count}], each optionally with a `section` name and its `min_correct`.
    draw_rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Sections of a fixed list: [{name, questions: [keys], min_correct}]; empty when it has none.
    sections: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON(none_as_null=True))
    attempts_per_day: Mapped[int | None]  # at most this many attempts started in any 24 hours
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Attempt(db.Model):
    __tablename__ = "attempts"
    __table_args__ = (
        one_of("state", ("in_progress", "submitted")),
        check("number_positive", "number >= 1"),
        check("score_percent_range", "score_percent IS NULL OR score_percent BETWEEN 0 AND 100"),
        # The attempt number is what makes "at most N attempts" hold under parallel requests.
        UniqueConstraint("quiz_id", "user_id", "number"),
        # The statistics: pass rates and attempts-to-pass per quiz, read from the index alone.
        Index("ix_attempts_quiz_state_passed", "quiz_id", "state", "passed", "user_id", "number", "submitted_at"),
        # At most one open attempt per learner and quiz.
        Index(
            "uq_attempts_one_open",
            "quiz_id",
            "user_id",
            unique=True,
            sqlite_where=text("state = 'in_progress'"),
            postgresql_where=text("state = 'in_progress'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    state: Mapped[str] = mapped_column(String(20), default="in_progress")  # in_progress | submitted
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score_points: Mapped[float | None] = mapped_column(Float)
    max_points: Mapped[float | None] = mapped_column(Float)
    score_percent: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None]
    last_page: Mapped[int] = mapped_column(default=1)
    # The quiz's sections as drawn for this attempt: [{name, min_correct, question_ids}], and
    # once graded also {correct, count, met} each. Empty when the quiz has no sections.
    sections: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON(none_as_null=True))

    quiz: Mapped[Quiz] = relationship()
    questions: Mapped[list[AttemptQuestion]] = relationship(
        back_populates="attempt", order_by="AttemptQuestion.position", cascade="all, delete-orphan"
    )


class AttemptQuestion(db.Model):
    """One drawn question of an attempt: its place, the layout shown, the saved answer, the grade."""

    __tablename__ = "attempt_questions"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    layout: Mapped[list[str]] = mapped_column(JSON, default=list)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    points: Mapped[int] = mapped_column(default=1)  # the question's points when drawn
    score: Mapped[float | None] = mapped_column(Float)
    is_correct: Mapped[bool | None]
    answer_key: Mapped[str | None] = mapped_column(String(255))

    attempt: Mapped[Attempt] = relationship(back_populates="questions")
    question: Mapped[Question] = relationship()
