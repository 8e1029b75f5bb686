"""The audit log is searchable by who acted (part of a name or email), the action and UTC days;
the search stays in the URL through the pages, and a value that cannot be used is said so on
its field, never a server error."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest

from samaschool.audit import AuditEntry
from samaschool.extensions import db
from samaschool.permissions import Role
from tests.factories import PASSWORD


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def entry(actor_id, action: str, when: datetime, reason: str) -> AuditEntry:
    return AuditEntry(
        actor_id=actor_id, action=action, target_type="users", target_id=1, created_at=when, reason=reason
    )


def add(app, *rows):
    with app.app_context():
        db.session.add_all(rows)
        db.session.commit()


@pytest.fixture
def admin_client(app, make):
    admin = make.user(Role.ADMIN, name="Ada Admin", email="ada@example.org")
    client = app.test_client()
    assert client.submit("/account/login", {"email": admin.email, "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def log(app, make):
    """Grace and Tom's entries at known moments, and one by the system (no actor)."""
    grace = make.user(Role.TRAINER, name="Grace Akinyi", email="g.akinyi@example.org")
    tom = make.user(Role.ADMIN, name="Tom Otieno", email="tom@field.example")
    add(
        app,
        entry(grace.id, "course.publish", at("2026-03-01 23:59:59"), "r-grace-feb-end"),
        entry(grace.id, "course.publish", at("2026-03-02 00:00:00"), "r-grace-first"),
        entry(grace.id, "course_staff.added", at("2026-03-05 12:00:00"), "r-grace-staff"),
        entry(grace.id, "course.publish", at("2026-03-08 23:59:59"), "r-grace-last"),
        entry(grace.id, "course.publish", at("2026-03-09 00:00:00"), "r-grace-after"),
        entry(tom.id, "user.role_changed", at("2026-03-04 09:00:00"), "r-tom-role"),
        entry(tom.id, "course.publish", at("2026-03-06 09:00:00"), "r-tom-publish"),
        entry(None, "certificate.issued", at("2026-03-03 09:00:00"), "r-system"),
    )


def reasons(client, query: str) -> set[str]:
    response = client.get(f"/admin/audit{query}")
    assert response.status_code == 200, query
    return set(re.findall(r"<td>(r-[a-z0-9-]+)</td>", response.get_data(as_text=True)))


ALL = {
    "r-grace-feb-end",
    "r-grace-first",
    "r-grace-staff",
    "r-grace-last",
    "r-grace-after",
    "r-tom-role",
    "r-tom-publish",
    "r-system",
}


def test_search_by_part_of_a_name_or_an_email(admin_client, log):
    assert reasons(admin_client, "") == ALL
    grace = {r for r in ALL if r.startswith("r-grace")}
    assert reasons(admin_client, "?actor=AKINYI") == grace  # any case
    assert reasons(admin_client, "?actor=g.aki") == grace  # part of the email
    assert reasons(admin_client, "?actor=field.example") == {"r-tom-role", "r-tom-publish"}
    assert reasons(admin_client, "?actor=o") == ALL - {"r-system"}  # the system is nobody's name
    assert reasons(admin_client, "?actor=%25") == set()  # % and _ are letters here, not patterns
    assert reasons(admin_client, "?actor=nobody") == set()


def test_search_by_action(admin_client, log):
    assert reasons(admin_client, "?action=course.publish") == {
        "r-grace-feb-end",
        "r-grace-first",
        "r-grace-last",
        "r-grace-after",
        "r-tom-publish",
    }
    assert reasons(admin_client, "?action=certificate.issued") == {"r-system"}
    text = admin_client.get("/admin/audit?action=course.publish").get_data(as_text=True)
    # The actions are offered by name, the chosen one selected.
    assert '<option selected value="course.publish">Course published</option>' in text
    assert '<option value="user.role_changed">Role changed</option>' in text


