"""Claiming and submitting tasks. Two workers never hold the same task slot; a worker never
gets the same task twice; a replayed submit changes nothing."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import bindparam, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from samaschool.auth.models import User
from samaschool.db_types import utcnow
from samaschool.errors import DomainError
from samaschool.extensions import db
from samaschool.media import services as media
from samaschool.pools import eligibility, quality
from samaschool.pools.models import Assignment, Pool, Task
from samaschool.pools.review import auto_review_on_submit
from samaschool.pools.task_types import REGISTRY, TaskContext
from samaschool.reads import core_execute


class NotEligible(DomainError):
    def __init__(self, result: eligibility.Eligibility):
        super().__init__("; ".join(r.message for r in result.reasons))
        self.result = result


class NoTaskLeft(DomainError):
    pass


class LimitReached(DomainError):
    pass


class LeaseExpired(DomainError):
    pass


# Built once (samaschool/reads.py): every claim and submit runs them.
_OPEN_CLAIMS = (
    select(Assignment)
    .where(
        Assignment.worker_id == bindparam("worker_id"),
        Assignment.pool_id == bindparam("pool_id"),
        Assignment.state == "claimed",
        Assignment.lease_expires_at > bindparam("now"),
    )
    .order_by(Assignment.claimed_at)
)
# One worker's claims and submits go one at a time (PostgreSQL row lock; SQLite serialises
# anyway). NO KEY UPDATE, as certificate awards take it: it never waits on foreign-key share locks.
_LOCK_WORKER = select(User.id).where(User.id == bindparam("worker_id")).with_for_update(key_share=True)
_NEXT_TASK = (
    select(Task)
    .where(
        Task.pool_id == bindparam("pool_id"),
        Task.filled.is_(False),
        Task.slots_taken < bindparam("overlap"),
        ~exists().where(Assignment.task_id == Task.id, Assignment.worker_id == bindparam("worker_id")),
    )
    .order_by(Task.id)
    .limit(1)
    .with_for_update(skip_locked=True, of=Task)
)
_TAKE_SLOT = (
    update(Task)
    .where(Task.id == bindparam("task_id"), Task.slots_taken < bindparam("overlap"))
    .values(slots_taken=Task.slots_taken + 1)
    .execution_options(synchronize_session=False)
)


def _lock_worker(worker_id: int) -> None:
    """The worker's row lock, held to the end of the transaction. SQLite has no row locks (it
    leaves FOR UPDATE out): there the write transaction, begun IMMEDIATE, serialises already."""
    if db.session.get_bind().dialect.name != "sqlite":
        core_execute(_LOCK_WORKER, {"worker_id": worker_id})


def open_claims(worker_id: int, pool_id: int, now: datetime) -> list[Assignment]:
    return list(db.session.scalars(_OPEN_CLAIMS, {"worker_id": worker_id, "pool_id": pool_id, "now": now}))


def claim_next_task(worker, pool: Pool, now: datetime | None = None) -> Assignment:
    """The worker's open claim in this pool, or a newly claimed task with a lease.

    Raises NotEligible, LimitReached or NoTaskLeft. On PostgreSQL the candidate task row is
    taken with FOR UPDATE SKIP LOCKED, so concurrent workers pass each other by; on SQLite the
    write transaction (BEGIN IMMEDIATE) serialises claims.
    """
    now = now or utcnow()
    # One claim of a worker at a time, so parallel requests cannot slip past the
    # concurrent-claim limit or the daily cap.
    _lock_worker(worker.id)
    check = eligibility.check(worker, pool, now)
    if not check.eligible:
        raise NotEligible(check)
    held = open_claims(worker.id, pool.id, now)
    if len(held) >= pool.max_concurrent_claims:
        return held[0]  # finish what you hold first
    if pool.daily_cap:
        start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        done_today = db.session.scalar(
            select(func.count()).where(
                Assignment.worker_id == worker.id,
                Assignment.pool_id == pool.id,
                Assignment.claimed_at >= start_of_day,
                Assignment.state != "expired",
            )
        )
        if done_today >= pool.daily_cap:
            raise LimitReached(
                _("You have done today's %(count)d tasks in this pool. Come back tomorrow.", count=pool.daily_cap)
            )
    expire_leases(now, pool_id=pool.id)
    task = None
    for _attempt in range(5):
        candidate = db.session.scalar(_NEXT_TASK, {"pool_id": pool.id, "overlap": pool.overlap, "worker_id": worker.id})
        if candidate is None:
            break
        # The guard is checked again on the newest row version, so of two claimers that
        # picked the same task only one gets the slot; the other tries the next task.
        taken = db.session.execute(_TAKE_SLOT, {"task_id": candidate.id, "overlap": pool.overlap})
        if taken.rowcount == 1:
            task = candidate
            break
    if task is None:
        raise NoTaskLeft(_("No tasks are waiting for you in this pool right now. Check again later."))
    assignment = Assignment(
        task_id=task.id,
        pool_id=pool.id,
        worker_id=worker.id,
        claimed_at=now,
        lease_expires_at=now + timedelta(minutes=pool.lease_minutes),
        is_gold=task.is_gold,
    )
    try:
        with db.session.begin_nested():
            db.session.add(assignment)
    except IntegrityError:
        raise NoTaskLeft(_("That task was just taken. Try again.")) from None
    return assignment


def task_context(pool: Pool, task: Task) -> TaskContext:
    """The pool and the task's media files (payload field -> MediaFile), in one query at most.
    A file the store no longer has is left out: the page says so rather than fail."""
    fields = REGISTRY[pool.task_type].media_fields
    keys = {name: task.payload.get(name) for name in fields}
    found = media.by_keys(key for key in keys.values() if key) if keys else {}
    return TaskContext(pool=pool, media={name: found[key] for name, key in keys.items() if key in found})


def media_of(tasks) -> dict:
    """The media files the tasks' payloads name, by key, in one query (for the review page)."""
    fields = {name for kind in REGISTRY.values() for name in kind.media_fields}
    return media.by_keys(
        value for task in tasks for name, value in (task.payload or {}).items() if name in fields and value
    )


