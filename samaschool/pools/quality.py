"""Pool skill: a worker's rolling accuracy on gold tasks, and the suspensions it triggers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import Integer, cast, func, select

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


def latest_gold_answers(since: datetime | None = None):
    """Each submitted gold answer with its rank among its worker's latest in its pool (1: newest):
    the rows with rank <= ROLLING_WINDOW make up the pool skill. A subquery, for one worker's
    accuracy in many pools and for the eligibility filter over many workers alike."""
    rank = func.row_number().over(
        partition_by=(Assignment.worker_id, Assignment.pool_id),
        order_by=(Assignment.submitted_at.desc(), Assignment.id.desc()),
    )
    query = select(Assignment.worker_id, Assignment.pool_id, Assignment.gold_correct, rank.label("rank")).where(
        Assignment.is_gold.is_(True), Assignment.state == "submitted"
    )
    if since is not None:
        query = query.where(Assignment.submitted_at > since)
    return query


def gold_counts(latest, *group_by):
    """(answered, correct) aggregates over the rolling window of `latest_gold_answers()`."""
    answered = func.count().label("answered")
    correct = func.coalesce(func.sum(cast(latest.c.gold_correct, Integer)), 0).label("correct")
    return select(*group_by, answered, correct).where(latest.c.rank <= ROLLING_WINDOW).group_by(*group_by)


def accuracies(worker_id: int, pool_ids, since: datetime | None = None) -> dict[int, Accuracy]:
    """The worker's accuracy in each of `pool_ids`, in one query."""
    pool_ids = list(pool_ids)
    result = {pool_id: Accuracy(0, 0) for pool_id in pool_ids}
    if not pool_ids:
        return result
    latest = (
        latest_gold_answers(since).where(Assignment.worker_id == worker_id, Assignment.pool_id.in_(pool_ids)).subquery()
    )
    for pool_id, answered, correct in db.session.execute(gold_counts(latest, latest.c.pool_id)):
        result[pool_id] = Accuracy(answered=answered, correct=int(correct))
    return result


def accuracy(worker_id: int, pool_id: int, since: datetime | None = None) -> Accuracy:
    return accuracies(worker_id, [pool_id], since)[pool_id]


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
