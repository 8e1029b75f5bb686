"""Certification statistics, each figure checked on small hand-built data where the answer is known:
certificates issued per month and week, where certificates stand now, and per certification the
exam pass rate, the median attempts to pass and the median days from enrolment to certificate.
Figures are read from the CSV files; one test checks that each CSV holds what the page shows."""

from __future__ import annotations

import csv
import html
import io
import itertools
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from samaschool.assessments.models import Attempt
from samaschool.auth.models import User
from samaschool.catalog.models import Enrolment
from samaschool.certification.models import Certificate
from samaschool.certification.services import new_code
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.permissions import Role
from samaschool.pools.models import EarningEntry
from tests.factories import PASSWORD

_numbers = itertools.count(1)


# Hand-built data: rows inserted directly with the timestamps each test chooses ------------------


def add(app, *rows) -> list[int]:
    with app.app_context():
        db.session.add_all(rows)
        db.session.commit()
        return [row.id for row in rows]


def people(app, count: int, *, created_at: datetime | None = None, country: str = "KE", role=Role.LEARNER):
    """`count` users (learners unless told) who never log in: inserted directly, no password to hash."""
    rows = []
    for _ in range(count):
        n = next(_numbers)
        rows.append(
            User(
                email=f"report-person-{n}@example.org",
                name=f"Person {n}",
                password_hash="not-a-hash",
                country=country,
                role=role,
                created_at=created_at or utcnow(),
            )
        )
    return add(app, *rows)


def certificate(user_id: int, certification, issued_at: datetime, **fields) -> Certificate:
    return Certificate(
        user_id=user_id,
        certification_id=certification.id,
        cycle=fields.pop("cycle", 1),
        code=new_code(),
        holder_name="Someone",
        issued_at=issued_at,
        expires_at=fields.pop("expires_at", None),
        **fields,
    )


def attempt(user_id: int, quiz, number: int, passed: bool, submitted_at: datetime, state: str = "submitted"):
    return Attempt(
        quiz_id=quiz.id,
        user_id=user_id,
        number=number,
        state=state,
        started_at=submitted_at - timedelta(minutes=20),
        submitted_at=submitted_at if state == "submitted" else None,
        score_percent=(90.0 if passed else 30.0) if state == "submitted" else None,
        passed=passed if state == "submitted" else None,
    )


def enrolment(user_id: int, course, enrolled_at: datetime) -> Enrolment:
    return Enrolment(user_id=user_id, course_id=course.id, enrolled_at=enrolled_at)


def earning(user_id: int, created_at: datetime, kind: str = "approval") -> EarningEntry:
    return EarningEntry(
        worker_id=user_id,
        kind=kind,
        amount_minor=500 if kind != "reversal" else -500,
        currency="KES",
        created_at=created_at,
    )


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


# Reading the pages ----------------------------------------------------------------------------------


def admin_client(app, make, auth):
    admin = make.user(Role.ADMIN)
    assert auth.login(admin.email).status_code == 302
    return auth._client


def csv_rows(client, url: str) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def table(client, report: str, slug: str, query: str = "") -> dict[str, dict[str, str]]:
    """The CSV of one table as {first cell: {column label: cell}}."""
    header, *rows = csv_rows(client, f"/reports/{report}/{slug}.csv{query}")
    return {row[0]: dict(zip(header[1:], row[1:], strict=True)) for row in rows}


def page_tables(text: str) -> dict[str, list[list[str]]]:
    """Every table of a report page, by its slug: the header row and each row's cells, as shown."""
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
    """A page cell written as the CSV writes it: no grouping, no percent sign, "" for "—"."""
    if cell == "—":
        return ""
    if re.fullmatch(r"[\d,.]+%?", cell):
        return cell.replace(",", "").rstrip("%")
    return cell


def assert_csv_matches_page(client, report: str, query: str = ""):
    response = client.get(f"/reports/{report}{query}")
    assert response.status_code == 200
    shown = page_tables(response.get_data(as_text=True))
    assert shown, "no table on the page"
    for slug, rows in shown.items():
        downloaded = csv_rows(client, f"/reports/{report}/{slug}.csv{query}")
        assert downloaded[0] == rows[0], slug
        assert downloaded[1:] == [[as_csv(cell) for cell in row] for row in rows[1:]], slug
    return shown