def submit_answer(
    worker, assignment: Assignment, form, now: datetime | None = None, *, context: TaskContext | None = None
) -> bool:
    """Record the worker's answer once. Returns False for a replay (nothing changes).

    Raises NotEligible (a requirement was lost), LeaseExpired, or InvalidTaskAnswer.
    """
    now = now or utcnow()
    if assignment.state == "submitted":
        return False
    pool = assignment.pool
    check = eligibility.check(worker, pool, now)
    if not check.eligible:
        raise NotEligible(check)
    if assignment.state != "claimed" or assignment.lease_expires_at <= now:
        expire_leases(now, pool_id=assignment.pool_id)
        db.session.refresh(assignment)
        raise LeaseExpired(_("Your time for this task ran out and it went back to the pool. Get a new task."))
    kind = REGISTRY[pool.task_type]
    answer = kind.parse(form, pool.labels, context or task_context(pool, assignment.task))
    # One worker's submits go one at a time, so each batch of answers is counted exactly once.
    _lock_worker(worker.id)
    done = db.session.execute(
        update(Assignment)
        .where(Assignment.id == assignment.id, Assignment.state == "claimed", Assignment.lease_expires_at > now)
        .values(state="submitted", answer=answer, submitted_at=now)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        db.session.refresh(assignment)
        return False
    # What the UPDATE just stored, without the ORM writing it a second time.
    for name, value in (("state", "submitted"), ("answer", answer), ("submitted_at", now)):
        set_committed_value(assignment, name, value)
    task = assignment.task
    if task.is_gold:
        assignment.gold_correct = kind.matches(answer, task.gold_answer, pool)
    db.session.flush()
    _after_answer(task, pool, kind)
    # Gold or not, the same happens from here on: nothing the worker sees may tell them which
    # it was. Automatic approval reads the accuracy they are shown (the latest snapshot), and a
    # new snapshot (with any suspension) is taken only every quality.BATCH_SIZE answers.
    auto_review_on_submit(assignment, now)
    quality.after_answer(worker, pool, now)
    return True


def _after_answer(task: Task, pool: Pool, kind) -> None:
    if pool.overlap == 1:  # the one answer fills the task; nothing to agree on
        task.filled = True
        return
    answers = list(
        db.session.scalars(
            select(Assignment.answer)
            .where(Assignment.task_id == task.id, Assignment.state == "submitted")
            .order_by(Assignment.submitted_at, Assignment.id)  # ties in consensus go to the earliest
        )
    )
    if len(answers) >= pool.overlap:
        task.filled = True
        task.consensus_answer = kind.consensus(answers, pool)


_EXPIRE_LEASES = (
    update(Assignment)
    .where(Assignment.state == "claimed", Assignment.lease_expires_at <= bindparam("now"))
    .values(state="expired")
    .returning(Assignment.task_id)
    .execution_options(synchronize_session=False)
)
_EXPIRE_POOL_LEASES = _EXPIRE_LEASES.where(Assignment.pool_id == bindparam("in_pool"))  # not a column's name


def expire_leases(now: datetime | None = None, *, pool_id: int | None = None) -> int:
    """Mark lapsed claims expired and give their slots back to the pool (each exactly once:
    only the request whose UPDATE flips a claim from 'claimed' returns its slot)."""
    now = now or utcnow()
    if pool_id is None:
        freed = db.session.execute(_EXPIRE_LEASES, {"now": now}).scalars().all()
    else:
        freed = db.session.execute(_EXPIRE_POOL_LEASES, {"now": now, "in_pool": pool_id}).scalars().all()
    for task_id, count in Counter(freed).items():
        db.session.execute(
            update(Task)
            .where(Task.id == task_id)
            .values(slots_taken=Task.slots_taken - count)
            .execution_options(synchronize_session=False)
        )
    return len(freed)
