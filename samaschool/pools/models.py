from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from samaschool.db_types import UTCDateTime, check, one_of, utcnow
from samaschool.extensions import db

POOL_STATUSES = ("draft", "open", "paused", "closed")
# The task types of pools/task_types.py (a test keeps the two lists equal). "classification" stays
# first: tests/migrations fills every revision's pools with the first value.
TASK_TYPES = (
    "classification",
    "free_text",
    "tagging",
    "transcription",
    "ai_comparison",
    "audio_transcription",
    "bounding_boxes",
    "image_classification",
    "image_tagging",
)
REVIEW_MODES = ("manual", "auto_days", "auto_gold")


class Pool(db.Model):
    __tablename__ = "pools"
    __table_args__ = (
        one_of("status", POOL_STATUSES),
        one_of("review_mode", REVIEW_MODES),
        one_of("task_type", TASK_TYPES),
        check("reward_positive", "reward_minor > 0"),
        check(
            "limits_positive",
            "lease_minutes >= 1 AND max_concurrent_claims >= 1 AND overlap >= 1"
            " AND (daily_cap IS NULL OR daily_cap >= 1)",
        ),
        check(
            "percents_range",
            "quality_threshold_percent BETWEEN 0 AND 100"
            " AND (auto_approve_accuracy IS NULL OR auto_approve_accuracy BETWEEN 0 AND 100)"
            " AND (min_skill_percent IS NULL OR min_skill_percent BETWEEN 0 AND 100)",
        ),
        check(
            "counts_not_negative",
            "quality_min_gold >= 0 AND suspension_days >= 0 AND (auto_approve_days IS NULL OR auto_approve_days >= 0)",
        ),
        check(
            "media_percents_range", "iou_threshold_percent BETWEEN 1 AND 100 AND max_error_percent BETWEEN 0 AND 100"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    client: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    instructions_html: Mapped[str] = mapped_column(Text, default="")  # sanitised once, when saved
    instructions_markdown: Mapped[str] = mapped_column(Text, default="")
    task_type: Mapped[str] = mapped_column(String(30))
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)  # classification and tagging
    reward_minor: Mapped[int]  # per approved task, in minor units of `currency`
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    lease_minutes: Mapped[int] = mapped_column(default=30)
    max_concurrent_claims: Mapped[int] = mapped_column(default=1)
    daily_cap: Mapped[int | None]
    overlap: Mapped[int] = mapped_column(default=1)
    review_mode: Mapped[str] = mapped_column(String(10), default="manual")
    auto_approve_days: Mapped[int | None]
    auto_approve_accuracy: Mapped[int | None]  # percent
    required_certifications: Mapped[list[str]] = mapped_column(JSON, default=list)  # certification slugs
    countries: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: any country
    min_skill_percent: Mapped[int | None]
    quality_threshold_percent: Mapped[int] = mapped_column(default=70)
    quality_min_gold: Mapped[int] = mapped_column(default=5)
    suspension_days: Mapped[int] = mapped_column(default=7)
    # How close an answer must be to gold (and to other workers' answers, for consensus):
    # bounding boxes match at this intersection over union; transcripts within this character error rate.
    iou_threshold_percent: Mapped[int] = mapped_column(default=50, server_default="50")
    max_error_percent: Mapped[int] = mapped_column(default=10, server_default="10")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Task(db.Model):
    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("pool_id", "external_id"),
        Index("ix_tasks_pool_open", "pool_id", "filled", "id"),
        check("slots_taken_not_negative", "slots_taken >= 0"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("pools.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    gold_answer: Mapped[Any | None] = mapped_column(JSON)  # set for gold tasks only; never shown
    is_gold: Mapped[bool] = mapped_column(default=False)
    # Slots held by live claims and submitted answers, at most `overlap`. Claiming is a
    # conditional UPDATE of this number, so the database itself refuses a slot taken twice.
    slots_taken: Mapped[int] = mapped_column(default=0)
    # Set once `overlap` answers are in; submitted answers never go away, so it only turns on.
    filled: Mapped[bool] = mapped_column(default=False)
    consensus_answer: Mapped[Any | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    pool: Mapped[Pool] = relationship()


class Assignment(db.Model):
    """One worker's claim on one task slot, and then their answer and its review."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("task_id", "worker_id"),  # a worker never gets the same task twice
        Index("ix_assignments_task_state", "task_id", "state"),
        Index("ix_assignments_pool_worker", "pool_id", "worker_id", "state"),
        Index("ix_assignments_pool_lease", "pool_id", "state", "lease_expires_at"),
        one_of("state", ("claimed", "submitted", "expired")),
        one_of("review_state", ("pending", "approved", "rejected")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    pool_id: Mapped[int] = mapped_column(ForeignKey("pools.id", ondelete="CASCADE"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(10), default="claimed")  # claimed | submitted | expired
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer: Mapped[Any | None] = mapped_column(JSON)
    is_gold: Mapped[bool] = mapped_column(default=False)
    gold_correct: Mapped[bool | None]
    review_state: Mapped[str] = mapped_column(String(10), default="pending", index=True)  # pending|approved|rejected
    review_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    task: Mapped[Task] = relationship()
    pool: Mapped[Pool] = relationship()


class Suspension(db.Model):
    __tablename__ = "pool_suspensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("pools.id", ondelete="CASCADE"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class SkillSnapshot(db.Model):
    """A worker's accuracy on gold tasks in a pool as the worker (and everything the worker can
    observe: eligibility, suspensions, automatic approval) sees it. It is taken again only after
    every `quality.BATCH_SIZE`-th answer, gold or not, so nothing visible moves on one gold answer."""

    __tablename__ = "pool_skill_snapshots"
    __table_args__ = (
        UniqueConstraint("pool_id", "worker_id"),
        check("counts_range", "correct >= 0 AND correct <= answered AND answers_seen >= 0"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("pools.id", ondelete="CASCADE"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    answered: Mapped[int]  # gold answers in the rolling window when it was taken
    correct: Mapped[int]
    answers_seen: Mapped[int]  # all the worker's submitted answers in the pool when it was taken
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EarningEntry(db.Model):
    """Append-only: balances are sums of these, never stored counters."""

    __tablename__ = "earning_entries"
    __table_args__ = (
        Index("ix_earning_entries_worker_currency", "worker_id", "currency"),
        one_of("kind", ("approval", "bonus", "reversal")),
        # Approvals and bonuses add money, reversals take it back: never a zero line.
        check("amount_sign", "(kind = 'reversal' AND amount_minor < 0) OR (kind <> 'reversal' AND amount_minor > 0)"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    pool_id: Mapped[int | None] = mapped_column(ForeignKey("pools.id"))
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # approval | bonus | reversal
    amount_minor: Mapped[int] = mapped_column(BigInteger)  # negative for reversals
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Set once, when a payout batch takes the entry: an entry is paid out exactly once.
    payout_line_id: Mapped[int | None] = mapped_column(ForeignKey("payout_lines.id"), index=True)


class PayoutBatch(db.Model):
    __tablename__ = "payout_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    currency: Mapped[str] = mapped_column(String(3))
    threshold_minor: Mapped[int] = mapped_column(BigInteger)

    lines: Mapped[list[PayoutLine]] = relationship(back_populates="batch", order_by="PayoutLine.id")


class PayoutLine(db.Model):
    __tablename__ = "payout_lines"
    __table_args__ = (one_of("state", ("pending", "paid", "failed")), check("amount_not_negative", "amount_minor >= 0"))

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payout_batches.id", ondelete="CASCADE"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    state: Mapped[str] = mapped_column(String(10), default="pending")  # pending | paid | failed
    note: Mapped[str] = mapped_column(Text, default="")
    # Who is paid and where, as they were when the batch was made: the export never reads the
    # live profile, so a payout account changed afterwards does not redirect this payment.
    payee_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    payout_account: Mapped[str | None] = mapped_column(String(100))

    batch: Mapped[PayoutBatch] = relationship(back_populates="lines")


class ApiToken(db.Model):
    __tablename__ = "api_tokens"
    __table_args__ = (one_of("scope", ("read",)),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(12))  # shown in lists so admins can tell tokens apart
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(20), default="read")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What it may read: the pools listed by id (none: no pool; no wildcard, so a pool created
    # later is never added by itself) and the workers' personal fields of api_tokens.USER_FIELDS.
    pool_ids: Mapped[list[int]] = mapped_column(JSON, default=list, server_default="[]")
    user_fields: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