def test_search_by_utc_days_both_included(admin_client, log):
    week = {"r-grace-first", "r-grace-staff", "r-grace-last", "r-tom-role", "r-tom-publish", "r-system"}
    assert reasons(admin_client, "?start=2026-03-02&end=2026-03-08") == week
    assert reasons(admin_client, "?start=2026-03-09") == {"r-grace-after"}
    assert reasons(admin_client, "?end=2026-03-01") == {"r-grace-feb-end"}
    assert reasons(admin_client, "?start=2026-03-02&end=2026-03-02") == {"r-grace-first"}
    assert reasons(admin_client, "?start=0001-01-01&end=9999-12-31") == ALL  # the ends of the calendar
    assert reasons(admin_client, "?actor=grace&action=course.publish&start=2026-03-02&end=2026-03-08") == {
        "r-grace-first",
        "r-grace-last",
    }


@pytest.mark.parametrize(
    ("query", "field", "kept"),
    [
        ("?start=2026-02-30", "start", ALL),
        ("?start=yesterday&actor=tom", "start", {"r-tom-role", "r-tom-publish"}),
        ("?end=2026-3-1x", "end", ALL),
        ("?start=2026-03-08&end=2026-03-02", "end", ALL),  # ends before it starts: both left out
        ("?action=user.deleted_everything", "action", ALL),
    ],
)
def test_values_that_cannot_be_used_are_named_on_their_field_and_left_out(admin_client, log, query, field, kept):
    response = admin_client.get(f"/admin/audit{query}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    error = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', text)
    assert error, text
    assert error.group(1) in (
        "Give a date as year-month-day, like 2026-03-31.",
        "The period ends before it starts.",
        "Choose one of the actions listed.",
    )
    assert 'aria-invalid="true"' in text and "Some of the search was left out" in text
    assert reasons(admin_client, query) == kept
    for name, value in re.findall(r"[?&](\w+)=([^&]*)", query):
        if name in ("start", "end"):  # what was typed stays in the field, to correct
            assert f'value="{html.escape(value)}"' in text


def test_the_search_stays_in_the_url_from_page_to_page(app, make, admin_client):
    grace = make.user(name="Grace Akinyi")
    start = at("2026-03-02 08:00:00")
    add(app, *[entry(grace.id, "course.publish", start + timedelta(minutes=i), f"r-{i}") for i in range(60)])
    add(app, entry(grace.id, "user.role_changed", start, "r-other"))
    query = "?actor=grace&action=course.publish&start=2026-03-02&end=2026-03-02"
    first = admin_client.get(f"/admin/audit{query}").get_data(as_text=True)
    assert "60 entries" in first and "Page 1 of 2" in first
    next_link = html.unescape(re.search(r'<a href="([^"]+)">Next', first).group(1))
    for part in ("actor=grace", "action=course.publish", "start=2026-03-02", "end=2026-03-02", "page=2"):
        assert part in next_link
    second = reasons(admin_client, next_link.removeprefix("/admin/audit"))
    assert second == {f"r-{i}" for i in range(10)}  # newest first: the oldest ten are on page 2
    assert "Clear the search" in first and "Clear the search" not in admin_client.get("/admin/audit").get_data(
        as_text=True
    )


def test_a_search_finding_nothing_says_so(admin_client, log):
    text = admin_client.get("/admin/audit?actor=nobody").get_data(as_text=True)
    assert "No entries match this search." in text and "0 entries" in text


def test_the_search_runs_a_fixed_number_of_queries(app, make, admin_client, count_queries):
    grace = make.user(name="Grace Akinyi")
    query = "/admin/audit?actor=grace&action=course.publish&start=2026-03-01&end=2026-03-31"
    add(app, entry(grace.id, "course.publish", at("2026-04-01 00:00:00"), "r-april"))  # not found
    counts = []
    for size in (1, 30):
        add(
            app,
            *[entry(grace.id, "course.publish", at("2026-03-10 10:00:00"), f"r-{size}-{i}") for i in range(size)],
        )
        assert admin_client.get(query).status_code == 200
        with count_queries() as queries:
            response = admin_client.get(query)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert "31 entries" in response.get_data(as_text=True)
