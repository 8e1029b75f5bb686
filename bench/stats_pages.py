"""How long each statistics page takes, as an admin, on a filled database.

    BENCH_DATABASE_URL=postgresql+psycopg://… .venv/bin/python bench/stats_pages.py
    BENCH_DATABASE_URL=sqlite:////path/to/copy.db .venv/bin/python bench/stats_pages.py

Point it at a database filled by `flask --app app demo generate` (on a copy: logging in adds a
session row and an audit entry). Every report registered in `samaschool.reports.tables.REPORTS`
and the audit log are requested through the Flask test client, each without filters and with a
typical one (the last 90 days of BENCH_UNTIL, default today, and one country; for the audit log
one action in those days, and a part of a name), once to warm up and then BENCH_RUNS times
(default 5). It prints a Markdown table: the median and slowest time of the whole request
(queries, Python, template) and the number of SQL statements one request ran.

BENCH_PAGES=/reports/funnel,/admin/audit measures only those pages.
BENCH_EMAIL and BENCH_PASSWORD name the admin (default: the demo databases' ops@example.org).
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, func, select

from samaschool import config, create_app
from samaschool.auth.models import User
from samaschool.extensions import db
from samaschool.permissions import Role

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
EMAIL = os.environ.get("BENCH_EMAIL", "ops@example.org")
PASSWORD = os.environ.get("BENCH_PASSWORD", "a long admin passphrase 42")
UNTIL = date.fromisoformat(os.environ["BENCH_UNTIL"]) if os.environ.get("BENCH_UNTIL") else date.today()
COUNTRY = os.environ.get("BENCH_COUNTRY", "KE")
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def make_app(url: str):
    instance = Path("/tmp/samaschool-bench")
    instance.mkdir(exist_ok=True)
    app = create_app(config.for_tests(str(instance), url))
    app.config["RATELIMIT_ENABLED"] = False
    return app


def pages() -> list[tuple[str, str, str]]:
    """(page, filter, URL) for every statistics page, without and with a typical filter."""
    from samaschool.reports.tables import REPORTS

    period = {"start": (UNTIL - timedelta(days=89)).isoformat(), "end": UNTIL.isoformat()}
    typical = urlencode(period | {"country": COUNTRY})
    found = []
    for name in REPORTS:
        found.append((f"/reports/{name}", "none", f"/reports/{name}"))
        found.append((f"/reports/{name}", f"90 days, {COUNTRY}", f"/reports/{name}?{typical}"))
    found.append(("/admin/audit", "none", "/admin/audit"))
    action = urlencode(period | {"action": "certificate.issued"})
    found.append(("/admin/audit", "90 days, one action", f"/admin/audit?{action}"))
    found.append(("/admin/audit", "part of a name", "/admin/audit?actor=manager"))
    return found


def log_in(client) -> None:
    token = CSRF_RE.search(client.get("/account/login").get_data(as_text=True)).group(1)
    response = client.post("/account/login", data={"csrf_token": token, "email": EMAIL, "password": PASSWORD})
    if response.status_code != 302:
        sys.exit(f"could not log in as {EMAIL} (set BENCH_EMAIL and BENCH_PASSWORD)")


def time_page(app, client, url: str) -> dict:
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    response = client.get(url)  # warm-up: caches, the first connection, compiled statements
    if response.status_code != 200:
        sys.exit(f"{url}: {response.status_code}")
    times = []
    for run in range(RUNS):
        if run == 0:
            event.listen(engine, "before_cursor_execute", count)
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        if run == 0:
            event.remove(engine, "before_cursor_execute", count)
        assert response.status_code == 200, url
    return {"median": statistics.median(times), "max": max(times), "queries": len(statements)}


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        sys.exit("set BENCH_DATABASE_URL to a database filled by `flask demo generate` (a copy)")
    app = make_app(url)
    with app.app_context():
        learners = db.session.scalar(select(func.count()).select_from(User).where(User.role == Role.LEARNER))
        dialect = db.engine.dialect.name
    client = app.test_client()
    log_in(client)
    print(f"{dialect}, {learners:,} learners, {RUNS} runs per page after one warm-up, period ending {UNTIL}")
    print()
    print("| page | filter | median ms | slowest ms | SQL statements |")
    print("|---|---|---:|---:|---:|")
    only = {page for page in os.environ.get("BENCH_PAGES", "").split(",") if page}
    for page, label, address in pages():
        if only and page not in only:
            continue
        result = time_page(app, client, address)
        print(f"| `{page}` | {label} | {result['median']:.0f} | {result['max']:.0f} | {result['queries']} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