# Fixtures -------------------------------------------------------------------------------------------


@pytest.fixture
def courses(make):
    """Course A with an exam, certification X (complete A, pass its exam); course B and
    certification Y (complete B, no exam)."""
    a = make.course("course-a", title="Course A", modules=1, lessons_per_module=1)
    b = make.course("course-b", title="Course B", modules=1, lessons_per_module=1)
    exam = make.quiz(a, module=None)
    x = make.certification(a, quiz=exam, slug="cert-x", name="Certification X")
    y = make.certification(b, slug="cert-y", name="Certification Y")
    return {"a": a, "b": b, "exam": exam, "x": x, "y": y}


# Who may see it -------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/reports/", "/reports/certifications", "/reports/certifications/status.csv"])
def test_anonymous_visitors_are_sent_to_log_in_and_learners_refused(client, make, auth, url):
    response = client.get(url)
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    learner = make.user()
    auth.login(learner.email)
    assert client.get(url).status_code == 403


def test_the_statistics_open_on_certifications(app, make, auth, courses):
    client = admin_client(app, make, auth)
    text = client.get("/reports/").get_data(as_text=True)
    assert "Certificates issued per month" in text and "Certification X" in text


# Certificates issued over time --------------------------------------------------------------------


def test_certificates_issued_per_month_and_week_within_the_period(app, make, auth, courses):
    x, y = courses["x"], courses["y"]
    ids = people(app, 12)
    add(
        app,
        certificate(ids[0], x, at("2025-02-28", 23)),  # before the period
        certificate(ids[1], x, at("2025-03-01", 0)),  # Saturday: the week of Monday 24 February
        certificate(ids[2], x, at("2025-03-03")),  # Monday
        certificate(ids[3], x, at("2025-03-03")),
        certificate(ids[11], x, at("2025-03-04")),
        certificate(ids[4], y, at("2025-03-05")),
        certificate(ids[5], x, at("2025-03-09", 23)),  # Sunday: still the week of the 3rd
        certificate(ids[6], x, at("2025-03-10", 0)),  # Monday: the next week
        certificate(ids[7], x, at("2025-03-31", 23), revoked_at=at("2025-04-02")),  # revoked: still issued
        certificate(ids[8], x, at("2025-04-30", 23)),  # the last day of the period counts
        certificate(ids[9], y, at("2025-04-28")),
        certificate(ids[10], x, at("2025-05-01", 0)),  # after the period
    )
    add(app, certificate(people(app, 1, role=Role.TRAINER)[0], x, at("2025-03-04")))  # not a learner
    client = admin_client(app, make, auth)
    query = "?start=2025-03-01&end=2025-04-30"

    months = table(client, "certifications", "issued-per-month", query)
    assert months == {"2025-03": {"Certificates issued": "8"}, "2025-04": {"Certificates issued": "<5"}}
    weeks = table(client, "certifications", "issued-per-week", query)
    assert list(weeks) == [
        "2025-02-24",
        "2025-03-03",
        "2025-03-10",
        "2025-03-17",
        "2025-03-24",
        "2025-03-31",
        "2025-04-07",
        "2025-04-14",
        "2025-04-21",
        "2025-04-28",
    ]
    counts = {week: cells["Certificates issued"] for week, cells in weeks.items()}
    assert counts["2025-02-24"] == "<5" and counts["2025-03-03"] == "5" and counts["2025-03-10"] == "<5"
    assert counts["2025-03-31"] == "<5" and counts["2025-04-28"] == "<5" and counts["2025-04-07"] == "0"

    # A certification filter counts that certification's certificates only.
    only_x = table(client, "certifications", "issued-per-month", query + "&certification=cert-x")
    assert only_x["2025-03"] == {"Certificates issued": "7"}


