"""Cohorts: learners by month of sign-up, with the share certified and earning within 30, 60 and
90 days; checked on hand-built cohorts where every share is known."""

from __future__ import annotations

from datetime import timedelta

import pytest

from samaschool.db_types import utcnow
from samaschool.permissions import Role
from tests.factories import PASSWORD
from tests.reports.test_certifications import (
    add,
    admin_client,
    assert_csv_matches_page,
    at,
    certificate,
    csv_rows,
    earning,
    enrolment,
    page_tables,
    people,
    table,
)

SHARES = tuple(f"{what} within {days} days" for what in ("Certified", "Earning") for days in (30, 60, 90))


def shares(rows: dict, month: str) -> tuple[str, ...]:
    return (rows[month]["Learners"], *(rows[month][column] for column in SHARES))


@pytest.fixture
def cohorts(app, make):
    """January 2025: twenty learners in Kenya, certified and earning after known days. February
    2025: five learners in Kenya and five in Uganda. March 2025: two learners (fewer than five)."""
    a, b = make.course("course-a", modules=1, lessons_per_module=1), make.course("course-b", modules=1)
    x, y = make.certification(a, slug="cert-x", name="Certification X"), make.certification(b, slug="cert-y")
    january = people(app, 20, created_at=at("2025-01-15"))
    february = people(app, 5, created_at=at("2025-02-01", 0))
    february += people(app, 5, created_at=at("2025-02-28", 23), country="UG")
    march = people(app, 2, created_at=at("2025-03-31", 23))
    people(app, 3, created_at=at("2025-01-20"), role=Role.TRAINER)  # not learners
    start = at("2025-01-15")

    def after(days: int):
        return start + timedelta(days=days)

    rows = []
    # January's certificates: Y after 10, 10, 20, 25 and 30 days; X after 31, 45, 50, 55, 60, then
    # 61, 70, 80, 85, 90, then 91; X after 5 days but revoked; X after 3 days; two never certified.
    certified = [(y, 10), (y, 10), (y, 20), (y, 25), (y, 30)]
    certified += [(x, days) for days in (31, 45, 50, 55, 60, 61, 70, 80, 85, 90, 91)]
    for learner, (certification, days) in zip(january, certified, strict=False):
        rows.append(certificate(learner, certification, after(days)))
    rows.append(certificate(january[16], x, after(5), revoked_at=after(8)))
    rows.append(certificate(january[17], x, after(3)))
    # January's earnings: a first approval after 15 days (the first five; one earns again the next
    # day), after 45 days (the next five), after 100 days; a bonus after 2 days is not earning.
    rows += [earning(learner, after(15)) for learner in january[:5]] + [earning(january[0], after(16))]
    rows += [earning(learner, after(45)) for learner in january[5:10]]
    rows += [earning(january[10], after(2), kind="bonus"), earning(january[11], after(100))]
    # February: the Ugandan learners are certified after a day and earn after two.
    for learner in february[5:]:
        rows += [certificate(learner, x, at("2025-03-01", 23)), earning(learner, at("2025-03-02", 23))]
    # Enrolments: January's first five and February's first in course B; everyone else in A.
    for learner in january + february + march:
        rows.append(enrolment(learner, b if learner in january[:5] + february[:1] else a, at("2025-04-01")))
    add(app, *rows)
    return {"a": a, "b": b, "x": x, "y": y, "january": january, "february": february, "march": march}


@pytest.mark.parametrize("url", ["/reports/cohorts", "/reports/cohorts/cohorts.csv"])
def test_anonymous_visitors_are_sent_to_log_in_and_learners_refused(client, make, auth, url):
    response = client.get(url)
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    learner = make.user()
    auth.login(learner.email)
    assert client.get(url).status_code == 403


def test_shares_certified_and_earning_within_30_60_90_days(app, make, auth, cohorts):
    client = admin_client(app, make, auth)
    rows = table(client, "cohorts", "cohorts")
    assert list(rows) == ["2025-01", "2025-02", "2025-03"]
    # Certified (not revoked) by 30 days: five with Y and the one after 3 days; by 60 days five
    # more, by 90 days five more (the one after 91 days is not). Earning: five by 30, ten by 60.
    assert shares(rows, "2025-01") == ("20", "30", "55", "80", "25", "50", "50")
    # Five of ten, after a day or two (signed up at the end of the month).
    assert shares(rows, "2025-02") == ("10",) + ("50",) * 6
    # Fewer than five learners: their shares too are "<5".
    assert shares(rows, "2025-03") == ("<5",) * 7


