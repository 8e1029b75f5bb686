"""Cohorts: learners grouped by the month they signed up, with the share of each cohort certified
and earning within 30, 60 and 90 days of signing up.

Certified: holds a certificate (not revoked) issued within that many days of signing up — of the
filtered certification, or for trainers of a certification naming one of their courses. Earning:
a first approved task paid for (an `approval` entry in the earnings ledger) within that many days.
A cohort is measured at a horizon only once its last possible member has been signed up that long:
before then the share is not yet known and is shown as "—", not as 0.

The period chooses the sign-up months, the country the learners' country, the course the learners
who enrolled in it; trainers see the learners enrolled in one of their courses. One SQL aggregate
per page, whatever the number of learners.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from samaschool.auth.models import User
from samaschool.catalog.models import Enrolment
from samaschool.certification.models import Certificate
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.permissions import Role
from samaschool.pools.models import EarningEntry
from samaschool.reports.certifications import suppression_base, visible
from samaschool.reports.filters import Filters, Scope
from samaschool.reports.sql import days_between, period_start
from samaschool.reports.tables import Chart, Column, Report, Table, register, share

HORIZONS = (30, 60, 90)


@register("cohorts", _l("Cohorts"))
def build(filters: Filters, scope: Scope) -> Report:
    return Report([_cohorts(filters, scope)])


def _cohorts(filters: Filters, scope: Scope) -> Table:
    # Which certificates count: any (admins), the filtered certification's, and for trainers
    # those of a certification naming one of their courses. The course filter chooses learners only.
    certifications = None
    if filters.certification is not None or scope.course_ids is not None:
        certifications = [c.id for c in visible(Filters(certification=filters.certification), scope)]
    first_certificate = select(Certificate.user_id, func.min(Certificate.issued_at).label("at")).where(
        Certificate.revoked_at.is_(None)
    )
    if certifications is not None:
        first_certificate = first_certificate.where(Certificate.certification_id.in_(certifications))
    first_certificate = first_certificate.group_by(Certificate.user_id).subquery("first_certificate")
    first_earning = (
        select(EarningEntry.worker_id, func.min(EarningEntry.created_at).label("at"))
        .where(EarningEntry.kind == "approval")
        .group_by(EarningEntry.worker_id)
        .subquery("first_earning")
    )
    month = period_start(User.created_at, "month")
    certified_after = days_between(first_certificate.c.at, User.created_at)
    earning_after = days_between(first_earning.c.at, User.created_at)

    def within(days_after, days: int):
        return func.coalesce(func.sum(case((days_after <= days, 1), else_=0)), 0)

    query = (
        select(
            month,
            func.count(),
            *[within(certified_after, days) for days in HORIZONS],
            *[within(earning_after, days) for days in HORIZONS],
        )
        .select_from(User)
        .outerjoin(first_certificate, first_certificate.c.user_id == User.id)
        .outerjoin(first_earning, first_earning.c.worker_id == User.id)
        .where(User.role == Role.LEARNER, *filters.in_period(User.created_at))
        .group_by(month)
        .order_by(month)
    )
    if filters.country:
        query = query.where(User.country == filters.country)
    if filters.course is not None:
        query = query.where(User.id.in_(select(Enrolment.user_id).where(Enrolment.course_id == filters.course.id)))
    if scope.course_ids is not None:
        query = query.where(User.id.in_(select(Enrolment.user_id).where(Enrolment.course_id.in_(scope.course_ids))))

    now = utcnow()
    rows = []
    for first_day, size, *counts in db.session.execute(query):
        signed_up_by = _month_end(date.fromisoformat(first_day))
        if filters.end_before is not None:
            signed_up_by = min(signed_up_by, filters.end_before)
        row = {"month": first_day[:7], "size": size}
        for index, days in enumerate(HORIZONS):
            known = signed_up_by + timedelta(days=days) <= now
            for key, part in (("certified", counts[index]), ("earning", counts[len(HORIZONS) + index])):
                row[f"{key}_{days}"] = share(part, size) if known else None
                row[f"{key}_{days}_base"] = suppression_base(part, size) if known else size
        rows.append(row)
    return Table(
        "cohorts",
        _("Learners by month of sign-up"),
        [
            Column("month", _("Month of sign-up")),
            Column("size", _("Learners"), "people"),
            *[
                Column(f"{key}_{days}", label % {"days": days}, "percent", base=f"{key}_{days}_base")
                for key, label in (
                    ("certified", _("Certified within %(days)d days")),
                    ("earning", _("Earning within %(days)d days")),
                )
                for days in HORIZONS
            ],
        ],
        rows,
        description=_(
            "Certified: a certificate (not revoked) issued within that many days of signing up. Earning: a first "
            "approved task paid for within that many days. “—”: the cohort's youngest learners have not been "
            "signed up that long yet. The period chooses learners by the day they signed up."
        ),
        chart=Chart("columns", "month", "size"),
        empty=_("No learner signed up in this period."),
    )


def _month_end(first_day: date) -> datetime:
    """The first moment after the month starting on `first_day` (UTC)."""
    following = date(first_day.year + (first_day.month == 12), first_day.month % 12 + 1, 1)
    return datetime.combine(following, time.min, tzinfo=UTC)
