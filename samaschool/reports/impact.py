"""The impact summary: people trained, certified and earning in the period, what they earned by
currency (total, and the median per earning learner), and the share of women and of youth
among them: one printable page, as in an annual impact report.

The period is when things happened (a lesson completed, a certificate issued, work approved),
not when learners signed up. Two statements whatever the number of learners: the people,
grouped by gender and age band, and the earnings by currency with their medians.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, literal, select, union_all

from samaschool.auth.models import User
from samaschool.catalog.models import Enrolment, Lesson
from samaschool.certification.models import Certificate
from samaschool.extensions import db
from samaschool.learning.models import LessonProgress
from samaschool.pools.models import EarningEntry
from samaschool.pools.money import money
from samaschool.reports.filters import Filters, Scope, visible_courses
from samaschool.reports.learners import Reach, course_conditions, learner_conditions, report_year, share_base
from samaschool.reports.sql import age_band, median_by
from samaschool.reports.tables import Chart, Column, Report, Table, register, share

MEASURES = (
    ("trained", _l("Trained")),
    ("certified", _l("Certified")),
    ("earning", _l("Earning")),
)


def _flag(condition):
    return case((condition, 1), else_=0)


def _population(filters: Filters, scope: Scope) -> list:
    """Conditions on `User`: the learners counted (the chosen course's learners, if one is chosen)."""
    conditions = learner_conditions(filters, scope)
    if filters.course is not None:
        conditions.append(User.id.in_(select(Enrolment.user_id).where(Enrolment.course_id == filters.course.id)))
    return conditions


def _earnings_conditions(filters: Filters, reach: Reach) -> list:
    """Entries of the period; with a certification chosen or for a trainer, only in the pools
    those certifications open (bonuses, which belong to no pool, are then left out)."""
    conditions = filters.in_period(EarningEntry.created_at)
    if reach.restricted:
        conditions.append(EarningEntry.pool_id.in_(reach.pool_ids()))
    return conditions


def people_statement(filters: Filters, scope: Scope, reach: Reach):
    """Per gender and age band: how many were trained, certified and earning in the period.

    Each kind of fact gives the learners it holds for, with a 1 in its own column; they are
    summed per learner, then joined to the learners counted once (not each set to them)."""
    lessons = select(
        LessonProgress.user_id.label("user_id"),
        literal(1).label("trained"),
        literal(0).label("certified"),
        literal(0).label("earning"),
    ).where(*filters.in_period(LessonProgress.completed_at))
    lesson_courses = course_conditions(Lesson.course_id, filters, scope)
    if lesson_courses:
        lessons = lessons.join(Lesson, Lesson.id == LessonProgress.lesson_id).where(*lesson_courses)
    completions = select(Enrolment.user_id, literal(1), literal(0), literal(0)).where(
        Enrolment.completed_at.is_not(None),
        *filters.in_period(Enrolment.completed_at),
        *course_conditions(Enrolment.course_id, filters, scope),
    )
    certificates = select(Certificate.user_id, literal(0), literal(1), literal(0)).where(
        Certificate.revoked_at.is_(None),
        *filters.in_period(Certificate.issued_at),
        *reach.certificate_condition(Certificate.certification_id),
    )
    approvals = select(EarningEntry.worker_id, literal(0), literal(0), literal(1)).where(
        EarningEntry.kind == "approval", *_earnings_conditions(filters, reach)
    )
    facts = union_all(
        lessons.group_by(LessonProgress.user_id),
        completions.group_by(Enrolment.user_id),
        certificates.group_by(Certificate.user_id),
        approvals.group_by(EarningEntry.worker_id),
    ).subquery("facts")
    per_learner = (
        select(
            facts.c.user_id,
            func.max(facts.c.trained).label("trained"),
            func.max(facts.c.certified).label("certified"),
            func.max(facts.c.earning).label("earning"),
        )
        .group_by(facts.c.user_id)
        .subquery("per_learner")
    )
    learners = (
        select(
            User.gender.label("gender"),
            age_band(User.birth_year, report_year(filters)).label("band"),
            per_learner.c.trained,
            per_learner.c.certified,
            per_learner.c.earning,
        )
        .join(per_learner, per_learner.c.user_id == User.id)
        .where(*_population(filters, scope))
        .subquery("learners")
    )
    return select(
        learners.c.gender,
        learners.c.band,
        func.sum(learners.c.trained).label("trained"),
        func.sum(learners.c.certified).label("certified"),
        func.sum(learners.c.earning).label("earning"),
    ).group_by(learners.c.gender, learners.c.band)


def earnings_statement(filters: Filters, scope: Scope, reach: Reach):
    """Per currency: the learners who had work approved in it in the period, the total of their
    entries (approvals, bonuses, less reversals) and the median per learner."""
    per_learner = (
        select(
            EarningEntry.worker_id.label("worker_id"),
            EarningEntry.currency.label("currency"),
            func.sum(EarningEntry.amount_minor).label("value"),
        )
        .where(
            *_earnings_conditions(filters, reach),
            EarningEntry.worker_id.in_(select(User.id).where(*_population(filters, scope))),
        )
        .group_by(EarningEntry.worker_id, EarningEntry.currency)
        .having(func.max(_flag(EarningEntry.kind == "approval")) == 1)
        .cte("per_learner")
    )
    totals = (
        select(
            per_learner.c.currency,
            func.count().label("learners"),
            func.sum(per_learner.c.value).label("total"),
        )
        .group_by(per_learner.c.currency)
        .subquery("totals")
    )
    medians = median_by(select(per_learner.c.currency, per_learner.c.value), ["currency"]).subquery("medians")
    return (
        select(totals.c.currency, totals.c.learners, totals.c.total, medians.c.median)
        .outerjoin(medians, medians.c.currency == totals.c.currency)
        .order_by(totals.c.currency)
    )


def _minor(value) -> int:
    """A median of minor units (a whole number, or halfway between two) to the nearest unit."""
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@register("impact", _l("Impact summary"))
def build(filters: Filters, scope: Scope) -> Report:
    reach = Reach.of(filters, scope, visible_courses(scope))
    counts = {key: {"people": 0, "women": 0, "gender_shared": 0, "youth": 0, "age_shared": 0} for key, _ in MEASURES}
    for row in db.session.execute(people_statement(filters, scope, reach)):
        for key, _name in MEASURES:
            n = int(getattr(row, key) or 0)
            figures = counts[key]
            figures["people"] += n
            if row.gender:
                figures["gender_shared"] += n
                figures["women"] += n if row.gender == "woman" else 0
            if row.band:
                figures["age_shared"] += n
                figures["youth"] += n if row.band == "under_25" else 0

    people_rows = []
    for key, name in MEASURES:
        figures = counts[key]
        people_rows.append(
            {
                "measure": str(name),
                **figures,
                "women_share": share(figures["women"], figures["gender_shared"]),
                "women_base": share_base(figures["women"], figures["gender_shared"]),
                "youth_share": share(figures["youth"], figures["age_shared"]),
                "youth_base": share_base(figures["youth"], figures["age_shared"]),
            }
        )
    people = Table(
        "people",
        _("Trained, certified and earning"),
        [
            Column("measure", _("Learners"), "text"),
            Column("people", _("Number"), "people"),
            Column("women", _("Women"), "people"),
            Column("gender_shared", _("Gave their gender"), "people"),
            Column("women_share", _("Women, of those who gave their gender"), "percent", base="women_base"),
            Column("youth", _("Under 25"), "people"),
            Column("age_shared", _("Gave their year of birth"), "people"),
            Column("youth_share", _("Under 25, of those who gave their year of birth"), "percent", base="youth_base"),
        ],
        people_rows,
        description=_(
            "Trained: completed at least one lesson of a course (learners complete lessons only in "
            "courses they are enrolled in), or a whole course, in the period. Certified: issued a "
            "certificate in the period that is not revoked. Earning: had paid work approved in the "
            "period. Gender and year of birth are optional: the shares are of those who gave them; "
            "ages are reached in %(year)d.",
            year=report_year(filters),
        ),
        chart=Chart("bars", label="measure", value="people"),
    )

    earnings_rows = [
        {
            "currency": row.currency,
            "learners": int(row.learners),
            "total": money(int(row.total), row.currency),
            "median": money(_minor(row.median), row.currency) if row.median is not None else None,
        }
        for row in db.session.execute(earnings_statement(filters, scope, reach))
    ]
    restricted = (
        " "
        + _(
            "Only work in the pools that the certifications counted here open is included; bonuses, "
            "which belong to no pool, are not."
        )
        if reach.restricted
        else ""
    )
    earnings = Table(
        "earnings",
        _("Earnings by currency"),
        [
            Column("currency", _("Currency"), "text"),
            Column("learners", _("Earning learners"), "people"),
            Column("total", _("Total earned"), "money", base="learners"),
            Column("median", _("Median per earning learner"), "money", base="learners"),
        ],
        earnings_rows,
        description=_(
            "What the learners who had work approved in the period earned in it: approved tasks and "
            "bonuses, less reversals. The median is the middle learner's total (with an even number "
            "of learners, halfway between the two in the middle)."
        )
        + restricted,
        empty=_("No learner had work approved in this period."),
    )
    return Report([people, earnings])
