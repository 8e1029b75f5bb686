"""The learner funnel: of the learners who signed up in the period, how many have reached each
step of the journey by now, and the same steps broken down by course, certification, country,
gender and age band.

Each step counts the learners who reached it *and every step before it*, so each is part of
the one before (a funnel). One statement whatever the number of learners (see `_Query`): its
rows grouped by country, gender and age band (the funnel and those three breakdowns are sums of
them), by course and by certification.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, String, and_, case, cast, func, literal, null, or_, select, union_all

from samaschool.auth.models import User
from samaschool.catalog.models import Enrolment
from samaschool.certification.models import Certificate
from samaschool.choices import country_name
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.pools.models import Assignment, PayoutLine
from samaschool.reports.filters import Filters, Scope, visible_courses
from samaschool.reports.learners import (
    Reach,
    band_name,
    band_order,
    course_conditions,
    gender_name,
    gender_order,
    learner_conditions,
    report_year,
    share_base,
)
from samaschool.reports.sql import age_band
from samaschool.reports.tables import Chart, Column, Report, Table, register, share

# The steps, in order: (key, name).
STEPS = (
    ("registered", _l("Registered")),
    ("enrolled", _l("Enrolled in a course")),
    ("completed", _l("Completed a course")),
    ("certified", _l("Certified")),
    ("eligible", _l("Eligible for a pool")),
    ("approved", _l("First task approved")),
    ("paid", _l("Paid")),
)
STEP_KEYS = [key for key, _name in STEPS]


def _flag(condition):
    return case((condition, 1), else_=0)


def _sum(column):
    return func.coalesce(func.sum(column), 0)


class _Query:
    """The funnel as one SQL statement (the work facts are read once, not once per table):

    - `cohort`: the learners counted (signed up in the period, the viewer's, the country's);
    - `enrolled`: per learner, enrolled in the chosen course (or a trainer's) and whether one
      of those is completed;
    - `held`: per learner of the cohort and certification counted, whether the learner completed
      a course and the steps from certified on;
    - `held_by_learner`: the same per learner, over the certifications counted;
    - `learners`: per learner of the cohort, every step;
    and three groupings of them, tagged by `kind`: by country, gender and age band ("group"),
    by course and by certification. On SQLite every join to a per-learner set is made by an
    index (see `learners.unindexed`, and the test that reads SQLite's plan)."""

    def __init__(self, filters: Filters, scope: Scope, reach: Reach):
        self.filters, self.scope, self.reach = filters, scope, reach
        self.now = utcnow()

    def statement(self):
        filters, scope = self.filters, self.scope
        cohort = (
            select(
                User.id.label("id"),
                User.country.label("country"),
                User.gender.label("gender"),
                age_band(User.birth_year, report_year(filters)).label("band"),
            )
            .where(*learner_conditions(filters, scope), *filters.in_period(User.created_at))
            .cte("cohort")
        )
        course_filter = course_conditions(Enrolment.course_id, filters, scope)
        enrolled = (
            select(
                Enrolment.user_id.label("user_id"),
                func.max(_flag(Enrolment.completed_at.is_not(None))).label("completed"),
            )
            .where(*course_filter)
            .group_by(Enrolment.user_id)
            .cte("enrolled")
        )
        held = self._held()
        by_learner = (
            select(
                held.c.user_id,
                func.max(held.c.eligible).label("eligible"),
                func.max(held.c.approved).label("approved"),
                func.max(held.c.paid).label("paid"),
            )
            .group_by(held.c.user_id)
            .subquery("held_by_learner")
        )
        completed = enrolled.c.completed == 1
        certified = and_(completed, by_learner.c.user_id.is_not(None))
        learners = (
            select(
                cohort.c.id,
                cohort.c.country,
                cohort.c.gender,
                cohort.c.band,
                _flag(enrolled.c.user_id.is_not(None)).label("enrolled"),
                _flag(completed).label("completed"),
                _flag(certified).label("certified"),
                _flag(and_(certified, by_learner.c.eligible == 1)).label("eligible"),
                _flag(and_(certified, by_learner.c.approved == 1)).label("approved"),
                _flag(and_(certified, by_learner.c.paid == 1)).label("paid"),
            )
            .select_from(cohort)
            .outerjoin(enrolled, enrolled.c.user_id == cohort.c.id)
            .outerjoin(by_learner, by_learner.c.user_id == cohort.c.id)
            .cte("learners")
        )
        nothing, no_text = cast(null(), Integer), cast(null(), String)
        groups = select(
            literal("group").label("kind"),
            learners.c.country,
            learners.c.gender,
            learners.c.band,
            nothing.label("group_id"),
            func.count().label("registered"),
            *[_sum(learners.c[key]).label(key) for key in STEP_KEYS[1:]],
        ).group_by(learners.c.country, learners.c.gender, learners.c.band)
        # Per course: the funnel with that course chosen (enrolled in it, completed it, then on).
        course_completed = Enrolment.completed_at.is_not(None)
        course_certified = and_(course_completed, learners.c.certified == 1)
        courses = (
            select(
                literal("course"),
                no_text,
                no_text,
                no_text,
                Enrolment.course_id,
                nothing,
                func.count(),
                _sum(_flag(course_completed)),
                _sum(_flag(course_certified)),
                *[_sum(_flag(and_(course_certified, learners.c[key] == 1))) for key in STEP_KEYS[4:]],
            )
            .select_from(Enrolment)
            .join(learners, learners.c.id == Enrolment.user_id)
            .where(*course_filter)
            .group_by(Enrolment.course_id)
        )
        # Per certification: the funnel with that certification chosen, from certified on.
        held_completed = held.c.completed == 1
        certifications = select(
            literal("certification"),
            no_text,
            no_text,
            no_text,
            held.c.certification_id,
            nothing,
            nothing,
            nothing,
            _sum(_flag(held_completed)),
            *[_sum(_flag(and_(held_completed, held.c[key] == 1))) for key in STEP_KEYS[4:]],
        ).group_by(held.c.certification_id)
        return union_all(groups, courses, certifications)

    def _held(self):
        """Per learner of the cohort and certification counted: whether the learner completed a
        course (the filter's, or a trainer's), and the steps from certified on.

        certified: a certificate of it, not revoked. eligible: the latest certificate of it (highest
        cycle) is neither revoked nor expired, and an open pool that takes the learner's country
        requires it (the account active); or the learner has already taken a task in a pool
        requiring it (only an eligible worker can). approved: a task approved in such a pool.
        paid: approved, and in a payout marked paid."""
        unrevoked = Certificate.revoked_at.is_(None)
        valid = and_(unrevoked, or_(Certificate.expires_at.is_(None), Certificate.expires_at > self.now))
        certificates = (
            select(
                Certificate.user_id.label("user_id"),
                Certificate.certification_id.label("certification_id"),
                func.max(_flag(unrevoked)).label("certified"),
                func.max(Certificate.cycle).label("latest"),
                func.max(case((valid, Certificate.cycle))).label("valid"),
                # Whether an open pool requires it: the same for every certificate of the group.
                func.max(
                    _flag(and_(User.is_active.is_(True), self.reach.opens(Certificate.certification_id, User.country)))
                ).label("opens"),
                func.max(_flag(Enrolment.id.is_not(None))).label("completed"),
            )
            .join(User, User.id == Certificate.user_id)
            .outerjoin(
                Enrolment,
                and_(
                    Enrolment.user_id == Certificate.user_id,
                    Enrolment.completed_at.is_not(None),
                    *course_conditions(Enrolment.course_id, self.filters, self.scope),
                ),
            )
            .where(
                *learner_conditions(self.filters, self.scope),
                *self.filters.in_period(User.created_at),
                *self.reach.certificate_condition(Certificate.certification_id),
            )
            .group_by(Certificate.user_id, Certificate.certification_id)
            .subquery("certificates")
        )
        work = self._work()
        paid = (
            select(PayoutLine.worker_id.label("user_id")).where(PayoutLine.state == "paid").distinct().subquery("paid")
        )
        open_now = and_(certificates.c.opens == 1, certificates.c.valid == certificates.c.latest)
        approved = work.c.approved == 1
        return (
            select(
                certificates.c.user_id,
                certificates.c.certification_id,
                certificates.c.completed,
                _flag(or_(open_now, work.c.user_id.is_not(None))).label("eligible"),
                _flag(approved).label("approved"),
                _flag(and_(approved, paid.c.user_id.is_not(None))).label("paid"),
            )
            .select_from(certificates)
            .outerjoin(
                work,
                and_(
                    work.c.user_id == certificates.c.user_id,
                    work.c.certification_id == certificates.c.certification_id,
                ),
            )
            .outerjoin(paid, paid.c.user_id == certificates.c.user_id)
            .where(certificates.c.certified == 1)
            .cte("held")
        )

    def _work(self):
        """Per worker and certification counted: 1 if a task in a pool requiring it was approved,
        0 if tasks were only taken there."""
        approved = _flag(Assignment.review_state == "approved").label("approved")
        by_pool = self.reach.certification_by_pool()
        if by_pool is None:  # a pool requiring two of the certifications: its work counts for both
            pool_map = self.reach.pool_map()
            tasks = select(Assignment.worker_id.label("user_id"), pool_map.c.certification_id, approved).join(
                pool_map, pool_map.c.pool_id == Assignment.pool_id
            )
        else:  # the usual case, read without a join: the certification is the pool's own
            certification = case(by_pool, value=Assignment.pool_id) if by_pool else cast(null(), Integer)
            tasks = select(
                Assignment.worker_id.label("user_id"), certification.label("certification_id"), approved
            ).where(Assignment.pool_id.in_(sorted(by_pool)))
        tasks = tasks.subquery("tasks")
        return (
            select(tasks.c.user_id, tasks.c.certification_id, func.max(tasks.c.approved).label("approved"))
            .group_by(tasks.c.user_id, tasks.c.certification_id)
            .subquery("work")
        )


def _columns(first: Column, keys: list[str]) -> list[Column]:
    names = dict(STEPS)
    return [first] + [Column(key, str(names[key]), "people") for key in keys]


def _counts(row, keys) -> dict[str, int]:
    return {key: int(getattr(row, key) or 0) for key in keys}


def _add(into: dict, key, counts: dict[str, int]) -> None:
    totals = into.setdefault(key, dict.fromkeys(STEP_KEYS, 0))
    for step, value in counts.items():
        totals[step] += value


@register("funnel", _l("Learner funnel"))
def build(filters: Filters, scope: Scope) -> Report:
    courses = visible_courses(scope)
    reach = Reach.of(filters, scope, courses)
    query = _Query(filters, scope, reach)

    total = dict.fromkeys(STEP_KEYS, 0)
    countries: dict = {}
    genders: dict = {}
    bands: dict = {}
    course_rows: dict = {}
    certification_rows: dict = {}
    for row in db.session.execute(query.statement()):
        if row.kind == "course":
            course_rows[row.group_id] = row
            continue
        if row.kind == "certification":
            certification_rows[row.group_id] = row
            continue
        counts = _counts(row, STEP_KEYS)
        for step, value in counts.items():
            total[step] += value
        _add(countries, row.country or None, counts)
        _add(genders, row.gender or None, counts)
        _add(bands, row.band, counts)

    steps = []
    previous = None
    for key, name in STEPS:
        people = total[key]
        steps.append(
            {
                "step": str(name),
                "people": people,
                "from_previous": share(people, previous) if previous is not None else None,
                "previous_base": share_base(people, previous),
                "from_registered": share(people, total["registered"]) if key != "registered" else None,
                "registered_base": share_base(people, total["registered"]),
            }
        )
        previous = people
    funnel = Table(
        "steps",
        _("The funnel"),
        [
            Column("step", _("Step"), "text"),
            Column("people", _("Learners"), "people"),
            Column("from_previous", _("Of the step before"), "percent", base="previous_base"),
            Column("from_registered", _("Of those registered"), "percent", base="registered_base"),
        ],
        steps,
        description=_(
            "Each step counts the learners who have reached it, and every step before it, by now. "
            "Completed: every lesson done and every quiz passed. Certified: holds a certificate that "
            "is not revoked. Eligible: the account is active, the latest certificate is valid and an "
            "open pool that takes workers from the learner's country requires it; or the learner has "
            "already taken a task in a pool that requires it. Not checked here: a second certification "
            "a pool may require, suspensions, a minimum accuracy. Pools that require no certification "
            "are not counted. First task approved: in such a pool. Paid: in a payout marked paid."
        ),
        chart=Chart("bars", label="step", value="people"),
    )

    names = dict(STEPS)
    course_table = Table(
        "by-course",
        _("By course"),
        _columns(Column("group", _("Course"), "text"), STEP_KEYS[1:]),
        [
            {"group": course.title, **_counts(course_rows[course.id], STEP_KEYS[1:])}
            if course.id in course_rows
            else {"group": course.title, **dict.fromkeys(STEP_KEYS[1:], 0)}
            for course in courses
            if filters.course is None or course.id == filters.course.id
        ],
        description=_(
            "Each row is the funnel with that course chosen: learners who enrolled in it, completed "
            "it, and then went on. A learner in several courses is counted in each."
        ),
    )
    certification_table = Table(
        "by-certification",
        _("By certification"),
        _columns(Column("group", _("Certification"), "text"), STEP_KEYS[3:]),
        [
            {"group": c.name, **_counts(certification_rows[c.id], STEP_KEYS[3:])}
            if c.id in certification_rows
            else {"group": c.name, **dict.fromkeys(STEP_KEYS[3:], 0)}
            for c in reach.certifications
        ],
        description=_(
            "Each row is the funnel with that certification chosen, from %(step)s on: the steps "
            "before it are those of the funnel above. A learner with several certifications is "
            "counted in each.",
            step=str(names["certified"]),
        ),
    )
    not_shared_note = _("“Not shared”: learners who chose not to give it.")
    country_table = Table(
        "by-country",
        _("By country"),
        _columns(Column("group", _("Country"), "text"), STEP_KEYS),
        [
            {"group": country_name(code) if code else _("Not shared"), **counts}
            for code, counts in sorted(countries.items(), key=lambda item: (-item[1]["registered"], item[0] or "~"))
        ],
    )
    gender_table = Table(
        "by-gender",
        _("By gender"),
        _columns(Column("group", _("Gender"), "text"), STEP_KEYS),
        [
            {"group": gender_name(code), **counts}
            for code, counts in sorted(genders.items(), key=lambda i: gender_order(i[0]))
        ],
        description=not_shared_note,
    )
    age_table = Table(
        "by-age",
        _("By age"),
        _columns(Column("group", _("Age"), "text"), STEP_KEYS),
        [
            {"group": band_name(band), **counts}
            for band, counts in sorted(bands.items(), key=lambda i: band_order(i[0]))
        ],
        description=_("Age reached in %(year)d.", year=report_year(filters)) + " " + not_shared_note,
    )
    return Report([funnel, course_table, certification_table, country_table, gender_table, age_table])
