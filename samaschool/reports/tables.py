"""A report's tables: what each column holds, how a cell reads on the page and in the CSV, and
the rule that keeps small groups of people from being singled out."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Response
from flask_babel import format_decimal, format_percent

from samaschool.spreadsheets import csv_safe

# Groups of fewer people than this are shown as "<5" (never 1, 2, 3 or 4), and so are the
# shares computed from them: a breakdown must not let anyone be picked out.
SMALLEST_GROUP = 5
SUPPRESSED = "<5"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # text | people (a count of people: small ones suppressed) | count (of things: never
    # suppressed) | percent (0 to 100, or None) | number | days | hours | money (already formatted)
    kind: str = "text"
    # For a figure computed from a count of people (a share, a median): the key of that count
    # (it may be a row key no column shows), so the figure of a suppressed group is suppressed too.
    base: str | None = None


@dataclass
class Chart:
    """A chart of one table: `label` column on one axis, `value` column on the other."""

    kind: str  # bars (one bar per row) | columns (a time series, oldest first)
    label: str
    value: str


@dataclass
class Table:
    slug: str  # unique in its report; the CSV's name
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    description: str = ""
    chart: Chart | None = None
    empty: str = ""  # what to say when there are no rows

    def cell(self, row: dict[str, Any], column: Column) -> str:
        return cell_text(row, column)

    @property
    def chart_points(self) -> list[tuple[str, float]]:
        """(label, value) for the chart, leaving out suppressed and empty values."""
        if self.chart is None:
            return []
        column = next(c for c in self.columns if c.key == self.chart.value)
        points = []
        for row in self.rows:
            value = row.get(self.chart.value)
            if value is None or is_suppressed(row, column):
                continue
            label_column = next(c for c in self.columns if c.key == self.chart.label)
            points.append((cell_text(row, label_column), float(value)))
        return points


def is_suppressed(row: dict[str, Any], column: Column) -> bool:
    if column.kind == "people":
        value = row.get(column.key)
        return value is not None and 0 < value < SMALLEST_GROUP
    if column.base:
        base = row.get(column.base)
        return base is not None and 0 < base < SMALLEST_GROUP
    return False


def cell_text(row: dict[str, Any], column: Column) -> str:
    value = row.get(column.key)
    if is_suppressed(row, column):
        return SUPPRESSED
    if value is None:
        return "—" if column.kind != "text" else ""
    if column.kind in ("people", "count"):
        return format_decimal(value)
    if column.kind == "percent":
        return format_percent(value / 100, "#,##0.#%")
    if column.kind in ("number", "days", "hours"):
        return format_decimal(round(value, 1), "#,##0.#")
    return str(value)


def csv_cell(row: dict[str, Any], column: Column) -> str:
    """A CSV cell: plain numbers (no grouping), suppressed groups as "<5"."""
    value = row.get(column.key)
    if is_suppressed(row, column):
        return SUPPRESSED
    if value is None:
        return ""
    if column.kind in ("people", "count"):
        return str(int(value))
    if column.kind in ("percent", "number", "days", "hours"):
        return f"{round(float(value), 1):g}"
    return csv_safe(str(value))


def csv_response(table: Table, filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_safe(str(column.label)) for column in table.columns])
    for row in table.rows:
        writer.writerow([csv_cell(row, column) for column in table.columns])
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def share(part: int | None, whole: int | None) -> float | None:
    """`part` of `whole` in percent, or None when there is no whole."""
    if not whole or part is None:
        return None
    return 100.0 * part / whole


@dataclass
class Report:
    """What a report page shows: its tables, in order, plus anything its template needs."""

    tables: list[Table]
    extra: dict[str, Any] = field(default_factory=dict)

    def table(self, slug: str) -> Table | None:
        return next((table for table in self.tables if table.slug == slug), None)


# name -> (title, builder(filters, scope) -> Report); the views and the CSV route use this.
ReportBuilder = Callable[..., Report]
REPORTS: dict[str, tuple[Any, ReportBuilder, Sequence[str]]] = {}


def register(name: str, title, *, roles: Sequence[str] = ("admin", "trainer")):
    """Decorator: make `builder(filters, scope) -> Report` the report `name` (/reports/<name>)."""

    def decorate(builder: ReportBuilder) -> ReportBuilder:
        REPORTS[name] = (title, builder, tuple(roles))
        return builder

    return decorate