def test_filters_choose_the_learners_and_the_certification(app, make, auth, cohorts):
    client = admin_client(app, make, auth)
    # Country: Kenya leaves February's five who neither certified nor earned.
    kenya = table(client, "cohorts", "cohorts", "?country=KE")
    assert shares(kenya, "2025-02") == ("5",) + ("0",) * 6 and shares(kenya, "2025-01")[0] == "20"
    assert shares(table(client, "cohorts", "cohorts", "?country=UG"), "2025-02") == ("5",) + ("100",) * 6
    # Course A: January's last fifteen. By 30 days one learner certified: a group of fewer than five.
    course_a = table(client, "cohorts", "cohorts", "?course=course-a")
    assert shares(course_a, "2025-01") == ("15", "<5", "40", "73.3", "0", "33.3", "33.3")
    assert shares(course_a, "2025-02") == ("9",) + ("55.6",) * 6
    # A certification counts only its certificates; earning is the same.
    only_y = table(client, "cohorts", "cohorts", "?certification=cert-y")
    assert shares(only_y, "2025-01") == ("20", "25", "25", "25", "25", "50", "50")
    only_x = table(client, "cohorts", "cohorts", "?certification=cert-x")
    assert shares(only_x, "2025-01") == ("20", "<5", "30", "55", "25", "50", "50")
    # The period chooses learners by the day they signed up.
    assert list(table(client, "cohorts", "cohorts", "?start=2025-02-01&end=2025-02-28")) == ["2025-02"]
    late_february = table(client, "cohorts", "cohorts", "?start=2025-02-15&end=2025-03-31")
    assert list(late_february) == ["2025-02", "2025-03"]
    assert shares(late_february, "2025-02") == ("5",) + ("100",) * 6


def test_a_cohort_too_young_for_a_horizon_is_not_yet_known(app, make, auth):
    """Learners signed up 45 days before the period's end are known at 30 days, not at 60 or 90;
    this month's learners at no horizon."""
    now = utcnow()
    end = (now - timedelta(days=45)).date()
    signed_up = at(end.isoformat(), 1)
    older = people(app, 5, created_at=signed_up)
    certification = make.certification(make.course())
    add(app, *[certificate(learner, certification, signed_up + timedelta(days=3)) for learner in older])
    people(app, 5, created_at=now - timedelta(seconds=1))
    client = admin_client(app, make, auth)
    rows = table(client, "cohorts", "cohorts", f"?end={end.isoformat()}")
    assert shares(rows, end.isoformat()[:7]) == ("5", "100", "", "", "0", "", "")
    current = table(client, "cohorts", "cohorts")[now.date().isoformat()[:7]]
    assert [current[column] for column in SHARES] == [""] * 6
    shown = page_tables(client.get("/reports/cohorts").get_data(as_text=True))["cohorts"]
    assert shown[-1] == [now.date().isoformat()[:7], "5"] + ["—"] * 6


def test_a_trainer_counts_only_the_learners_of_their_courses(app, make, auth, cohorts):
    """The trainer co-trains course B: January's first five learners and February's first;
    certified counts only the certifications naming course B (Y)."""
    trainer = make.user(Role.TRAINER)
    make.staff(cohorts["b"], trainer)
    client = app.test_client()
    client.submit("/account/login", {"email": trainer.email, "password": PASSWORD})
    rows = table(client, "cohorts", "cohorts")
    assert list(rows) == ["2025-01", "2025-02"]
    assert shares(rows, "2025-01") == ("5",) + ("100",) * 6 and shares(rows, "2025-02") == ("<5",) * 7
    # Five more of January's learners in B: their certificates of X do not count, their earning does.
    add(app, *[enrolment(learner, cohorts["b"], at("2025-04-01")) for learner in cohorts["january"][5:10]])
    rows = table(client, "cohorts", "cohorts")
    assert shares(rows, "2025-01") == ("10", "50", "50", "50", "50", "100", "100")


def test_the_csv_holds_what_the_page_shows(app, make, auth, cohorts):
    client = admin_client(app, make, auth)
    shown = assert_csv_matches_page(client, "cohorts")
    assert shown["cohorts"][1] == ["2025-01", "20", "30%", "55%", "80%", "25%", "50%", "50%"]
    assert shown["cohorts"][3] == ["2025-03"] + ["<5"] * 7
    assert_csv_matches_page(client, "cohorts", "?course=course-a")
    assert csv_rows(client, "/reports/cohorts/cohorts.csv?start=2025-03-01")[1:] == [["2025-03"] + ["<5"] * 7]


def test_the_page_runs_the_same_queries_whatever_the_data(app, make, auth, count_queries):
    course = make.course(modules=1, lessons_per_module=1)
    certification = make.certification(course)
    trainer = make.user(Role.TRAINER)
    make.staff(course, trainer)
    admin = admin_client(app, make, auth)
    coach = app.test_client()
    assert coach.submit("/account/login", {"email": trainer.email, "password": PASSWORD}).status_code == 302

    def grow(n: int):
        rows = []
        for index in range(n):
            learners = people(app, 2, created_at=at("2025-01-10") + timedelta(days=20 * index))
            rows += [
                enrolment(learners[0], course, at("2025-06-01")),
                certificate(learners[0], certification, at("2025-06-02")),
            ]
            rows += [earning(learners[1], at("2025-06-03"))]
        add(app, *rows)

    counts = []
    for size in (1, 20):
        grow(size)
        for client in (admin, coach):
            for url in ("/reports/cohorts?country=KE", "/reports/cohorts/cohorts.csv"):
                assert client.get(url).status_code == 200
                with count_queries() as queries:
                    assert client.get(url).status_code == 200
                counts.append(len(queries))
    assert counts[:4] == counts[4:], counts
