"""Charts drawn on the server as small SVG: no JavaScript, no fonts or files fetched. This module
lays a chart out (positions and labels); templates/reports/_chart.html draws it, escaped like any
page. Each chart sits beside a table with the same numbers and is named by its title."""

from __future__ import annotations

from dataclasses import dataclass, field

from samaschool.reports.tables import Table

WIDTH = 480
BAR_HEIGHT = 18
GAP = 6
LABEL_WIDTH = 150


@dataclass
class Mark:
    x: float
    y: float
    width: float
    height: float
    label: str = ""
    value: str = ""


@dataclass
class Layout:
    kind: str  # bars | columns
    width: int
    height: int
    marks: list[Mark] = field(default_factory=list)
    axis: dict = field(default_factory=dict)


def _number(value: float) -> str:
    return f"{value:,.1f}".rstrip("0").rstrip(".")


def _short(text: str, length: int = 24) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def layout(table: Table) -> Layout | None:
    """The table's chart, or None when it has no chart or nothing to draw."""
    points = table.chart_points
    if table.chart is None or not points:
        return None
    if table.chart.kind == "columns":
        return _columns(points)
    return _bars(points)


def _bars(points: list[tuple[str, float]]) -> Layout:
    top = max(value for _label, value in points) or 1
    plot = WIDTH - LABEL_WIDTH - 60
    chart = Layout("bars", WIDTH, len(points) * (BAR_HEIGHT + GAP) + GAP)
    for index, (label, value) in enumerate(points):
        length = max(1.0, plot * value / top) if value > 0 else 0.0
        y = GAP + index * (BAR_HEIGHT + GAP)
        chart.marks.append(Mark(LABEL_WIDTH, y, round(length, 1), BAR_HEIGHT, _short(label), _number(value)))
    return chart


def _columns(points: list[tuple[str, float]]) -> Layout:
    """A time series, oldest first: one column per period; the first and last are labelled."""
    height, bottom, left = 160, 22, 44
    top = max(value for _label, value in points) or 1
    plot = height - bottom - 10
    step = (WIDTH - left) / len(points)
    chart = Layout("columns", WIDTH, height)
    for index, (label, value) in enumerate(points):
        bar = plot * value / top
        x = left + index * step
        chart.marks.append(
            Mark(
                round(x, 1),
                round(height - bottom - bar, 1),
                round(max(1.0, step * 0.8), 1),
                round(bar, 1),
                label,
                _number(value),
            )
        )
    chart.axis = {
        "left": left,
        "base": height - bottom,
        "top_value": _number(top),
        "first": points[0][0],
        "last": points[-1][0] if len(points) > 1 else "",
    }
    return chart
