"""Paid work: per pool, the tasks done, the workers active, their accuracy on gold tasks,
suspensions, how long reviews take, and the money earned, paid and still owed.

Which pools: every pool for admins; for trainers, the pools requiring a certification whose
criteria name one of their courses, counting only workers enrolled in one of those courses. The
certification filter keeps the pools requiring it, the course filter the pools whose
certification names the course, the country filter the workers of that country.

Each figure is one SQL aggregate (the per-pool and the all-pools figure of a kind are two), so the
page runs the same number of queries whatever the number of pools, workers and tasks.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, Integer, and_, case, cast, distinct, func, null, or_, select, true, tuple_, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import load_only
from sqlalchemy.sql.expression import FunctionElement

from samaschool.auth.models import User
from samaschool.catalog.models import Course, Enrolment
from samaschool.certification.models import Certification
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.pools.models import Assignment, EarningEntry, PayoutLine, Pool, Suspension
from samaschool.pools.money import money
from samaschool.reports.filters import Filters, Scope, named_courses
from samaschool.reports.sql import hours_between, median_by, median_of
from samaschool.reports.tables import Chart, Column, Report, Table, register, share

# A worker's accuracy is shown only from this many gold answers in the period.
MIN_GOLD_ANSWERS = 5
# The gold accuracy buckets: (key, lowest percent included); each runs up to the next one.
ACCURACY_BUCKETS = (("b0", 0), ("b50", 50), ("b70", 70), ("b85", 85), ("b95", 95))
ACCURACY_NAMES = {
    "b0": _l("Under 50%"),
    "b50": _l("50–70%"),
    "b70": _l("70–85%"),
    "b85": _l("85–95%"),
    "b95": _l("95% and above"),
}
# The time series is drawn per day over short periods, per week or per month over longer ones.
DAILY_UP_TO_DAYS = 62
WEEKLY_UP_TO_DAYS = 371


@register("pools", _l("Paid work"))
def build(filters: Filters, scope: Scope) -> Report:
    pools = _visible_pools(filters, scope)
    pool_ids = [pool.id for pool in pools]
    # Bonuses belong to no pool: they are counted only when every pool is.
    with_bonuses = scope.course_ids is None and filters.certification is None and filters.course is None
    series, days = _tasks_series(filters, scope, pool_ids)
    work = _work(filters, scope, pool_ids)
    return Report(
        [
            series,
            _pool_summary(filters, scope, pools, work, days),
            *_accuracy(pools, work),
            *_earnings(filters, scope, pools, with_bonuses),
        ],
    )


# Which pools and which workers ------------------------------------------------------------------


def _visible_pools(filters: Filters, scope: Scope) -> list[Pool]:
    pools = list(db.session.scalars(select(Pool).order_by(Pool.name, Pool.id)))
    courses_of = {
        certification.slug: named_courses(certification)
        for certification in db.session.scalars(
            select(Certification).options(load_only(Certification.slug, Certification.criteria))
        )
    }

    def names_one_of(pool: Pool, course_slugs: set[str]) -> bool:
        return any(courses_of.get(slug, set()) & course_slugs for slug in pool.required_certifications)

    if scope.course_ids is not None:
        own = set(db.session.scalars(select(Course.slug).where(Course.id.in_(scope.course_ids))))
        pools = [pool for pool in pools if names_one_of(pool, own)]
    if filters.certification is not None:
        pools = [pool for pool in pools if filters.certification.slug in pool.required_certifications]
    if filters.course is not None:
        pools = [pool for pool in pools if names_one_of(pool, {filters.course.slug})]
    return pools


def _workers(column, filters: Filters, scope: Scope) -> list:
    """Conditions on a worker id column: the trainer's learners, the chosen country's people."""
    conditions = []
    if scope.course_ids is not None:
        conditions.append(column.in_(select(Enrolment.user_id).where(Enrolment.course_id.in_(scope.course_ids))))
    if filters.country:
        conditions.append(column.in_(select(User.id).where(User.country == filters.country)))
    return conditions


def _done(filters: Filters, scope: Scope, pool_ids: list[int]) -> list:
    """Submitted answers in the period, in the pools shown, by the workers counted."""
    return [
        Assignment.state == "submitted",
        Assignment.pool_id.in_(pool_ids),
        *filters.in_period(Assignment.submitted_at),
        *_workers(Assignment.worker_id, filters, scope),
    ]


# Tasks done over time ------------------------------------------------------------------------------


def _tasks_series(filters: Filters, scope: Scope, pool_ids: list[int]) -> tuple[Table, int]:
    """Tasks done per day (per week or month over long periods), every pool together, and the
    number of days the period spans (for the per-day averages)."""
    day = utc_day(Assignment.submitted_at).label("day")
    per_day: dict[date, int] = dict(
        db.session.execute(select(day, func.count()).where(*_done(filters, scope, pool_ids)).group_by(day))
        .tuples()
        .all()
    )
    today = utcnow().date()
    first = filters.start or min(per_day, default=None)
    # An open end is today when the period has a start, else the last day anything was done.
    last = filters.end or (today if filters.start else max(per_day, default=None))
    if last and last > today:  # no task is done in the future
        last = max(today, max(per_day, default=today))
    days = (last - first).days + 1 if first and last and last >= first else 0
    unit = "day" if days <= DAILY_UP_TO_DAYS else "week" if days <= WEEKLY_UP_TO_DAYS else "month"
    buckets: dict[date, int] = {}
    for offset in range(days):  # every period shown, the quiet ones as 0
        buckets.setdefault(_bucket(first + timedelta(days=offset), unit), 0)
    for when, count in per_day.items():
        key = _bucket(when, unit)
        buckets[key] = buckets.get(key, 0) + count
    titles = {
        "day": (_("Tasks done per day"), _("Day")),
        "week": (_("Tasks done per week"), _("Week starting")),
        "month": (_("Tasks done per month"), _("Month")),
    }
    title, period_label = titles[unit]
    rows = [
        {"period": when.strftime("%Y-%m") if unit == "month" else when.isoformat(), "tasks": count}
        for when, count in sorted(buckets.items())
    ]
    table = Table(
        "tasks",
        title,
        [Column("period", period_label), Column("tasks", _("Tasks done"), "count")],
        rows if any(row["tasks"] for row in rows) else [],
        description=_("Answers submitted in every pool shown (UTC days; weeks start on Monday)."),
        chart=Chart("columns", "period", "tasks"),
        empty=_("No tasks were done in this period."),
    )
    return table, days


def _bucket(day: date, unit: str) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


# Per pool ----------------------------------------------------------------------------------------


def _work(filters: Filters, scope: Scope, pool_ids: list[int]) -> dict[int | None, dict]:
    """Per pool (and under the key None, over every pool shown): tasks done, workers active, and
    the workers with at least MIN_GOLD_ANSWERS gold answers in the period, in all and per accuracy
    bucket. One statement, one pass over the answers: a worker's figures per pool, summed per pool
    and, per worker, over every pool."""
    pairs = (
        select(
            Assignment.pool_id,
            Assignment.worker_id,
            func.count().label("tasks"),
            func.sum(case((Assignment.is_gold.is_(True), 1), else_=0)).label("answered"),
            func.sum(case((and_(Assignment.is_gold.is_(True), Assignment.gold_correct.is_(True)), 1), else_=0)).label(
                "correct"
            ),
        )
        .where(*_done(filters, scope, pool_ids))
        .group_by(Assignment.pool_id, Assignment.worker_id)
        .cte("pairs")
    )

    def figures(rows, pool_id):
        graded = rows.c.answered >= MIN_GOLD_ANSWERS
        # In whole numbers, as quality.py compares: correct / answered >= p%  <=>  100 correct >= p answered.
        buckets = []
        for index, (key, lowest) in enumerate(ACCURACY_BUCKETS):
            conditions = [graded, rows.c.correct * 100 >= lowest * rows.c.answered]
            if index + 1 < len(ACCURACY_BUCKETS):
                conditions.append(rows.c.correct * 100 < ACCURACY_BUCKETS[index + 1][1] * rows.c.answered)
            buckets.append(func.sum(case((and_(*conditions), 1), else_=0)).label(key))
        return select(
            pool_id.label("pool_id"),
            func.sum(rows.c.tasks).label("tasks"),
            func.count().label("workers"),
            func.sum(case((graded, 1), else_=0)).label("graded"),
            *buckets,
        )

    per_worker = (
        select(
            pairs.c.worker_id,
            func.sum(pairs.c.tasks).label("tasks"),
            func.sum(pairs.c.answered).label("answered"),
            func.sum(pairs.c.correct).label("correct"),
        )
        .group_by(pairs.c.worker_id)
        .subquery("per_worker")
    )
    statement = union_all(
        figures(pairs, pairs.c.pool_id).group_by(pairs.c.pool_id),
        figures(per_worker, cast(null(), Integer)),
    )
    work = {
        row.pool_id: {key: int(value or 0) for key, value in row._mapping.items()}
        for row in db.session.execute(statement)
    }
    empty = dict.fromkeys(("tasks", "workers", "graded", *ACCURACY_NAMES), 0)
    return {pool_id: work.get(pool_id, empty) for pool_id in (*pool_ids, None)}


def _pool_summary(filters: Filters, scope: Scope, pools: list[Pool], work: dict, days: int) -> Table:
    pool_ids = [pool.id for pool in pools]
    reviews = select(
        Assignment.pool_id, hours_between(Assignment.reviewed_at, Assignment.submitted_at).label("value")
    ).where(
        Assignment.state == "submitted",
        Assignment.review_state != "pending",
        Assignment.reviewed_at.is_not(None),
        Assignment.pool_id.in_(pool_ids),
        *filters.in_period(Assignment.reviewed_at),
        *_workers(Assignment.worker_id, filters, scope),
    )
    turnaround = _medians(reviews)

    now = utcnow()
    in_period = filters.in_period(Suspension.started_at)
    started = and_(*in_period) if in_period else true()
    running = and_(Suspension.lifted_at.is_(None), Suspension.ends_at > now, Suspension.started_at <= now)
    counted = [Suspension.pool_id.in_(pool_ids), *_workers(Suspension.worker_id, filters, scope)]

    def suspended(pool_id):
        return select(
            pool_id.label("pool_id"),
            func.count(distinct(case((started, Suspension.worker_id)))).label("started"),
            func.count(distinct(case((running, Suspension.worker_id)))).label("running"),
        ).where(*counted)

    suspensions = {
        row.pool_id: (row.started, row.running)
        for row in db.session.execute(
            union_all(suspended(Suspension.pool_id).group_by(Suspension.pool_id), suspended(cast(null(), Integer)))
        )
    }

    def row(name: str, pool_id: int | None) -> dict:
        tasks = work[pool_id]["tasks"]
        new, running_now = suspensions.get(pool_id, (0, 0))
        return {
            "pool": name,
            "tasks": tasks,
            "per_day": tasks / days if days else None,
            "workers": work[pool_id]["workers"],
            "review_hours": turnaround.get(pool_id),
            "suspended": new,
            "suspended_now": running_now,
        }

    rows = [row(pool.name, pool.id) for pool in pools]
    if len(pools) > 1:
        rows.append(row(_("All pools"), None))
    return Table(
        "pools",
        _("Per pool"),
        [
            Column("pool", _("Pool")),
            Column("tasks", _("Tasks done"), "count"),
            Column("per_day", _("Tasks per day"), "number"),
            Column("workers", _("Workers active"), "people"),
            Column("review_hours", _("Median hours to review"), "hours"),
            Column("suspended", _("Workers suspended in the period"), "people"),
            Column("suspended_now", _("Suspended now"), "people"),
        ],
        rows,
        description=_(
            "Workers active: workers who submitted at least one answer in the period. Review time: from "
            "submission to the decision, for decisions made in the period. Suspended now: whatever the period."
        ),
        empty=_("No pool matches these filters."),
    )


class utc_day(FunctionElement):
    """The UTC day of a timestamp, as a date. Cheaper than sql.period_start(column, "day") on
    PostgreSQL (a cast, not to_char on every row): the tasks are counted per day, over every row."""

    type = Date()
    inherit_cache = True
    name = "utc_day"


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element, compiler, **kw):
    return f"date({compiler.process(next(iter(element.clauses)), **kw)})"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element, compiler, **kw):
    return f"CAST(({compiler.process(next(iter(element.clauses)), **kw)} AT TIME ZONE 'UTC') AS DATE)"


def _medians(values) -> dict[int | None, float]:
    """The median `value` of `values` (a SELECT of pool_id and value) per pool, and under the key
    None over all of them. PostgreSQL: percentile_cont over GROUPING SETS, one sort of the rows for
    both (sql.median_by and median_of, two window passes each, take four times as long on 200,000
    reviews); SQLite: those two."""
    if db.session.get_bind().dialect.name != "postgresql":
        medians = dict(db.session.execute(median_by(values, ["pool_id"])).tuples().all())
        medians[None] = db.session.scalar(median_of(values))
        return medians
    inner = values.subquery("median_values")
    median = func.percentile_cont(0.5).within_group(inner.c.value)
    # pool_id is never NULL: the row with NULL is the one over every pool.
    statement = select(inner.c.pool_id, median).group_by(func.grouping_sets(tuple_(inner.c.pool_id), tuple_()))
    return dict(db.session.execute(statement).tuples().all())


# Gold accuracy -------------------------------------------------------------------------------------


def _accuracy(pools: list[Pool], work: dict) -> list[Table]:
    """Workers bucketed by their accuracy on the gold answers they gave in the period (only
    workers with at least MIN_GOLD_ANSWERS of them): over every pool shown, and per pool."""
    overall = work[None]
    overall_rows = [
        {"bucket": str(name), "workers": overall[key], "share": share(overall[key], overall["graded"])}
        for key, name in ACCURACY_NAMES.items()
    ]
    description = _(
        "Workers with at least %(num)d gold answers in the period, by the share of them they got right.",
        num=MIN_GOLD_ANSWERS,
    )
    pool_rows = [
        {"pool": pool.name, "workers": work[pool.id]["graded"]} | {key: work[pool.id][key] for key in ACCURACY_NAMES}
        for pool in pools
    ]
    return [
        Table(
            "accuracy",
            _("Gold accuracy, every pool"),
            [
                Column("bucket", _("Accuracy on gold tasks")),
                Column("workers", _("Workers"), "people"),
                Column("share", _("Share of workers"), "percent", base="workers"),
            ],
            overall_rows if overall["graded"] else [],
            description=description,
            chart=Chart("bars", "bucket", "workers"),
            empty=_("No worker gave %(num)d gold answers in this period.", num=MIN_GOLD_ANSWERS),
        ),
        Table(
            "accuracy-by-pool",
            _("Gold accuracy per pool"),
            [
                Column("pool", _("Pool")),
                Column("workers", _("Workers"), "people"),
                *[Column(key, str(name), "people") for key, name in ACCURACY_NAMES.items()],
            ],
            pool_rows,
            description=description,
            empty=_("No pool matches these filters."),
        ),
    ]


# Money ----------------------------------------------------------------------------------------------


def _earnings(filters: Filters, scope: Scope, pools: list[Pool], with_bonuses: bool) -> list[Table]:
    """Earned in the period (approvals and bonuses less reversals), paid (on a payout line marked
    paid) and owed (the rest, in a payout being paid or not yet): money.balances' rules."""
    pool_ids = [pool.id for pool in pools]
    in_pools = EarningEntry.pool_id.in_(pool_ids)
    paid = func.sum(case((PayoutLine.state == "paid", EarningEntry.amount_minor), else_=0))
    rows = db.session.execute(
        select(EarningEntry.pool_id, EarningEntry.currency, func.sum(EarningEntry.amount_minor), paid)
        .outerjoin(PayoutLine, PayoutLine.id == EarningEntry.payout_line_id)
        .where(
            or_(in_pools, EarningEntry.pool_id.is_(None)) if with_bonuses else in_pools,
            *filters.in_period(EarningEntry.created_at),
            *_workers(EarningEntry.worker_id, filters, scope),
        )
        .group_by(EarningEntry.pool_id, EarningEntry.currency)
    ).all()
    names = {pool.id: pool.name for pool in pools}
    order = {pool.id: index for index, pool in enumerate(pools)}

    def amounts(currency: str, earned: int, paid_minor: int) -> dict:
        return {
            "currency": currency,
            "earned": money(earned, currency),
            "paid": money(paid_minor, currency),
            "owed": money(earned - paid_minor, currency),
        }

    per_pool = []
    totals: dict[str, list[int]] = {}
    for pool_id, currency, earned, paid_minor in sorted(rows, key=lambda r: (r[0] is None, order.get(r[0], 0), r[1])):
        earned, paid_minor = int(earned or 0), int(paid_minor or 0)
        name = names[pool_id] if pool_id is not None else _("Bonuses (not from a pool)")
        per_pool.append({"pool": name} | amounts(currency, earned, paid_minor))
        total = totals.setdefault(currency, [0, 0])
        total[0] += earned
        total[1] += paid_minor
    money_columns = [
        Column("currency", _("Currency")),
        Column("earned", _("Earned"), "money"),
        Column("paid", _("Paid"), "money"),
        Column("owed", _("Owed"), "money"),
    ]
    description = _(
        "Earnings added in the period, less reversals. Paid: in a payout marked paid. Owed: the rest, "
        "whether in a payout being paid or not yet."
    )
    return [
        Table(
            "earnings",
            _("Earnings per pool"),
            [Column("pool", _("Pool")), *money_columns],
            per_pool,
            description=description,
            empty=_("Nothing was earned in this period."),
        ),
        Table(
            "earnings-by-currency",
            _("Earnings by currency"),
            money_columns,
            [amounts(currency, earned, paid_minor) for currency, (earned, paid_minor) in sorted(totals.items())],
            description=description
            + " "
            + (_("Bonuses are included.") if with_bonuses else _("Bonuses, which belong to no pool, are left out.")),
            empty=_("Nothing was earned in this period."),
        ),
    ]
