"""The learner funnel and its breakdowns, checked on fifteen hand-built learners whose every
step is known (see `journey`): each step and conversion, each breakdown with its "not shared"
row, each filter, a trainer's scope, the "<5" rule on the page and in the CSV, and a fixed
number of statements whatever the number of learners."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import create_engine, event

from samaschool.catalog.models import Enrolment
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.permissions import Role
from samaschool.reports import funnel
from samaschool.reports.filters import Filters, Scope, visible_courses
from samaschool.reports.learners import Reach
from tests.reports.journeys import (
    add,
    assert_csv_matches_page,
    assignment,
    at,
    built,
    certificate,
    counts,
    csv_rows,
    enrolment,
    entry,
    expired,
    learner,
    logged_in,
    page_tables,
    payout_line,
    valid,
)

STEPS = ["registered", "enrolled", "completed", "certified", "eligible", "approved", "paid"]
STEP_NAMES = [
    "Registered",
    "Enrolled in a course",
    "Completed a course",
    "Certified",
    "Eligible for a pool",
    "First task approved",
    "Paid",
]


@pytest.fixture
def journey(app, make):
    """Courses A and B; certification A (course A) opens pool A (any country); certification B
    (course B) opens pool B, which takes workers in Uganda only, and a closed pool. Fifteen
    learners, all signed up in March 2024 but L12 (June 2023):

        L1  registered only                                        woman, <25
        L2  enrolled in A                                          man, <25
        L3  completed A, enrolled in B; holds B (KE: pool B is UG) woman, <25
        L4  completed A, holds A valid -> eligible; a bonus paid    woman, <25
        L5  completed A, holds A expired                            man, <25
        L6  completed A, A expired, but took a task in pool A       woman, <25
        L7  completed A, A valid, task approved, payout pending     man, 25-35
        L8  completed A, A valid, task approved, payout paid        woman, 25-35
        L9  completed A, A revoked                                  other, 25-35, India
        L10 completed B, holds B, Kenya: pool B is for Uganda       not shared, >35
        L11 completed B, holds B, Uganda -> eligible                woman, not shared, Uganda
        L12 completed A, A valid -> eligible; signed up in 2023     not shared
        L13 completed A, A cycle 1 valid, cycle 2 revoked           not shared
        L14 enrolled in A (not completed), holds A                  not shared
        L15 completed A, A valid, account deactivated               not shared

    Every figure below follows from this table.
    """
    year = utcnow().year
    a = make.course("course-a", title="Course A", modules=1, lessons_per_module=1)
    b = make.course("course-b", title="Course B", modules=1, lessons_per_module=1)
    cert_a = make.certification(a, slug="cert-a", name="Certification A")
    cert_b = make.certification(b, slug="cert-b", name="Certification B")
    pool_a = make.pool(certification=cert_a, slug="pool-a")
    make.pool(certification=cert_b, slug="pool-b", countries=["UG"])
    make.pool(certification=cert_b, slug="pool-b-closed", status="closed")
    tasks = make.tasks(pool_a, 3)

    young, middle, older = year - 20, year - 30, year - 40
    ids = {}
    for key, fields in {
        "L1": {"gender": "woman", "birth_year": young},
        "L2": {"gender": "man", "birth_year": young},
        "L3": {"gender": "woman", "birth_year": young},
        "L4": {"gender": "woman", "birth_year": young},
        "L5": {"gender": "man", "birth_year": young},
        "L6": {"gender": "woman", "birth_year": young},
        "L7": {"gender": "man", "birth_year": middle},
        "L8": {"gender": "woman", "birth_year": middle},
        "L9": {"gender": "other", "birth_year": middle, "country": "IN"},
        "L10": {"birth_year": older},
        "L11": {"gender": "woman", "country": "UG"},
        "L12": {"created": at("2023-06-01")},
        "L13": {},
        "L14": {},
        "L15": {"active": False},
    }.items():
        ids[key] = learner(app, **fields)
    done = at("2024-05-01")
    add(
        app,
        *[enrolment(ids[k], a) for k in ("L2", "L14")],
        *[enrolment(ids[k], a, done) for k in ("L3", "L4", "L5", "L6", "L7", "L8", "L9", "L12", "L13", "L15")],
        enrolment(ids["L3"], b),
        *[enrolment(ids[k], b, done) for k in ("L10", "L11")],
        certificate(ids["L3"], cert_b, expires=valid()),
        certificate(ids["L4"], cert_a, expires=valid()),
        certificate(ids["L5"], cert_a, expires=expired()),
        certificate(ids["L6"], cert_a, expires=expired()),
        certificate(ids["L7"], cert_a, expires=valid()),
        certificate(ids["L8"], cert_a),  # never expires
        certificate(ids["L9"], cert_a, expires=valid(), revoked=at("2024-08-01")),
        certificate(ids["L10"], cert_b, expires=valid()),
        certificate(ids["L11"], cert_b, expires=valid()),
        certificate(ids["L12"], cert_a, expires=valid()),
        certificate(ids["L13"], cert_a, expires=valid()),
        certificate(ids["L13"], cert_a, expires=valid(), revoked=at("2024-09-01"), cycle=2),
        certificate(ids["L14"], cert_a, expires=valid()),
        certificate(ids["L15"], cert_a, expires=valid()),
        assignment(tasks[0], pool_a, ids["L6"], state="expired"),
        assignment(tasks[0], pool_a, ids["L7"], review_state="approved"),
        assignment(tasks[0], pool_a, ids["L8"], review_state="approved"),
        assignment(tasks[1], pool_a, ids["L8"], review_state="rejected"),
    )
    add(
        app,
        entry(ids["L7"], 500, pool=pool_a, line=payout_line(app, ids["L7"], "pending")),
        entry(ids["L8"], 500, pool=pool_a, line=payout_line(app, ids["L8"], "paid")),
        entry(ids["L4"], 300, kind="bonus", line=payout_line(app, ids["L4"], "paid")),
    )
    return {"ids": ids, "a": a, "b": b, "cert_a": cert_a, "cert_b": cert_b, "pool_a": pool_a, "year": year}


def figures(app, filters=None, scope=None) -> dict[str, dict[str, tuple]]:
    tables = built(app, funnel, filters or Filters(), scope)
    return {
        "steps": {row["step"]: row["people"] for row in tables["steps"]},
        "by-course": counts(tables["by-course"], STEPS[1:]),
        "by-certification": counts(tables["by-certification"], STEPS[3:]),
        "by-country": counts(tables["by-country"], STEPS),
        "by-gender": counts(tables["by-gender"], STEPS),
        "by-age": counts(tables["by-age"], STEPS),
    }


def steps(*numbers) -> dict[str, int]:
    return dict(zip(STEP_NAMES, numbers, strict=True))


# Who may see it -------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/reports/funnel", "/reports/funnel/steps.csv"])
def test_anonymous_visitors_log_in_first_and_learners_are_refused(client, make, auth, url):
    response = client.get(url)
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    logged_in(make, auth, Role.LEARNER)
    assert client.get(url).status_code == 403


# Each figure ----------------------------------------------------------------------------------------


def test_each_step_counts_the_learners_who_reached_it_and_every_step_before(app, journey):
    tables = built(app, funnel, Filters())
    assert {row["step"]: row["people"] for row in tables["steps"]} == steps(15, 14, 12, 11, 6, 2, 1)
    conversions = {row["step"]: (row["from_previous"], row["from_registered"]) for row in tables["steps"]}
    assert conversions["Registered"] == (None, None)
    assert conversions["Enrolled in a course"] == pytest.approx((100 * 14 / 15, 100 * 14 / 15))
    assert conversions["Completed a course"] == pytest.approx((100 * 12 / 14, 100 * 12 / 15))
    assert conversions["Certified"] == pytest.approx((100 * 11 / 12, 100 * 11 / 15))
    assert conversions["Eligible for a pool"] == pytest.approx((100 * 6 / 11, 100 * 6 / 15))
    assert conversions["First task approved"] == pytest.approx((100 * 2 / 6, 100 * 2 / 15))
    assert conversions["Paid"] == pytest.approx((50.0, 100 / 15))


def test_breakdowns_by_course_and_certification_are_the_funnel_with_each_chosen(app, journey):
    found = figures(app)
    # A learner in two courses (L3) is in both rows; B's row counts completing B, not A.
    assert found["by-course"] == {"Course A": (12, 10, 9, 5, 2, 1), "Course B": (3, 2, 2, 1, 0, 0)}
    assert found["by-certification"] == {"Certification A": (8, 5, 2, 1), "Certification B": (3, 1, 0, 0)}
    for course in (journey["a"], journey["b"]):
        chosen = figures(app, Filters(course=course))
        assert tuple(chosen["steps"].values())[1:] == found["by-course"][course.title]
        assert list(chosen["by-course"]) == [course.title]
    for certification in (journey["cert_a"], journey["cert_b"]):
        chosen = figures(app, Filters(certification=certification))
        assert tuple(chosen["steps"].values())[3:] == found["by-certification"][certification.name]
        assert list(chosen["by-certification"]) == [certification.name]


def test_breakdowns_by_country_gender_and_age_each_add_up_to_the_funnel(app, journey):
    found = figures(app)
    assert found["by-country"] == {
        "Kenya": (13, 12, 10, 10, 5, 2, 1),
        "India": (1, 1, 1, 0, 0, 0, 0),
        "Uganda": (1, 1, 1, 1, 1, 0, 0),
    }
    assert found["by-gender"] == {
        "Woman": (6, 5, 5, 5, 4, 1, 1),
        "Man": (3, 3, 2, 2, 1, 1, 0),
        "Another gender": (1, 1, 1, 0, 0, 0, 0),
        "Not shared": (5, 5, 4, 4, 1, 0, 0),
    }
    assert found["by-age"] == {
        "Under 25": (6, 5, 4, 4, 2, 0, 0),
        "25–35": (3, 3, 3, 2, 2, 2, 1),
        "Over 35": (1, 1, 1, 1, 0, 0, 0),
        "Not shared": (5, 5, 4, 4, 2, 0, 0),
    }
    total = tuple(found["steps"].values())
    for breakdown in ("by-country", "by-gender", "by-age"):
        assert tuple(map(sum, zip(*found[breakdown].values(), strict=True))) == total, breakdown


def test_age_is_the_age_reached_in_the_year_the_period_ends(app, journey):
    """L1 to L6 are 20 this year: in a period ending six years from now, they are 26 at its end."""
    tables = built(app, funnel, Filters(end=date(journey["year"] + 6, 12, 31)))
    by_age = counts(tables["by-age"], STEPS)
    assert by_age["25–35"][0] == 6 and "Under 25" not in by_age
    assert by_age["Over 35"][0] == 4  # L7 to L10


# Filters -------------------------------------------------------------------------------------------


def test_the_period_chooses_who_signed_up_in_it(app, journey):
    assert figures(app, Filters(start=date(2024, 1, 1), end=date(2024, 12, 31)))["steps"] == steps(
        14, 13, 11, 10, 5, 2, 1
    )
    assert figures(app, Filters(start=date(2023, 6, 1), end=date(2023, 6, 1)))["steps"] == steps(1, 1, 1, 1, 1, 0, 0)
    assert figures(app, Filters(start=date(2025, 1, 1)))["steps"] == steps(0, 0, 0, 0, 0, 0, 0)


def test_a_course_counts_enrolling_in_and_completing_that_course(app, journey):
    assert figures(app, Filters(course=journey["b"]))["steps"] == steps(15, 3, 2, 2, 1, 0, 0)


def test_a_certification_counts_only_its_certificates_and_the_pools_it_opens(app, journey):
    assert figures(app, Filters(certification=journey["cert_b"]))["steps"] == steps(15, 14, 12, 3, 1, 0, 0)
    assert figures(app, Filters(certification=journey["cert_a"]))["steps"] == steps(15, 14, 12, 8, 5, 2, 1)


def test_a_country_counts_its_learners_only(app, journey):
    found = figures(app, Filters(country="KE"))
    assert found["steps"] == steps(13, 12, 10, 10, 5, 2, 1)
    assert list(found["by-country"]) == ["Kenya"]


def test_a_trainer_counts_the_learners_certifications_and_pools_of_their_own_courses(app, make, journey):
    """Only the learners of course A; certification B (L3's) is not the trainer's."""
    trainer = make.user(Role.TRAINER)
    make.staff(journey["a"], trainer)
    with app.app_context():
        scope = Scope.of(trainer)
    found = figures(app, Filters(), scope)
    assert found["steps"] == steps(12, 12, 10, 8, 5, 2, 1)
    assert list(found["by-course"]) == ["Course A"]
    assert found["by-certification"] == {"Certification A": (8, 5, 2, 1)}
    stranger = make.user(Role.TRAINER)
    with app.app_context():
        nobody = Scope.of(stranger)
    found = figures(app, Filters(), nobody)
    assert found["steps"] == steps(0, 0, 0, 0, 0, 0, 0)
    assert found["by-course"] == {} and found["by-certification"] == {}


# The page and its CSV files ---------------------------------------------------------------------------


def test_groups_under_five_and_their_shares_show_as_less_than_five_on_the_page_and_in_the_csv(
    client, make, auth, journey
):
    logged_in(make, auth)
    shown = assert_csv_matches_page(client, "funnel")
    assert shown["steps"] == [
        ["Step", "Learners", "Of the step before", "Of those registered"],
        ["Registered", "15", "—", "—"],
        ["Enrolled in a course", "14", "93.3%", "93.3%"],
        ["Completed a course", "12", "85.7%", "80%"],
        ["Certified", "11", "91.7%", "73.3%"],
        ["Eligible for a pool", "6", "54.5%", "40%"],
        ["First task approved", "<5", "<5", "<5"],
        ["Paid", "<5", "<5", "<5"],
    ]
    assert shown["by-gender"][-1] == ["Not shared", "5", "5", "<5", "<5", "<5", "0", "0"]
    assert shown["by-gender"][3] == ["Another gender", "<5", "<5", "<5", "0", "0", "0", "0"]
    assert csv_rows(client, "/reports/funnel/by-age.csv")[1] == ["Under 25", "6", "5", "<5", "<5", "<5", "0", "0"]


def test_the_csv_keeps_the_filters_and_equals_the_filtered_table(client, make, auth, journey):
    logged_in(make, auth)
    query = "?start=2024-01-01&end=2024-12-31&course=course-a&country=KE"
    shown = assert_csv_matches_page(client, "funnel", query)
    assert [row[0] for row in shown["by-course"][1:]] == ["Course A"]
    assert [row[0] for row in shown["by-country"][1:]] == ["Kenya"]


def test_the_page_says_who_is_counted_and_draws_the_funnel(client, make, auth, journey):
    logged_in(make, auth)
    text = client.get("/reports/funnel?start=2024-01-01").get_data(as_text=True)
    assert "Learners who signed up from" in text
    assert '<svg class="chart"' in text and "Breakdowns" in text
    assert set(page_tables(text)) == {"steps", "by-course", "by-certification", "by-country", "by-gender", "by-age"}


def test_a_trainer_sees_the_page_for_their_own_courses(client, make, auth, journey):
    trainer = logged_in(make, auth, Role.TRAINER)
    make.staff(journey["a"], trainer)
    shown = page_tables(client.get("/reports/funnel").get_data(as_text=True))
    assert shown["steps"][1] == ["Registered", "12", "—", "—"]
    assert [row[0] for row in shown["by-course"][1:]] == ["Course A"]


def test_the_page_runs_the_same_statements_however_many_learners_courses_and_pools(
    app, client, make, auth, journey, count_queries
):
    logged_in(make, auth)
    url = "/reports/funnel?start=2024-01-01&certification=cert-a"
    csv_url = "/reports/funnel/by-gender.csv?start=2024-01-01"
    sizes = []
    for grow in (0, 20):
        course = make.course(modules=1, lessons_per_module=1)
        certification = make.certification(course)
        pool = make.pool(certification=certification, countries=["KE", "UG"])
        tasks = make.tasks(pool, 1)
        for i in range(grow):
            user_id = learner(app, gender="man" if i % 2 else None, country="UG" if i % 3 else "KE")
            add(
                app,
                Enrolment(user_id=user_id, course_id=course.id, completed_at=at("2024-05-01")),
                certificate(user_id, certification, expires=valid()),
                assignment(tasks[0], pool, user_id, review_state="approved"),
            )
        statements = []
        for address in (url, csv_url):
            assert client.get(address).status_code == 200
            with count_queries() as queries:
                assert client.get(address).status_code == 200
            statements.append(len(queries))
        sizes.append(statements)
    assert sizes[0] == sizes[1]


def sqlite_plan(statement) -> list[str]:
    """How SQLite runs `statement` on a database it has no statistics of (nobody has run ANALYZE
    on it, as on most SQLite sites): an empty copy of the schema, whatever the suite runs on."""
    engine = create_engine("sqlite://")
    db.metadata.create_all(engine)

    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def explain(_connection, _cursor, sql, parameters, _context, _many):
        return "EXPLAIN QUERY PLAN " + sql, parameters

    try:
        with engine.connect() as connection:
            return [row[3] for row in connection.execute(statement).cursor.fetchall()]
    finally:
        engine.dispose()


def test_sqlite_looks_each_learner_up_rather_than_reading_a_whole_set_for_each(app, journey):
    """Each per-learner set is joined by an index (SQLite's automatic one), never read in full
    once for every learner: that took 37 s instead of 0.5 s at 100,000 learners with a period
    and a country chosen, when SQLite took the learners to be ten."""
    filters = Filters(start=date(2024, 1, 1), end=date(2024, 12, 31), country="KE")
    with app.test_request_context("/"):
        scope = Scope(None, True)
        statement = funnel._Query(filters, scope, Reach.of(filters, scope, visible_courses(scope))).statement()
    plan = sqlite_plan(statement)
    joins = [line for line in plan if "LEFT-JOIN" in line]
    assert joins and all(line.startswith("SEARCH") for line in joins), plan
    assert [line for line in plan if line.startswith("SCAN learners")] == ["SCAN learners"], plan


def test_work_in_a_pool_requiring_two_certifications_counts_for_both(app, make):
    """Most pools require one certification and their work is read per pool; a pool requiring
    two is joined to both, and a worker who holds both counts in each row, once in the funnel."""
    course = make.course(modules=1, lessons_per_module=1)
    first = make.certification(course, slug="first", name="First")
    second = make.certification(course, slug="second", name="Second")
    both = make.pool(slug="both", required_certifications=["first", "second"])
    task = make.tasks(both, 1)[0]
    worker = learner(app)
    add(
        app,
        enrolment(worker, course, at("2024-05-01")),
        certificate(worker, first, expires=valid()),
        certificate(worker, second, expires=valid()),
        assignment(task, both, worker, review_state="approved"),
    )
    add(app, entry(worker, 500, pool=both, line=payout_line(app, worker, "paid")))
    found = figures(app)
    assert found["by-certification"] == {"First": (1, 1, 1, 1), "Second": (1, 1, 1, 1)}
    assert found["steps"] == steps(1, 1, 1, 1, 1, 1, 1)
