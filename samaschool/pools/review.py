"""Reviewing submissions: approve, reject (with a reason), override a rejection within 30
days, and auto-approval. Every change of mind writes to the ledger, never over it."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from samaschool import audit
from samaschool.db_types import utcnow
from samaschool.errors import DomainError
from samaschool.extensions import db
from samaschool.pools import money
from samaschool.pools.models import Assignment, Pool
from samaschool.pools.quality import shown_accuracy

OVERRIDE_WINDOW = timedelta(days=30)


class ReviewError(DomainError):
    pass


def _set_state(assignment: Assignment, from_states: tuple[str, ...], to_state: str, actor, reason: str, now) -> bool:
    if actor is not None and actor.id == assignment.worker_id:
        raise ReviewError(_("You cannot review your own work."))
    changed = db.session.execute(
        update(Assignment)
        .where(
            Assignment.id == assignment.id, Assignment.state == "submitted", Assignment.review_state.in_(from_states)
        )
        .values(
            review_state=to_state, review_reason=reason, reviewed_at=now, reviewed_by_id=actor.id if actor else None
        )
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        return False
    db.session.refresh(assignment)
    return True


def approve(actor, assignment: Assignment, now: datetime | None = None, reason: str = "") -> bool:
    """Approve a pending submission, or override a rejection within 30 days. Credits the reward once."""
    now = now or utcnow()
    was = assignment.review_state
    if was == "rejected" and assignment.reviewed_at and now - assignment.reviewed_at > OVERRIDE_WINDOW:
        raise ReviewError(_("Rejections can be overridden for 30 days only."))
    if not _set_state(assignment, ("pending", "rejected"), "approved", actor, reason, now):
        return False
    pool = assignment.pool
    money.credit(
        assignment.worker_id,
        pool.reward_minor,
        pool.currency,
        "approval",
        pool_id=pool.id,
        assignment_id=assignment.id,
        reason=reason,
        actor=actor,
    )
    audit.record(
        actor, "submission.approved", assignment, before={"review": was}, after={"review": "approved"}, reason=reason
    )
    return True


def reject(actor, assignment: Assignment, reason: str, now: datetime | None = None) -> bool:
    """Reject a pending submission (or reverse an approval). A reason is required: the worker sees it."""
    now = now or utcnow()
    if not reason.strip():
        raise ReviewError(_("Give the worker a reason."))
    was = assignment.review_state
    if not _set_state(assignment, ("pending", "approved"), "rejected", actor, reason, now):
        return False
    if was == "approved":
        pool = assignment.pool
        money.credit(
            assignment.worker_id,
            -pool.reward_minor,
            pool.currency,
            "reversal",
            pool_id=pool.id,
            assignment_id=assignment.id,
            reason=reason,
            actor=actor,
        )
    audit.record(
        actor, "submission.rejected", assignment, before={"review": was}, after={"review": "rejected"}, reason=reason
    )
    return True


def auto_review_on_submit(assignment: Assignment, now: datetime) -> None:
    """Pools that auto-approve on gold accuracy approve at once when the worker qualifies, by
    the accuracy the worker is shown (the latest snapshot): whether an answer is approved never
    depends on whether the answer before it was gold."""
    pool = assignment.pool
    if pool.review_mode != "auto_gold" or pool.auto_approve_accuracy is None:
        return
    skill = shown_accuracy(assignment.worker_id, pool.id)
    if skill.answered >= pool.quality_min_gold and skill.percent >= pool.auto_approve_accuracy:
        approve(None, assignment, now, reason=_("automatic: gold accuracy %(p).0f%%", p=skill.percent))


def auto_approve_due(now: datetime | None = None) -> int:
    """Approve pending submissions older than their pool's auto-approval delay."""
    now = now or utcnow()
    count = 0
    pools = db.session.scalars(select(Pool).where(Pool.review_mode == "auto_days", Pool.auto_approve_days.is_not(None)))
    for pool in pools:
        due = db.session.scalars(
            select(Assignment).where(
                Assignment.pool_id == pool.id,
                Assignment.state == "submitted",
                Assignment.review_state == "pending",
                Assignment.submitted_at <= now - timedelta(days=pool.auto_approve_days),
            )
        )
        for assignment in due:
            count += approve(
                None, assignment, now, reason=_("automatic after %(days)d days", days=pool.auto_approve_days)
            )
    return count
