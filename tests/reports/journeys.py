"""Hand-built learners for the funnel and impact tests: rows inserted directly with the dates and
states each test chooses (no password to hash), and readers for the report pages and CSV files."""

from __future__ import annotations

import csv
import html
import io
import itertools
import re
from datetime import UTC, datetime, timedelta

from samaschool.auth.models import User
from samaschool.catalog.models import Enrolment
from samaschool.certification.models import Certificate
from samaschool.certification.services import new_code
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.learning.models import LessonProgress
from samaschool.permissions import Role
from samaschool.pools.models import Assignment, EarningEntry, PayoutBatch, PayoutLine
from samaschool.reports.filters import Scope
from tests.factories import PASSWORD

_numbers = itertools.count(1)


def add(app, *rows) -> list[int]:
    with app.app_context():
        db.session.add_all(rows)
        db.session.commit()
        return [row.id for row in rows]


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def learner(app, *, created: datetime | None = None, country="KE", gender=None, birth_year=None, active=True) -> int:
    n = next(_numbers)
    user = User(
        email=f"journey-{n}@example.org",
        name=f"Learner {n}",
        password_hash="not-a-hash",
        country=country,
        role=Role.LEARNER,
        gender=gender,
        birth_year=birth_year,
        is_active=active,
        created_at=created or at("2024-03-01"),
    )
    return add(app, user)[0]


def enrolment(user_id: int, course, completed: datetime | None = None) -> Enrolment:
    return Enrolment(user_id=user_id, course_id=course.id, enrolled_at=at("2024-03-02"), completed_at=completed)


def certificate(user_id: int, certification, *, issued=None, expires=None, revoked=None, cycle=1) -> Certificate:
    return Certificate(
        user_id=user_id,
        certification_id=certification.id,
        cycle=cycle,
        code=new_code(),
        holder_name="Someone",
        issued_at=issued or at("2024-06-01"),
        expires_at=expires,
        revoked_at=revoked,
        revocation_reason="Copied answers" if revoked else None,
    )


def valid() -> datetime:
    """An expiry date still ahead."""
    return utcnow() + timedelta(days=200)


def expired() -> datetime:
    return utcnow() - timedelta(days=1)


def assignment(task_id: int, pool, user_id: int, review_state="pending", state="submitted") -> Assignment:
    when = at("2024-07-01")
    return Assignment(
        task_id=task_id,
        pool_id=pool.id,
        worker_id=user_id,
        state=state,
        claimed_at=when,
        lease_expires_at=when + timedelta(minutes=30),
        submitted_at=when if state == "submitted" else None,
        answer="Electronics > Mobile phones" if state == "submitted" else None,
        review_state=review_state,
        reviewed_at=when + timedelta(hours=1) if review_state != "pending" else None,
    )


def entry(user_id: int, amount: int, currency="KES", *, pool=None, kind="approval", created=None, line=None):
    return EarningEntry(
        worker_id=user_id,
        pool_id=pool.id if pool is not None else None,
        kind=kind,
        amount_minor=amount,
        currency=currency,
        created_at=created or at("2024-07-02"),
        payout_line_id=line,
    )


def payout_line(app, user_id: int, state: str, currency="KES") -> int:
    batch_id = add(app, PayoutBatch(currency=currency, threshold_minor=1))[0]
    return add(
        app,
        PayoutLine(
            batch_id=batch_id,
            worker_id=user_id,
            currency=currency,
            amount_minor=100,
            reference=f"SS-T-{next(_numbers)}",
            state=state,
        ),
    )[0]


def lesson_done(user_id: int, lesson_id: int, when: datetime) -> LessonProgress:
    return LessonProgress(user_id=user_id, lesson_id=lesson_id, completed_at=when)


# Reading the reports ----------------------------------------------------------------------------


def built(app, module, filters, scope: Scope | None = None) -> dict[str, list[dict]]:
    """The report's tables as {slug: rows} with the exact (unsuppressed) figures."""
    with app.test_request_context("/"):
        report = module.build(filters, scope or Scope(None, True))
        return {table.slug: table.rows for table in report.tables}


def counts(rows: list[dict], keys: list[str]) -> dict[str, tuple]:
    """{first cell: (the figures of `keys`)} for a table's rows."""
    return {str(next(iter(row.values()))): tuple(row[key] for key in keys) for row in rows}


def logged_in(make, auth, role=Role.ADMIN):
    user = make.user(role)
    assert auth.login(user.email, PASSWORD).status_code == 302
    return user


def csv_rows(client, url: str) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def page_tables(text: str) -> dict[str, list[list[str]]]:
    """Every table of a report page by its slug: the header row and each row's cells as shown."""
    found = {}
    for slug, body in re.findall(
        r'<section class="report-table" aria-labelledby="t-([^"]+)">(.*?)</section>', text, re.S
    ):
        rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
        found[slug] = [
            [html.unescape(cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in rows
        ]
    return found


def as_csv(cell: str) -> str:
    """A page cell as the CSV writes it: no grouping, no percent sign, "" for "—"."""
    if cell == "—":
        return ""
    if re.fullmatch(r"[\d,.]+%?", cell):
        return cell.replace(",", "").rstrip("%")
    return cell


def assert_csv_matches_page(client, report: str, query: str = "") -> dict[str, list[list[str]]]:
    response = client.get(f"/reports/{report}{query}")
    assert response.status_code == 200
    shown = page_tables(response.get_data(as_text=True))
    assert shown, "no table on the page"
    for slug, rows in shown.items():
        downloaded = csv_rows(client, f"/reports/{report}/{slug}.csv{query}")
        assert downloaded[0] == rows[0], slug
        assert downloaded[1:] == [[as_csv(cell) for cell in row] for row in rows[1:]], slug
    return shown
