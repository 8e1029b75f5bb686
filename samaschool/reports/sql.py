"""SQL pieces that read the same on SQLite and PostgreSQL: medians by window functions, time
between two timestamps, calendar buckets, age bands. Each compiles to the dialect's own SQL."""

from __future__ import annotations

from sqlalchemy import Float, String, and_, case, cast, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal


class days_between(FunctionElement):
    """`later - earlier` in days, as a float (NULL when either is NULL)."""

    type = Float()
    inherit_cache = True
    name = "days_between"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw):
    later, earlier = list(element.clauses)
    return f"(julianday({compiler.process(later, **kw)}) - julianday({compiler.process(earlier, **kw)}))"


@compiles(days_between, "postgresql")
def _days_between_postgresql(element, compiler, **kw):
    later, earlier = list(element.clauses)
    return f"(EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)})) / 86400.0)"


def hours_between(later, earlier) -> ColumnElement:
    return days_between(later, earlier) * 24


class period_start(FunctionElement):
    """The first day of the week (Monday) or month holding a timestamp, as text 'YYYY-MM-DD' (UTC)."""

    type = String()
    inherit_cache = True
    name = "period_start"
    # The unit is part of the compiled SQL, so it must be part of the statement cache key too
    # (otherwise a "week" query would reuse the SQL compiled for "month").
    _traverse_internals = FunctionElement._traverse_internals + [("unit", InternalTraversal.dp_string)]

    def __init__(self, column, unit: str):
        if unit not in ("week", "month", "day"):
            raise ValueError(unit)
        self.unit = unit
        super().__init__(column)


@compiles(period_start, "sqlite")
def _period_start_sqlite(element, compiler, **kw):
    column = compiler.process(next(iter(element.clauses)), **kw)
    if element.unit == "day":
        return f"date({column})"
    if element.unit == "month":
        return f"date({column}, 'start of month')"
    # SQLite's %w: 0 is Sunday. Monday of the same ISO week: go back (weekday + 6) % 7 days.
    return f"date({column}, '-' || ((CAST(strftime('%w', {column}) AS INTEGER) + 6) % 7) || ' days')"


@compiles(period_start, "postgresql")
def _period_start_postgresql(element, compiler, **kw):
    column = compiler.process(next(iter(element.clauses)), **kw)
    return f"to_char(date_trunc('{element.unit}', {column} AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"


def age_band(birth_year, year: int) -> ColumnElement:
    """'under_25', '25_35', 'over_35', or NULL when the learner did not share a year of birth.
    The age is the age reached in `year` (the year of the report's end, or this year)."""
    age = year - birth_year
    return case(
        (birth_year.is_(None), None),
        (age < 25, "under_25"),
        (age <= 35, "25_35"),
        else_="over_35",
    )


def median_by(values, group_columns: list[str], value_column: str = "value"):
    """Per group, the median of `value_column` among `values` (a SELECT with the group columns and
    the value): ROW_NUMBER over the ordered values, then the mean of the middle one or two rows.
    Returns a SELECT of the group columns and `median` (NULL values are left out)."""
    inner = values.subquery("median_values")
    value = inner.c[value_column]
    groups = [inner.c[name] for name in group_columns]
    ranked = (
        select(
            *groups,
            value.label("v"),
            func.row_number().over(partition_by=groups, order_by=value).label("rn"),
            func.count().over(partition_by=groups).label("n"),
        )
        .where(value.is_not(None))
        .subquery("median_ranked")
    )
    middle = and_(
        ranked.c.rn >= (ranked.c.n + 1) // 2,
        ranked.c.rn <= (ranked.c.n + 2) // 2,
    )
    rank_groups = [ranked.c[name] for name in group_columns]
    return select(*rank_groups, cast(func.avg(ranked.c.v), Float).label("median")).where(middle).group_by(*rank_groups)


def median_of(values, value_column: str = "value"):
    """The median over all of `values` (one row, `median`)."""
    inner = values.subquery("median_values")
    value = inner.c[value_column]
    ranked = (
        select(
            value.label("v"),
            func.row_number().over(order_by=value).label("rn"),
            func.count().over().label("n"),
        )
        .where(value.is_not(None))
        .subquery("median_ranked")
    )
    middle = and_(
        ranked.c.rn >= (ranked.c.n + 1) // 2,
        ranked.c.rn <= (ranked.c.n + 2) // 2,
    )
    return select(cast(func.avg(ranked.c.v), Float).label("median")).where(middle)