def test_without_a_period_the_last_twelve_months_and_twenty_six_weeks(app, make, auth, courses):
    now = utcnow()
    ids = people(app, 7)
    add(
        app,
        *[certificate(i, courses["x"], now - timedelta(seconds=1)) for i in ids[:5]],
        certificate(ids[5], courses["x"], now - timedelta(days=400)),
        certificate(ids[6], courses["x"], now - timedelta(days=200)),
    )
    client = admin_client(app, make, auth)
    months = csv_rows(client, "/reports/certifications/issued-per-month.csv")[1:]
    today = now.date()
    first = date(today.year - (today.month <= 11), (today.month - 12) % 12 + 1, 1)
    assert len(months) == 12 and months[0][0] == first.isoformat()[:7] and months[-1] == [today.isoformat()[:7], "5"]
    assert sum(int(n) for _m, n in months if n != "<5") == 5
    assert sum(1 for _m, n in months if n == "<5") == 1  # the one of 200 days ago; not the one of 400
    weeks = csv_rows(client, "/reports/certifications/issued-per-week.csv")[1:]
    monday = today - timedelta(days=today.weekday())
    assert len(weeks) == 26 and weeks[0][0] == (monday - timedelta(weeks=25)).isoformat()
    assert weeks[-1] == [monday.isoformat(), "5"] and all(n == "0" for _w, n in weeks[:-1])


def test_a_period_reaching_far_back_starts_at_the_first_certificate_and_ends_today(app, make, auth, courses):
    add(app, certificate(people(app, 1)[0], courses["x"], at("2025-03-05")))
    client = admin_client(app, make, auth)
    today = utcnow().date()
    months = csv_rows(client, "/reports/certifications/issued-per-month.csv?start=2000-01-01&end=2100-12-31")[1:]
    assert months[0] == ["2025-03", "<5"] and months[-1][0] == today.isoformat()[:7]
    assert len(months) == (today.year - 2025) * 12 + today.month - 3 + 1
    # Nothing issued at all: the current week alone, not two thousand empty ones.
    weeks = csv_rows(client, "/reports/certifications/issued-per-week.csv?start=2000-01-01&certification=cert-y")[1:]
    assert weeks == [[(today - timedelta(days=today.weekday())).isoformat(), "0"]]


# Where the certificates stand now -----------------------------------------------------------------


def test_certificates_now_valid_expiring_expired_revoked(app, make, auth, courses):
    x, y = courses["x"], courses["y"]
    now = utcnow()
    issued = now - timedelta(days=300)
    ids = people(app, 23)
    kinds = (
        [None] * 3  # valid, never expire
        + [now + timedelta(days=100)] * 2  # valid
        + [now + timedelta(days=10)] * 5  # valid, expiring within 30 days
        + [now - timedelta(days=1)] * 5  # expired
    )
    rows = [certificate(i, x, issued, expires_at=expires) for i, expires in zip(ids, kinds, strict=False)]
    rows += [certificate(i, x, issued, expires_at=now + timedelta(days=50), revoked_at=now) for i in ids[15:19]]
    rows += [certificate(ids[19], x, issued, expires_at=now - timedelta(days=5), revoked_at=now)]  # revoked wins
    rows += [certificate(ids[20], y, issued), certificate(ids[21], y, issued)]
    rows += [certificate(ids[22], y, issued, revoked_at=now)]
    add(app, *rows)
    client = admin_client(app, make, auth)

    status = table(client, "certifications", "status")
    assert status["Certification X"] == {
        "Valid": "10",
        "Of which expire within 30 days": "5",
        "Expired": "5",
        "Revoked": "5",
        "All certificates": "20",
    }
    assert status["Certification Y"] == {
        "Valid": "<5",
        "Of which expire within 30 days": "0",
        "Expired": "0",
        "Revoked": "<5",
        "All certificates": "<5",
    }
    assert status["All certifications"] == {
        "Valid": "12",
        "Of which expire within 30 days": "5",
        "Expired": "5",
        "Revoked": "6",
        "All certificates": "23",
    }
    # The period chooses certificates by when they were issued.
    later = (now - timedelta(days=10)).date().isoformat()
    assert table(client, "certifications", "status", f"?start={later}")["Certification X"]["All certificates"] == "0"


# Per certification ------------------------------------------------------------------------------------


