"""Report pages and their CSV files: thin; each report is a builder in its own module."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user, login_required
from jinja2 import TemplateNotFound

from samaschool.permissions import Role, role_required
from samaschool.reports import bp, charts
from samaschool.reports.filters import Scope, read_filters
from samaschool.reports.tables import REPORTS, csv_response

# Report modules register themselves (samaschool.reports.tables.register) when imported.
REPORT_MODULES = ("certifications", "funnel", "impact", "pools", "cohorts")


def _load_reports() -> None:
    import importlib

    for name in REPORT_MODULES:
        try:
            importlib.import_module(f"samaschool.reports.{name}")
        except ModuleNotFoundError as error:  # pragma: no cover - while a report is being written
            if error.name != f"samaschool.reports.{name}":
                raise
    # Tabs and /reports/ follow REPORT_MODULES, whichever module happened to be imported first.
    for name in REPORT_MODULES:
        if name in REPORTS:
            REPORTS[name] = REPORTS.pop(name)


_load_reports()


@bp.before_request
@login_required
@role_required(Role.TRAINER, Role.ADMIN)
def only_trainers_and_admins():
    """Admins see everything; trainers the same views limited to their own courses."""


def _viewer_role() -> str:
    return "admin" if current_user.role == Role.ADMIN else "trainer"


def _report(name: str):
    entry = REPORTS.get(name)
    if entry is None:
        abort(404)
    title, builder, roles = entry
    if _viewer_role() not in roles:
        abort(403)
    scope = Scope.of(current_user)
    filters, form, problems = read_filters(request.args, scope)
    return title, builder(filters, scope), filters, form, problems


def visible_reports() -> list[tuple[str, object]]:
    role = _viewer_role()
    return [(name, title) for name, (title, _builder, roles) in REPORTS.items() if role in roles]


@bp.get("/")
def index():
    return report(next(iter(REPORTS)))


@bp.get("/<name>")
def report(name: str):
    title, built, filters, form, problems = _report(name)
    context = {
        "name": name,
        "title": title,
        "report": built,
        "filters": filters,
        "form": form,
        "problems": problems,
        "reports": visible_reports(),
        "chart": charts.layout,
    }
    try:
        return render_template(f"reports/{name}.html", **context)
    except TemplateNotFound:
        return render_template("reports/report.html", **context)


@bp.get("/<name>/<table>.csv")
def table_csv(name: str, table: str):
    _title, built, filters, _form, _problems = _report(name)
    found = built.table(table)
    if found is None:
        abort(404)
    period = "-".join(part for part in (filters.args().get("start"), filters.args().get("end")) if part)
    return csv_response(found, f"{name}-{table}{'-' + period if period else ''}.csv")
