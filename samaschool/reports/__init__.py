"""Statistics for admins and trainers: certifications, the learner funnel, impact, pools, cohorts.

Every figure is an SQL aggregate over the whole table (never rows loaded into Python), with a
fixed number of queries per page however large the data. Each page is a *report*: a function
of the filters and the viewer's scope that returns tables (`tables.Table`); the page shows each
table with a server-drawn SVG chart, and `/reports/<report>/<table>.csv` gives the same rows.
"""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")


def register_views() -> Blueprint:
    import importlib

    for name in ("views",):
        importlib.import_module(f"samaschool.reports.{name}")
    return bp