@pytest.fixture
def exam_history(app, courses):
    """Certification X's exam taken by eight learners (one in Uganda), its certificates issued
    after known days of enrolment; certification Y's three certificates."""
    exam, a, x, y = courses["exam"], courses["a"], courses["x"], courses["y"]
    learners = people(app, 7) + people(app, 1, country="UG")
    march, april = at("2025-03-10"), at("2025-04-10")
    # First passing attempt per learner: 1, 1, 2, 3, 4, 4 (and one never passes, one in Uganda).
    histories = [
        [True],  # passes at 1 (in March: a period from April leaves this learner out)
        [True],
        [False, True],
        [False, False, True, True],  # passes again after passing: still 3
        [False, False, False, True],
        [False, False, False, True],
        [False, False],  # never passes
        [True],  # Uganda
    ]
    rows = []
    for index, (learner, history) in enumerate(zip(learners, histories, strict=True)):
        start = march if index == 0 else april
        rows += [attempt(learner, exam, n, passed, start + timedelta(hours=n)) for n, passed in enumerate(history, 1)]
    rows.append(attempt(learners[6], exam, 3, False, april + timedelta(days=1), state="in_progress"))
    # Certificates of X: days from enrolment in course A 10, 20, 30, 40, 50, 60 (the 10 in
    # March); one learner holds X without an enrolment in A; the Ugandan learner after 5 days.
    for index, days in enumerate((10, 20, 30, 40, 50, 60)):
        issued = (march if index == 0 else april) + timedelta(days=1)
        rows += [enrolment(learners[index], a, issued - timedelta(days=days)), certificate(learners[index], x, issued)]
    rows.append(certificate(learners[6], x, april + timedelta(days=2)))
    rows += [enrolment(learners[7], a, april - timedelta(days=5)), certificate(learners[7], x, april)]
    others = people(app, 3)
    for index, learner in enumerate(others):
        rows += [
            enrolment(learner, courses["b"], april - timedelta(days=7)),
            certificate(learner, y, april + timedelta(days=index)),
        ]
    add(app, *rows)
    return {"learners": learners, "others": others}


COLUMNS = (
    "Certificates issued",
    "Learners who sat its exams",
    "Exam pass rate",
    "Learners who passed",
    "Median attempts to pass",
    "Median days from enrolment to certificate",
)


def figures(rows: dict, name: str) -> tuple[str, ...]:
    return tuple(rows[name][column] for column in COLUMNS)


def test_pass_rate_attempts_to_pass_and_days_to_certificate(app, make, auth, courses, exam_history):
    client = admin_client(app, make, auth)
    rows = table(client, "certifications", "per-certification")
    # Attempts submitted: 1+1+2+4+4+4+2+1 = 19, passed 1+1+1+2+1+1+0+1 = 8. First passes: 1 1 1 2 3 4 4
    # (seven learners: the fourth of seven is 2). Days: 5 10 20 30 40 50 60: the fourth is 30.
    assert figures(rows, "Certification X") == ("8", "8", "42.1", "7", "2", "30")
    # Without the Ugandan learner: first passes 1 1 2 3 4 4 (even: 2.5), days 10…60 (even: 35),
    # attempts 18 of which 7 passed.
    kenya = table(client, "certifications", "per-certification", "?country=KE")
    assert figures(kenya, "Certification X") == ("7", "7", "38.9", "6", "2.5", "35")
    # Certification Y has no exam, and fewer than five certificates.
    assert figures(rows, "Certification Y") == ("<5", "0", "", "0", "", "<5")


def test_per_certification_within_a_period(app, make, auth, courses, exam_history):
    """From April: the March pass and the March certificate (10 days) are left out."""
    client = admin_client(app, make, auth)
    rows = table(client, "certifications", "per-certification", "?start=2025-04-01&country=KE")
    # Attempts in April: 17, passed 6; first passes in April: 1 2 3 4 4 (odd: 3); days 20…60 (odd: 40).
    assert figures(rows, "Certification X") == ("6", "6", "35.3", "5", "3", "40")
    until_march = table(client, "certifications", "per-certification", "?end=2025-03-31")
    assert figures(until_march, "Certification X") == ("<5", "<5", "<5", "<5", "<5", "<5")


