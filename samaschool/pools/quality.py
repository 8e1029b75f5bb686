"""Pool skill: a worker's rolling accuracy on gold tasks, and the suspensions it triggers.

What a worker can observe must not tell them which task was gold: had the accuracy, the count of
gold answers, a suspension, skill-based eligibility or an automatic approval changed right after
one answer, that answer was gold. So workers see (and those rules use) a snapshot per pool and
worker, taken again only after every BATCH_SIZE-th answer they submit there, gold or not
(`after_answer`); the pool page says how often. Between two snapshots nothing visible moves.
The live figures (`accuracy`, `accuracies`) are for taking snapshots and for managers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import Integer, bindparam, cast, func, select

from samaschool import audit
from samaschool.errors import NotAllowed
from samaschool.extensions import db
from samaschool.pools.models import Assignment, Pool, SkillSnapshot, Suspension
from samaschool.reads import core_execute

ROLLING_WINDOW = 50  # the latest gold answers that make up the pool skill
BATCH_SIZE = 10  # answers (gold or not) between two snapshots of what a worker is shown


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


# What the worker is shown -----------------------------------------------------------------------


def shown_accuracies(worker_id: int, pool_ids) -> dict[int, Accuracy]:
    """The worker's accuracy in each of `pool_ids` as of their latest snapshot there, in one query:
    what pages show and what eligibility and automatic approval use."""
    pool_ids = list(pool_ids)
    result = {pool_id: Accuracy(0, 0) for pool_id in pool_ids}
    if pool_ids:
        for snapshot in db.session.scalars(
            select(SkillSnapshot).where(SkillSnapshot.worker_id == worker_id, SkillSnapshot.pool_id.in_(pool_ids))
        ):
            result[snapshot.pool_id] = Accuracy(answered=snapshot.answered, correct=snapshot.correct)
    return result


def shown_accuracy(worker_id: int, pool_id: int) -> Accuracy:
    return shown_accuracies(worker_id, [pool_id])[pool_id]


# The worker's answers in the pool so far and those their last snapshot saw (None without one),
# in one statement built once (samaschool/reads.py): every submit runs it.
_ANSWERS_AND_SEEN = select(
    func.count(),
    select(SkillSnapshot.answers_seen)
    .where(SkillSnapshot.worker_id == bindparam("worker_id"), SkillSnapshot.pool_id == bindparam("pool_id"))
    .scalar_subquery(),
).where(
    Assignment.worker_id == bindparam("worker_id"),
    Assignment.pool_id == bindparam("pool_id"),
    Assignment.state == "submitted",
)


def after_answer(worker, pool: Pool, now: datetime) -> SkillSnapshot | None:
    """Called for every answer submitted, gold or not (the caller holds the worker's row lock).
    Once BATCH_SIZE answers have come in since the last snapshot, take a new one and apply the
    suspension rule; otherwise change nothing. Returns the new snapshot, if one was taken."""
    submitted, answers_seen = core_execute(_ANSWERS_AND_SEEN, {"worker_id": worker.id, "pool_id": pool.id}).one()
    if submitted - (answers_seen or 0) < BATCH_SIZE:
        return None
    snapshot = take_snapshot(worker.id, pool.id, now, answers_seen=submitted)
    enforce_threshold(worker, pool, now)
    return snapshot


def take_snapshot(worker_id: int, pool_id: int, now: datetime, *, answers_seen: int | None = None) -> SkillSnapshot:
    """Record the worker's live accuracy in the pool as what they are shown from now on."""
    if answers_seen is None:
        answers_seen = db.session.scalar(
            select(func.count()).where(
                Assignment.worker_id == worker_id, Assignment.pool_id == pool_id, Assignment.state == "submitted"
            )
        )
    skill = accuracy(worker_id, pool_id)
    snapshot = db.session.scalar(
        select(SkillSnapshot).where(SkillSnapshot.worker_id == worker_id, SkillSnapshot.pool_id == pool_id)
    )
    if snapshot is None:
        snapshot = SkillSnapshot(worker_id=worker_id, pool_id=pool_id)
        db.session.add(snapshot)
    snapshot.answered, snapshot.correct = skill.answered, skill.correct
    snapshot.answers_seen, snapshot.taken_at = answers_seen, now
    db.session.flush()
    return snapshot


# Suspensions ----------------------------------------------------------------------------------


def enforce_threshold(worker, pool: Pool, now: datetime) -> Suspension | None:
    """Suspend the worker if their accuracy fell below the pool's threshold after enough gold.
    Called only when a snapshot is taken (`after_answer`), never on one gold answer."""
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
