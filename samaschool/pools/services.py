"""Pools: listing what a worker sees, and saving a pool's settings."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select

from samaschool import audit
from samaschool.certification.models import Certificate
from samaschool.choices import country_choices
from samaschool.content.markdown import render_markdown
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.pools import eligibility, money
from samaschool.pools.models import Assignment, EarningEntry, PayoutLine, Pool, Task
from samaschool.pools.task_types import REGISTRY
from samaschool.reads import core_execute


@dataclass
class PoolCard:
    pool: Pool
    check: eligibility.Eligibility
    tasks_waiting: int


def open_pools_for(user) -> list[PoolCard]:
    """Every open pool with the worker's eligibility and the number of tasks still to do."""
    pools = list(db.session.scalars(select(Pool).where(Pool.status == "open").order_by(Pool.name)))
    waiting = dict(
        db.session.execute(
            select(Task.pool_id, func.count()).where(Task.filled.is_(False)).group_by(Task.pool_id)
        ).all()
    )
    checks = eligibility.check_pools(user, pools)
    return [PoolCard(pool, checks[pool.id], waiting.get(pool.id, 0)) for pool in pools]


# Built once (samaschool/reads.py): the dashboard runs them.
_CERTIFICATES = select(Certificate).where(Certificate.user_id == bindparam("user_id"))
_OPEN_POOLS = select(Pool).where(Pool.status == "open").order_by(Pool.name)
_TASKS_WAITING = (
    select(Task.pool_id, func.count())
    .where(Task.pool_id.in_(bindparam("pool_ids", expanding=True)), Task.filled.is_(False))
    .group_by(Task.pool_id)
)


def unlocked_pools(
    user, certification_slugs: list[str] | None = None, *, certificates: list[Certificate] | None = None
) -> list[PoolCard]:
    """The open pools that certificates unlock and that `user` may work in now: those requiring
    one of `certification_slugs`, or (None) one of the certifications the user holds. For the
    next step after a certificate: the exam result, the certificate page, the dashboard.
    `certificates`: all the user's certificates, when the page has them already. A learner
    without a certificate (most dashboard views) costs one query at most; a holder four at most
    (the certificates, the pools, the eligibility facts the certificates do not give, the tasks)."""
    if not user.is_authenticated:
        return []
    now = utcnow()
    if certificates is None:
        certificates = list(db.session.scalars(_CERTIFICATES, {"user_id": user.id}))
    if certification_slugs is None:
        certification_slugs = [c.certification.slug for c in certificates if c.status(now) == "valid"]
    wanted = set(certification_slugs)
    if not wanted:
        return []
    # A pool needing a certification the user has no certificate of is closed to them: only the
    # others are checked, with the certificates just loaded.
    known = {c.certification.slug for c in certificates}
    pools = [
        pool
        for pool in db.session.scalars(_OPEN_POOLS)
        if wanted & set(pool.required_certifications) and set(pool.required_certifications) <= known
    ]
    checks = eligibility.check_pools(user, pools, now, certificates=certificates) if pools else {}
    eligible = [pool for pool in pools if checks[pool.id].eligible]
    if not eligible:
        return []
    waiting = dict(core_execute(_TASKS_WAITING, {"pool_ids": [pool.id for pool in eligible]}).all())
    return [PoolCard(pool, checks[pool.id], waiting.get(pool.id, 0)) for pool in eligible]


def needs_payout_account(user) -> bool:
    """The worker has earned money (an approved task, a bonus) and has not said where to send it."""
    if user.payout_account:
        return False
    return db.session.scalar(select(EarningEntry.id).where(EarningEntry.worker_id == user.id).limit(1)) is not None


def payout_lines_for(worker_id: int, limit: int = 20) -> list[PayoutLine]:
    """The worker's latest payments (lines of payout batches), newest first."""
    return list(
        db.session.scalars(
            select(PayoutLine).where(PayoutLine.worker_id == worker_id).order_by(PayoutLine.id.desc()).limit(limit)
        )
    )


def save_pool(actor, pool: Pool | None, form) -> Pool:
    """Create or update a pool from a validated form; raises ValueError with a field name."""
    kind = REGISTRY[form.task_type.data]
    labels = [line.strip() for line in (form.labels.data or "").splitlines() if line.strip()]
    if kind.needs_labels and len(labels) < 2:
        raise ValueError("labels", _("List at least two labels, one per line."))
    if len(set(labels)) != len(labels):
        raise ValueError("labels", _("A label is listed twice."))
    if not money.is_known_currency(form.currency.data):
        raise ValueError("currency", _("Unknown currency code."))
    try:
        reward = money.to_minor(form.reward.data, form.currency.data)
    except money.AmountError as error:
        raise ValueError("reward", str(error)) from None
    if reward <= 0:
        raise ValueError("reward", _("The reward must be more than zero."))
    known = {code for code, _name in country_choices()}
    countries = sorted({c.strip().upper() for c in (form.countries.data or "").replace(",", " ").split() if c.strip()})
    if unknown := [c for c in countries if c not in known]:
        raise ValueError("countries", _("Unknown country codes: %(codes)s", codes=", ".join(unknown)))
    if form.review_mode.data == "auto_days" and not form.auto_approve_days.data:
        raise ValueError("auto_approve_days", _("Give the number of days."))
    if form.review_mode.data == "auto_gold" and not form.auto_approve_accuracy.data:
        raise ValueError("auto_approve_accuracy", _("Give the accuracy."))
    clash = db.session.scalar(select(Pool).where(Pool.slug == form.slug.data))
    if clash is not None and clash is not pool:
        raise ValueError("slug", _("Another pool already uses this short name."))
    before = None if pool is None else {"status": pool.status, "reward_minor": pool.reward_minor}
    if pool is None:
        pool = Pool()
        db.session.add(pool)
    pool.name, pool.slug, pool.client = form.name.data, form.slug.data, form.client.data or ""
    pool.description = form.description.data
    pool.instructions_markdown = form.instructions.data
    pool.instructions_html = render_markdown(form.instructions.data)
    pool.task_type, pool.labels = kind.name, labels
    pool.reward_minor, pool.currency = reward, form.currency.data
    for name in (
        "status",
        "lease_minutes",
        "max_concurrent_claims",
        "daily_cap",
        "overlap",
        "review_mode",
        "auto_approve_days",
        "auto_approve_accuracy",
        "min_skill_percent",
        "quality_threshold_percent",
        "quality_min_gold",
        "suspension_days",
        "iou_threshold_percent",
        "max_error_percent",
    ):
        setattr(pool, name, getattr(form, name).data)
    pool.required_certifications = list(form.required_certifications.data or [])
    pool.countries = countries
    db.session.flush()
    audit.record(
        actor, "pool.saved", pool, before=before, after={"status": pool.status, "reward_minor": pool.reward_minor}
    )
    return pool


def worker_summary(worker_id: int) -> dict:
    """Counts of the worker's submissions by review state, for the earnings page."""
    rows = db.session.execute(
        select(Assignment.review_state, func.count())
        .where(Assignment.worker_id == worker_id, Assignment.state == "submitted")
        .group_by(Assignment.review_state)
    ).all()
    counts = dict(rows)
    return {"done": sum(counts.values()), **{k: counts.get(k, 0) for k in ("pending", "approved", "rejected")}}
