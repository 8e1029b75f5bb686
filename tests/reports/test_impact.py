"""The impact summary, checked on hand-built learners whose every figure is known (see `impact`):
trained, certified and earning in the period, the shares of women and youth among those who
gave their gender and year of birth, earnings by currency with odd and even medians, each
filter, a trainer's scope, the "<5" rule and a fixed number of statements."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from samaschool.catalog.models import Lesson
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.permissions import Role
from samaschool.pools.money import money
from samaschool.reports import impact
from samaschool.reports.filters import Filters, Scope
from tests.reports.journeys import (
    add,
    assert_csv_matches_page,
    at,
    built,
    certificate,
    enrolment,
    entry,
    learner,
    lesson_done,
    logged_in,
    page_tables,
)

YEAR_2024 = Filters(start=date(2024, 1, 1), end=date(2024, 12, 31))
FIGURES = ["people", "women", "gender_shared", "youth", "age_shared"]


@pytest.fixture
def impact_data(app, make):
    """Course A (certification A opens pool A, KES), course B (certification B opens pool B,
    UGX), pool C (USD) needs no certification. Everyone signed up in 2023. In 2024:

        M1  woman, 20, a lesson of A                      -> trained
        M2  woman, 30, a lesson of A, certified A,
            approved 100 KES, reversed 20, bonus 50       -> trained, certified, earning 130
        M3  man, 20, a lesson of B, certified B,
            approved 100 UGX                              -> trained, certified, earning
        M4  (no gender, no year) completed A in 2024
            (its lesson in 2023)                          -> trained
        M5  woman, 20, a lesson of A in 2023 only,
            certified A in 2024                           -> certified
        M6  another gender, 40, certified A in 2023,
            approved 200 KES                              -> earning
        M7  woman, certified A in 2024 but revoked        -> nothing
        M8  woman, 20, Uganda, a lesson of A              -> trained
        E1-E3 KES 300 (and 500 in 2023), 400, 1000; E4 approved in 2023, reversed in 2024
        U1-U5 UGX 200, 301, 500, 600, 700 (with M3's 100: six, median 400.5)
        W1, W2 USD in pool C (two: "<5"); a trainer's approval in pool A is not a learner's.

    M1-M8 and E1-E4 are learners of course A, M3 and U1-U5 of course B."""
    year = utcnow().year
    a = make.course("course-a", title="Course A", modules=1, lessons_per_module=2)
    b = make.course("course-b", title="Course B", modules=1, lessons_per_module=1)
    cert_a = make.certification(a, slug="cert-a", name="Certification A")
    cert_b = make.certification(b, slug="cert-b", name="Certification B")
    pool_a = make.pool(certification=cert_a, slug="pool-a")
    pool_b = make.pool(certification=cert_b, slug="pool-b", currency="UGX")
    pool_c = make.pool(slug="pool-c", currency="USD")
    with app.app_context():
        a1, a2 = db.session.scalars(select(Lesson.id).where(Lesson.course_id == a.id).order_by(Lesson.position))
        b1 = db.session.scalar(select(Lesson.id).where(Lesson.course_id == b.id))

    young, middle, older = year - 20, year - 30, year - 40
    signed_up = at("2023-01-10")
    people = {
        "M1": {"gender": "woman", "birth_year": young},
        "M2": {"gender": "woman", "birth_year": middle},
        "M3": {"gender": "man", "birth_year": young},
        "M4": {},
        "M5": {"gender": "woman", "birth_year": young},
        "M6": {"gender": "other", "birth_year": older},
        "M7": {"gender": "woman"},
        "M8": {"gender": "woman", "birth_year": young, "country": "UG"},
        **{f"E{i}": {} for i in range(1, 5)},
        **{f"U{i}": {} for i in range(1, 6)},
        "W1": {},
        "W2": {},
    }
    ids = {key: learner(app, created=signed_up, **fields) for key, fields in people.items()}
    trainer = make.user(Role.TRAINER)
    in_2024, in_2023 = at("2024-05-01"), at("2023-11-01")
    add(
        app,
        *[enrolment(ids[k], a) for k in ("M1", "M2", "M5", "M6", "M7", "M8", "E1", "E2", "E3", "E4")],
        enrolment(ids["M4"], a, completed=at("2024-04-01")),
        *[enrolment(ids[k], b) for k in ("M3", "U1", "U2", "U3", "U4", "U5")],
        lesson_done(ids["M1"], a1, at("2024-02-01")),
        lesson_done(ids["M2"], a1, at("2024-02-01")),
        lesson_done(ids["M3"], b1, at("2024-03-01")),
        lesson_done(ids["M4"], a1, at("2023-12-01")),
        lesson_done(ids["M4"], a2, at("2023-12-02")),
        lesson_done(ids["M5"], a1, in_2023),
        lesson_done(ids["M8"], a2, in_2024),
        certificate(ids["M2"], cert_a, issued=at("2024-06-01")),
        certificate(ids["M3"], cert_b, issued=at("2024-06-01")),
        certificate(ids["M5"], cert_a, issued=at("2024-06-01")),
        certificate(ids["M6"], cert_a, issued=at("2023-05-01")),
        certificate(ids["M7"], cert_a, issued=at("2024-06-01"), revoked=at("2024-07-01")),
        entry(ids["M2"], 100, pool=pool_a),
        entry(ids["M2"], -20, pool=pool_a, kind="reversal"),
        entry(ids["M2"], 50, kind="bonus"),
        entry(ids["M3"], 100, "UGX", pool=pool_b),
        entry(ids["M6"], 200, pool=pool_a),
        entry(ids["E1"], 300, pool=pool_a),
        entry(ids["E1"], 500, pool=pool_a, created=in_2023),
        entry(ids["E2"], 400, pool=pool_a),
        entry(ids["E3"], 1000, pool=pool_a),
        entry(ids["E4"], 100, pool=pool_a, created=in_2023),
        entry(ids["E4"], -50, pool=pool_a, kind="reversal"),
        *[
            entry(ids[f"U{i}"], amount, "UGX", pool=pool_b)
            for i, amount in enumerate((200, 301, 500, 600, 700), start=1)
        ],
        entry(ids["W1"], 1000, "USD", pool=pool_c),
        entry(ids["W2"], 2000, "USD", pool=pool_c),
        entry(trainer.id, 999, pool=pool_a),
    )
    return {"a": a, "b": b, "cert_a": cert_a, "cert_b": cert_b}


def people_figures(tables) -> dict[str, tuple]:
    return {row["measure"]: tuple(row[key] for key in FIGURES) for row in tables["people"]}


def earnings(app, tables) -> dict[str, tuple]:
    return {row["currency"]: (row["learners"], row["total"], row["median"]) for row in tables["earnings"]}


def amount(app, minor: int, currency: str, locale: str | None = None) -> str:
    """As the report writes it: outside a request in English, for a reader in Kenya as in en_KE."""
    with app.test_request_context("/"):
        return money(minor, currency, locale)


# Who may see it -------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/reports/impact", "/reports/impact/people.csv"])
def test_anonymous_visitors_log_in_first_and_learners_are_refused(client, make, auth, url):
    response = client.get(url)
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    logged_in(make, auth, Role.LEARNER)
    assert client.get(url).status_code == 403


# Each figure ----------------------------------------------------------------------------------------


def test_trained_certified_and_earning_in_the_period_with_the_shares_of_women_and_youth(app, impact_data):
    tables = built(app, impact, YEAR_2024)
    assert people_figures(tables) == {
        # people, women, gave gender, under 25, gave year of birth
        "Trained": (5, 3, 4, 3, 4),
        "Certified": (3, 2, 3, 2, 3),
        "Earning": (13, 1, 3, 1, 3),
    }
    shares = {row["measure"]: (row["women_share"], row["youth_share"]) for row in tables["people"]}
    assert {key: tuple(round(value, 2) for value in pair) for key, pair in shares.items()} == {
        "Trained": (75.0, 75.0),
        "Certified": (66.67, 66.67),
        "Earning": (33.33, 33.33),
    }


def test_earnings_by_currency_total_and_median_per_earning_learner(app, impact_data):
    """KES: 130, 200, 300, 400, 1000 (odd: the middle one). UGX: 100, 200, 301, 500, 600, 700
    (even: halfway between 301 and 500, rounded to the nearest unit). USD: two learners, whose
    figures the page and the CSV show as "<5" (see below)."""
    assert earnings(app, built(app, impact, YEAR_2024)) == {
        "KES": (5, amount(app, 2030, "KES"), amount(app, 300, "KES")),
        "UGX": (6, amount(app, 2401, "UGX"), amount(app, 401, "UGX")),
        "USD": (2, amount(app, 3000, "USD"), amount(app, 1500, "USD")),  # shown as "<5"
    }


def test_without_a_period_everything_so_far_counts(app, impact_data):
    tables = built(app, impact, Filters())
    assert {row["measure"]: row["people"] for row in tables["people"]} == {
        "Trained": 6,  # and M5
        "Certified": 4,  # and M6
        "Earning": 14,  # and E4
    }
    # KES: 50 (E4), 130, 200, 400, 800 (E1), 1000: halfway between 200 and 400.
    assert earnings(app, tables)["KES"] == (6, amount(app, 2580, "KES"), amount(app, 300, "KES"))


# Filters -------------------------------------------------------------------------------------------


def test_a_course_counts_its_learners_and_its_lessons(app, impact_data):
    tables = built(app, impact, Filters(start=YEAR_2024.start, end=YEAR_2024.end, course=impact_data["b"]))
    assert people_figures(tables) == {
        "Trained": (1, 0, 1, 1, 1),
        "Certified": (1, 0, 1, 1, 1),
        "Earning": (6, 0, 1, 1, 1),
    }
    assert list(earnings(app, tables)) == ["UGX"]


def test_a_certification_counts_its_certificates_and_the_work_in_the_pools_it_opens(app, impact_data):
    tables = built(app, impact, Filters(start=YEAR_2024.start, end=YEAR_2024.end, certification=impact_data["cert_a"]))
    assert {row["measure"]: row["people"] for row in tables["people"]} == {"Trained": 5, "Certified": 2, "Earning": 5}
    # M2's bonus belongs to no pool: 80, 200, 300, 400, 1000.
    assert earnings(app, tables) == {"KES": (5, amount(app, 1980, "KES"), amount(app, 300, "KES"))}


def test_a_country_counts_its_learners_only(app, impact_data):
    tables = built(app, impact, Filters(start=YEAR_2024.start, end=YEAR_2024.end, country="UG"))
    assert people_figures(tables) == {
        "Trained": (1, 1, 1, 1, 1),
        "Certified": (0, 0, 0, 0, 0),
        "Earning": (0, 0, 0, 0, 0),
    }
    assert tables["earnings"] == []


def test_a_trainer_counts_the_learners_certifications_and_pools_of_their_own_courses(app, make, impact_data):
    trainer = make.user(Role.TRAINER)
    make.staff(impact_data["a"], trainer)
    with app.app_context():
        scope = Scope.of(trainer)
    tables = built(app, impact, YEAR_2024, scope)
    assert people_figures(tables) == {
        "Trained": (4, 3, 3, 2, 3),  # M1, M2, M4, M8: M3's lesson is in course B
        "Certified": (2, 2, 2, 1, 2),  # M2, M5
        "Earning": (5, 1, 2, 0, 2),  # M2, M6, E1, E2, E3
    }
    assert earnings(app, tables) == {"KES": (5, amount(app, 1980, "KES"), amount(app, 300, "KES"))}


# The page and its CSV files ---------------------------------------------------------------------------


def test_the_page_shows_the_summary_with_groups_under_five_as_less_than_five(app, client, make, auth, impact_data):
    logged_in(make, auth)
    query = "?start=2024-01-01&end=2024-12-31"
    shown = assert_csv_matches_page(client, "impact", query)
    assert shown["people"][1:] == [
        ["Trained", "5", "<5", "<5", "<5", "<5", "<5", "<5"],
        ["Certified", "<5", "<5", "<5", "<5", "<5", "<5", "<5"],
        ["Earning", "13", "<5", "<5", "<5", "<5", "<5", "<5"],
    ]
    assert shown["earnings"][1:] == [
        ["KES", "5", amount(app, 2030, "KES", "en_KE"), amount(app, 300, "KES", "en_KE")],
        ["UGX", "6", amount(app, 2401, "UGX", "en_KE"), amount(app, 401, "UGX", "en_KE")],
        ["USD", "<5", "<5", "<5"],
    ]
    text = client.get(f"/reports/impact{query}").get_data(as_text=True)
    assert "<dt>Trained</dt><dd>5</dd><dt>Certified</dt><dd>&lt;5</dd><dt>Earning</dt><dd>13</dd>" in text
    assert "From 1 Jan 2024 to 31 Dec 2024." in text  # printed with the page, where the filters are not


def test_the_page_names_the_course_certification_and_country_chosen(client, make, auth, impact_data):
    logged_in(make, auth)
    text = client.get("/reports/impact?course=course-b&certification=cert-b&country=UG").get_data(as_text=True)
    assert "Learners of Course B." in text and "Certification: Certification B." in text
    assert "Learners in Uganda." in text and "Since the start." in text
    assert "No learner had work approved in this period." in text


def test_a_trainer_sees_the_summary_of_their_own_courses(client, make, auth, impact_data):
    trainer = logged_in(make, auth, Role.TRAINER)
    make.staff(impact_data["a"], trainer)
    shown = page_tables(client.get("/reports/impact?start=2024-01-01&end=2024-12-31").get_data(as_text=True))
    assert [row[:2] for row in shown["people"][1:]] == [["Trained", "<5"], ["Certified", "<5"], ["Earning", "5"]]
    assert [row[0] for row in shown["earnings"][1:]] == ["KES"]


def test_the_page_runs_the_same_statements_however_many_learners_and_currencies(
    app, client, make, auth, impact_data, count_queries
):
    logged_in(make, auth)
    url, csv_url = "/reports/impact?start=2024-01-01", "/reports/impact/earnings.csv?start=2024-01-01"
    sizes = []
    for grow, currency in ((0, "TZS"), (20, "INR")):
        course = make.course(modules=1, lessons_per_module=1)
        certification = make.certification(course)
        pool = make.pool(certification=certification, currency=currency)
        with app.app_context():
            lesson = db.session.scalar(select(Lesson.id).where(Lesson.course_id == course.id))
        for i in range(grow):
            user_id = learner(app, gender="woman" if i % 2 else None, birth_year=2000 if i % 3 else None)
            add(
                app,
                enrolment(user_id, course),
                lesson_done(user_id, lesson, at("2024-05-01")),
                certificate(user_id, certification),
                entry(user_id, 100 + i, currency, pool=pool),
            )
        statements = []
        for address in (url, csv_url):
            assert client.get(address).status_code == 200
            with count_queries() as queries:
                assert client.get(address).status_code == 200
            statements.append(len(queries))
        sizes.append(statements)
    assert sizes[0] == sizes[1]
