"""Pool skill: a worker's rolling accuracy on gold tasks, and the suspensions it triggers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from samaschool import audit
from samaschool.errors import NotAllowed
from samaschool.extensions import db
from samaschool.pools.models import Assignment, Pool, Suspension

ROLLING_WINDOW = 50  # the latest gold answers that make up the pool skill


@dataclass(frozen=True)
class Accuracy:
    answered: int
    correct: int

    @property
    def percent(self) -> float:
        return 100.0 * self.correct / self.answered if self.answered else 0.0


def accuracy(worker_id: int, pool_id: int, since: datetime | None = None) -> Accuracy:
    query = select(Assignment.gold_correct).where(
        Assignment.worker_id == worker_id,
        Assignment.pool_id == pool_id,
        Assignment.is_gold.is_(True),
        Assignment.state == "submitted",
    )
    if since is not None:
        query = query.where(Assignment.submitted_at > since)
    latest = query.order_by(Assignment.submitted_at.desc(), Assignment.id.desc()).limit(ROLLING_WINDOW).subquery()
    answered, correct = db.session.execute(
        select(func.count(), func.coalesce(func.sum(func.cast(latest.c.gold_correct, db.Integer)), 0))
    ).one()
    return Accuracy(answered=answered, correct=int(correct))


def enforce_threshold(worker, pool: Pool, now: datetime) -> Suspension | None:
    """Suspend the worker if their accuracy fell below the pool's threshold after enough gold."""
    # After a suspension the worker starts with a clean slate of gold answers.
    last = db.session.scalar(
        select(func.max(func.coalesce(Suspension.lifted_at, Suspension.ends_at))).where(
            Suspension.worker_id == worker.id, Suspension.pool_id == pool.id
        )
    )
    skill = accuracy(worker.id, pool.id, since=last)
    if skill.answered < pool.quality_min_gold or skill.percent >= pool.quality_threshold_percent:
        return None
    existing = db.session.scalar(
        select(Suspension).where(
            Suspension.worker_id == worker.id,
            Suspension.pool_id == pool.id,
            Suspension.lifted_at.is_(None),
            Suspension.ends_at > now,
        )
    )
    if existing is not None:
        return existing
    suspension = Suspension(
        pool_id=pool.id,
        worker_id=worker.id,
        started_at=now,
        ends_at=now + timedelta(days=pool.suspension_days),
        reason=_(
            "accuracy on check tasks is %(accuracy).0f%%, below this pool's %(threshold)d%%. "
            "Re-read the guidelines before you come back.",
            accuracy=skill.percent,
            threshold=pool.quality_threshold_percent,
        ),
    )
    db.session.add(suspension)
    db.session.flush()
    audit.record(None, "pool.worker_suspended", suspension, after={"accuracy": round(skill.percent, 1)})
    return suspension


def lift(actor, suspension: Suspension, now: datetime) -> None:
    if actor.id == suspension.worker_id:
        raise NotAllowed(_("You cannot lift your own suspension."))
    suspension.lifted_at, suspension.lifted_by_id = now, actor.id
    audit.record(actor, "pool.worker_reinstated", suspension, before={"ends_at": suspension.ends_at.isoformat()})
