"""What the learner funnel and the impact summary share: who is counted, which certifications
and pools count for the viewer and the filters, and how gender and age groups are named."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, and_, false, literal, or_, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from samaschool.auth.models import User
from samaschool.catalog.models import Course, Enrolment
from samaschool.certification.models import Certification
from samaschool.choices import GENDERS
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.permissions import Role
from samaschool.pools.models import Pool
from samaschool.reports.filters import Filters, Scope, named_courses
from samaschool.reports.tables import SMALLEST_GROUP

NOT_SHARED = _l("Not shared")
GENDER_NAMES = {code: name for code, name in GENDERS if code}
AGE_BANDS = {"under_25": _l("Under 25"), "25_35": _l("25–35"), "over_35": _l("Over 35")}


class unindexed(FunctionElement):
    """A column that SQLite must not look rows up by (`+column`); PostgreSQL reads it as it is.

    Without statistics (SQLite has none until someone runs ANALYZE) SQLite takes an equality on
    an indexed column to match about ten rows. Looking learners up by the index on `role`, it
    would plan for ten learners, and join each per-learner figure by reading it in full once for
    every learner rather than indexing it: 37 s for the funnel at 100,000 learners with a period
    and a country, instead of half a second. Nearly every user is a learner, so reading the table
    is no loss."""

    inherit_cache = True
    name = "unindexed"

    def __init__(self, column):
        super().__init__(column)
        self.type = column.type


@compiles(unindexed)
def _unindexed(element, compiler, **kw):
    return compiler.process(next(iter(element.clauses)), **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element, compiler, **kw):
    return "+" + compiler.process(next(iter(element.clauses)), **kw)


def learner_conditions(filters: Filters, scope: Scope) -> list:
    """Conditions on `User` for the learners the viewer may count: learners (not staff), of the
    chosen country, and for a trainer only those enrolled in one of the trainer's courses."""
    conditions = [unindexed(User.role) == Role.LEARNER]
    if filters.country:
        conditions.append(User.country == filters.country)
    if scope.course_ids is not None:
        conditions.append(User.id.in_(select(Enrolment.user_id).where(Enrolment.course_id.in_(scope.course_ids))))
    return conditions


def course_conditions(column, filters: Filters, scope: Scope) -> list:
    """Conditions on a course id `column`: the chosen course, and a trainer's own courses."""
    conditions = []
    if filters.course is not None:
        conditions.append(column == filters.course.id)
    if scope.course_ids is not None:
        conditions.append(column.in_(scope.course_ids))
    return conditions


def share_base(part: int | None, whole: int | None) -> int | None:
    """What to give a share as its `base` so that it is suppressed when either of its counts is
    a small group: the share of 3 among 100 would tell the 3, and 0% of a group of 3 tells
    something of each of them."""
    for count in (part, whole):
        if count and 0 < count < SMALLEST_GROUP:
            return count
    return whole


def report_year(filters: Filters) -> int:
    """The year ages are reached in: the year the period ends, or this year."""
    return filters.end.year if filters.end else utcnow().year


def gender_name(code: str | None) -> str:
    if not code:
        return str(NOT_SHARED)
    return str(GENDER_NAMES.get(code, code))


def gender_order(code: str | None) -> tuple:
    """The form's order (woman, man, another gender), then any other value, then "not shared"."""
    codes = list(GENDER_NAMES)
    if not code:
        return (2, "")
    return (0, codes.index(code), "") if code in codes else (1, 0, code)


def band_name(band: str | None) -> str:
    return str(AGE_BANDS.get(band, NOT_SHARED)) if band else str(NOT_SHARED)


def band_order(band: str | None) -> int:
    return list(AGE_BANDS).index(band) if band in AGE_BANDS else len(AGE_BANDS)