def test_a_pass_rate_of_fewer_than_five_who_passed_is_not_shown(app, make, auth, courses):
    """Five learners sat the exam and two passed: the rate would tell about those two."""
    ids = people(app, 5)
    add(app, *[attempt(learner, courses["exam"], 1, index < 2, at("2025-03-10")) for index, learner in enumerate(ids)])
    client = admin_client(app, make, auth)
    assert figures(table(client, "certifications", "per-certification"), "Certification X") == (
        "0",
        "5",
        "<5",
        "<5",
        "<5",
        "",
    )


def test_course_and_certification_filters_choose_certifications(app, make, auth, courses, exam_history):
    client = admin_client(app, make, auth)
    assert list(table(client, "certifications", "per-certification", "?course=course-b")) == ["Certification Y"]
    assert list(table(client, "certifications", "status", "?certification=cert-x")) == ["Certification X"]
    assert list(table(client, "certifications", "status")) == [
        "Certification X",
        "Certification Y",
        "All certifications",
    ]


def test_a_trainer_counts_only_the_learners_of_their_courses(app, make, auth, courses, exam_history):
    """The trainer co-trains course A: certification Y (course B) is not theirs, and of X only the
    learners enrolled in one of their courses count (the one without an enrolment in A does not)."""
    trainer = make.user(Role.TRAINER)
    make.staff(courses["a"], trainer)
    auth.login(trainer.email)
    client = auth._client
    rows = table(client, "certifications", "per-certification")
    assert list(rows) == ["Certification X"]
    # Learner 7 (never passed, certificate without enrolment) is not one of theirs: 17 attempts
    # of 7 learners, 8 passed; first passes and days as for the admin.
    assert figures(rows, "Certification X") == ("7", "7", "47.1", "7", "2", "30")
    assert list(table(client, "certifications", "status")) == ["Certification X"]
    page = client.get("/reports/certifications?certification=cert-y").get_data(as_text=True)
    assert "is not one you can see" in page and "Certification Y</th>" not in page
    # A trainer of no course sees no certification and no learner.
    auth.logout()
    auth.login(make.user(Role.TRAINER).email)
    page = client.get("/reports/certifications").get_data(as_text=True)
    assert page.count("No certification to show for these filters.") == 2 and "Certification X" not in page
    assert [n for _week, n in csv_rows(client, "/reports/certifications/issued-per-week.csv")[1:]] == ["0"] * 26


def test_each_csv_holds_what_the_page_shows(app, make, auth, courses, exam_history):
    client = admin_client(app, make, auth)
    shown = assert_csv_matches_page(client, "certifications", "?start=2025-03-01&end=2025-04-30")
    assert set(shown) == {"issued-per-month", "issued-per-week", "status", "per-certification"}
    assert ["Certification X", "8", "8", "42.1%", "7", "2", "30"] in shown["per-certification"]


def test_the_page_runs_the_same_queries_whatever_the_data(app, make, auth, count_queries, courses):
    """The page and a CSV, for an admin and a trainer, at two sizes of data."""
    trainer = make.user(Role.TRAINER)
    make.staff(courses["a"], trainer)
    admin = admin_client(app, make, auth)
    coach = app.test_client()
    assert coach.submit("/account/login", {"email": trainer.email, "password": PASSWORD}).status_code == 302

    def grow(n: int):
        ids = people(app, n, country="UG") + people(app, n)
        rows = []
        for index, learner in enumerate(ids):
            when = at("2025-03-10") + timedelta(days=index)
            rows += [enrolment(learner, courses["a"], when - timedelta(days=3))]
            rows += [
                attempt(learner, courses["exam"], 1, index % 3 == 0, when),
                attempt(learner, courses["exam"], 2, True, when + timedelta(hours=2)),
            ]
            rows += [certificate(learner, courses["x"] if index % 2 else courses["y"], when + timedelta(days=1))]
        add(app, *rows)

    counts = []
    for size in (1, 15):
        grow(size)
        for client in (admin, coach):
            for url in ("/reports/certifications", "/reports/certifications/per-certification.csv?country=KE"):
                assert client.get(url).status_code == 200
                with count_queries() as queries:
                    assert client.get(url).status_code == 200
                counts.append(len(queries))
    assert counts[:4] == counts[4:], counts