@dataclass
class Reach:
    """The certifications a report counts and the pools they open.

    `certifications` are the chosen certification, else a trainer's (those whose criteria name one
    of their courses), else every certification; `restricted` is False in that last case. A pool
    counts when it requires one of them (a pool's list names certifications by slug, in JSON, so
    it is read here: pools are few)."""

    certifications: list[Certification]
    restricted: bool
    pools: list  # rows of (id, status, required_certifications, countries), every pool

    @classmethod
    def of(cls, filters: Filters, scope: Scope, courses: list[Course]) -> Reach:
        everything = list(db.session.scalars(select(Certification).order_by(Certification.name, Certification.id)))
        if filters.certification is not None:
            chosen = [c for c in everything if c.id == filters.certification.id]
            restricted = True
        elif scope.course_ids is not None:
            slugs = {course.slug for course in courses}
            chosen = [c for c in everything if slugs & named_courses(c)]
            restricted = True
        else:
            chosen, restricted = everything, False
        pools = db.session.execute(
            select(Pool.id, Pool.status, Pool.required_certifications, Pool.countries).order_by(Pool.id)
        ).all()
        return cls(chosen, restricted, pools)

    @property
    def certification_ids(self) -> list[int]:
        return [c.id for c in self.certifications]

    def certificate_condition(self, column) -> list:
        """Conditions on a certification id `column` keeping the counted certifications."""
        return [column.in_(self.certification_ids)] if self.restricted else []

    def pairs(self) -> list[tuple[int, int]]:
        """(certification id, pool id) for every counted certification and every pool requiring it."""
        by_slug = {c.slug: c.id for c in self.certifications}
        return sorted(
            {
                (by_slug[slug], pool.id)
                for pool in self.pools
                for slug in pool.required_certifications
                if slug in by_slug
            }
        )

    def pool_ids(self) -> list[int]:
        return sorted({pool_id for _certification, pool_id in self.pairs()})

    def opened_by(self) -> dict[int, set[str] | None]:
        """Certification id -> the countries an open pool requiring it takes (None: any country),
        for the counted certifications that some open pool requires."""
        by_slug = {c.slug: c.id for c in self.certifications}
        opened: dict[int, set[str] | None] = {}
        for pool in self.pools:
            if pool.status != "open":
                continue
            for slug in pool.required_certifications:
                if slug not in by_slug:
                    continue
                certification_id = by_slug[slug]
                if not pool.countries:
                    opened[certification_id] = None  # any country
                elif certification_id in opened and opened[certification_id] is None:
                    continue  # another open pool already takes every country
                else:
                    opened[certification_id] = opened.get(certification_id, set()) | set(pool.countries)
        return opened

    def opens(self, certification_column, country_column):
        """SQL: the certification in `certification_column` is required by an open pool that takes
        workers from `country_column`."""
        conditions = []
        for certification_id, countries in sorted(self.opened_by().items()):
            if countries is None:
                conditions.append(certification_column == certification_id)
            else:
                conditions.append(and_(certification_column == certification_id, country_column.in_(sorted(countries))))
        return or_(*conditions) if conditions else false()

    def certification_by_pool(self) -> dict[int, int] | None:
        """Pool id -> the counted certification it requires, when no pool requires two of them
        (each pool's work then belongs to one certification); None when one does."""
        found: dict[int, int] = {}
        for certification_id, pool_id in self.pairs():
            if pool_id in found:
                return None
            found[pool_id] = certification_id
        return found

    def pool_map(self, name: str = "pool_map"):
        """The `pairs()` as a small table (certification_id, pool_id) to join on."""
        pairs = self.pairs()
        if not pairs:
            return (
                select(literal(0, Integer).label("certification_id"), literal(0, Integer).label("pool_id"))
                .where(false())
                .subquery(name)
            )
        rows = [
            select(literal(c, Integer).label("certification_id"), literal(p, Integer).label("pool_id"))
            for c, p in pairs
        ]
        return (union_all(*rows) if len(rows) > 1 else rows[0]).subquery(name)
