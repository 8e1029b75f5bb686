"""Paid work statistics, each figure checked on small hand-built data where the answer is known:
tasks done per day, workers active, the gold accuracy distribution, suspensions, review
turnaround, and earnings paid and owed per currency; the filters, a trainer's scope, the "<5"
rule, the CSV against the page, and a fixed number of queries.

The exact figures are read from the report's builder (small groups are exact there); what a
reader sees, "<5" included, from the page and the CSV."""

from __future__ import annotations

import csv
import html
import io
import itertools
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from samaschool.auth.models import User
from samaschool.catalog.models import Enrolment
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.permissions import Role
from samaschool.pools.models import Assignment, EarningEntry, PayoutBatch, PayoutLine, Suspension
from samaschool.pools.money import money
from samaschool.reports import pools as report
from samaschool.reports.filters import Filters, Scope
from samaschool.studio.models import CourseStaff

_numbers = itertools.count(1)
WEEK = "?start=2026-03-02&end=2026-03-08"  # Monday to Sunday


def add(app, *rows) -> list[int]:
    with app.app_context():
        db.session.add_all(rows)
        db.session.commit()
        return [row.id for row in rows]


def at(day: str, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, second=second, tzinfo=UTC)


def worker(app, country: str = "KE") -> int:
    n = next(_numbers)
    user = User(email=f"pool-worker-{n}@example.org", name=f"Worker {n}", password_hash="x", country=country)
    return add(app, user)[0]


class Answers:
    """Submitted answers in a pool, each on a task of its own for its worker."""

    def __init__(self, app, make, pool, tasks: int = 30):
        self.app, self.pool = app, pool
        self.tasks = make.tasks(pool, tasks)
        self.used: dict[int, int] = {}

    def add(self, worker_id: int, when: datetime, count: int = 1, *, gold: int = 0, correct: int = 0, **fields):
        """`count` answers at `when` (a minute apart), the first `gold` of them gold, the first
        `correct` of those right. Returns their ids."""
        rows = []
        for i in range(count):
            index = self.used.get(worker_id, 0)
            self.used[worker_id] = index + 1
            submitted = when + timedelta(minutes=i)
            state = fields.get("state", "submitted")
            rows.append(
                Assignment(
                    task_id=self.tasks[index],
                    pool_id=self.pool.id,
                    worker_id=worker_id,
                    state=state,
                    claimed_at=submitted - timedelta(minutes=5),
                    lease_expires_at=submitted + timedelta(minutes=25),
                    submitted_at=submitted if state == "submitted" else None,
                    answer="Electronics > Mobile phones",
                    is_gold=i < gold,
                    gold_correct=(i < correct) if i < gold else None,
                    review_state=fields.get("review_state", "pending"),
                    reviewed_at=fields.get("reviewed_at"),
                )
            )
        return add(self.app, *rows)


def review(app, assignment_id: int, hours: float, state: str = "approved"):
    with app.app_context():
        row = db.session.get(Assignment, assignment_id)
        row.review_state, row.reviewed_at = state, row.submitted_at + timedelta(hours=hours)
        db.session.commit()


@pytest.fixture
def paid_work(app, make):
    """Three pools: Alpha (needs certification A, which names course A; KES), Beta (certification
    B, course B; UGX) and Gamma (no certification). The week of 2 March 2026:

    Alpha: k1…k5 give 20 gold answers each, right 19 (95%), 17 (85%), 14 (70%), 10 (50%), 9 (45%);
    k6 4 gold (too few to be graded) and 1 other; u1 (Uganda) 2 answers, on the first and last
    moment of the week. Outside: k1 a moment before and after the week; a claim and an expired
    claim, never submitted. 107 answers by 7 workers.
    Beta: k1 5 gold, all right; k7 3 answers. Gamma: k6 1 answer."""
    course_a = make.course("course-a", title="Course A", modules=1, lessons_per_module=1)
    course_b = make.course("course-b", title="Course B", modules=1, lessons_per_module=1)
    cert_a = make.certification(course_a, slug="cert-a", name="Certification A")
    cert_b = make.certification(course_b, slug="cert-b", name="Certification B")
    alpha = make.pool(certification=cert_a, name="Alpha labels", currency="KES")
    beta = make.pool(certification=cert_b, name="Beta boxes", currency="UGX")
    gamma = make.pool(name="Gamma voice", currency="KES")
    k = {n: worker(app) for n in range(1, 8)}
    u1 = worker(app, "UG")

    a = Answers(app, make, alpha)
    monday = at("2026-03-02", 8)
    firsts = {}
    for n, right in zip(range(1, 6), (19, 17, 14, 10, 9), strict=True):
        firsts[n] = a.add(k[n], monday + timedelta(hours=n), 20, gold=20, correct=right)
    a.add(k[6], at("2026-03-04"), 5, gold=4, correct=4)
    a.add(u1, at("2026-03-02", 0))
    a.add(u1, at("2026-03-08", 23, 59, 59))
    a.add(k[1], at("2026-03-01", 23, 59, 59))
    a.add(k[1], at("2026-03-09", 0))
    a.add(k[2], at("2026-03-03"), state="claimed")
    a.add(k[3], at("2026-03-03"), state="expired")
    b = Answers(app, make, beta)
    beta_k1 = b.add(k[1], at("2026-03-05"), 5, gold=5, correct=5)
    b.add(k[7], at("2026-03-05", 14), 3)
    Answers(app, make, gamma).add(k[6], at("2026-03-05", 16))

    # Decisions in the week: Alpha after 1, 2, 3 and 10 hours (median 2.5), Beta after 5.
    for assignment_id, hours in zip(firsts[1][:4], (1, 2, 3, 10), strict=True):
        review(app, assignment_id, hours)
    review(app, beta_k1[0], 5, "rejected")
    review(app, firsts[2][0], 24 * 8)  # decided after the week: not counted in it

    now = utcnow()

    def suspension(pool, worker_id, started, ends, lifted=None):
        return Suspension(
            pool_id=pool.id,
            worker_id=worker_id,
            started_at=started,
            ends_at=ends,
            reason="low accuracy",
            lifted_at=lifted,
        )

    add(
        app,
        suspension(alpha, k[5], at("2026-03-05"), at("2026-03-12")),
        suspension(alpha, k[5], at("2026-03-06"), at("2026-03-13"), lifted=at("2026-03-07")),  # the same worker
        suspension(alpha, k[4], at("2026-03-03"), at("2026-03-10"), lifted=at("2026-03-04")),
        suspension(alpha, k[1], at("2026-02-20"), at("2026-02-27")),  # before the week, over
        suspension(alpha, k[3], now - timedelta(days=1), now + timedelta(days=6)),  # now
        suspension(beta, k[7], now - timedelta(hours=1), now + timedelta(days=7)),  # now
        suspension(beta, k[7], now - timedelta(days=3), now - timedelta(days=1)),  # over
    )

    # Money: a KES batch with k1's line paid and k2's still being paid.
    (batch,) = add(app, PayoutBatch(currency="KES", threshold_minor=100))
    paid_line, pending_line = add(
        app,
        PayoutLine(batch_id=batch, worker_id=k[1], currency="KES", amount_minor=1500, reference="R-1", state="paid"),
        PayoutLine(batch_id=batch, worker_id=k[2], currency="KES", amount_minor=700, reference="R-2"),
    )

    def entry(worker_id, amount, when, pool=None, line=None, kind="approval", currency="KES"):
        return EarningEntry(
            worker_id=worker_id,
            pool_id=pool.id if pool else None,
            kind=kind,
            amount_minor=amount,
            currency=currency,
            created_at=when,
            payout_line_id=line,
        )

    add(
        app,
        entry(k[1], 500, at("2026-03-03"), alpha, paid_line),
        entry(k[2], 700, at("2026-03-04"), alpha, pending_line),
        entry(k[3], 300, at("2026-03-04"), alpha),
        entry(k[3], -300, at("2026-03-06"), alpha, kind="reversal"),
        entry(u1, 100, at("2026-03-08", 23), alpha),
        entry(k[1], 900, at("2026-03-09", 1), alpha),  # after the week
        entry(k[1], 1000, at("2026-03-07"), None, paid_line, kind="bonus"),
        entry(k[7], 2000, at("2026-03-06"), beta, currency="UGX"),
    )
    # k1 and k2 learn in course A: a trainer of course A counts them alone.
    add(app, Enrolment(user_id=k[1], course_id=course_a.id), Enrolment(user_id=k[2], course_id=course_a.id))
    return {
        "courses": (course_a, course_b),
        "certifications": (cert_a, cert_b),
        "pools": (alpha, beta, gamma),
        "k": k,
        "u1": u1,
    }


def built(app, filters: Filters, scope: Scope | None = None) -> dict[str, dict[str, dict]]:
    """The report's tables as {slug: {first cell: row}} with the exact (unsuppressed) figures."""
    with app.test_request_context("/"):
        result = report.build(filters, scope or Scope(None, True))
        return {table.slug: {str(next(iter(row.values()))): row for row in table.rows} for table in result.tables}


def hours(row: dict) -> float | None:
    """The median review time, to the second (time differences are floats in SQL)."""
    return None if row["review_hours"] is None else round(row["review_hours"], 4)


def kes(amount: int, app) -> str:
    with app.test_request_context("/"):
        return money(amount, "KES")


WEEK_FILTERS = Filters(start=date(2026, 3, 2), end=date(2026, 3, 8))


# Who may see it -------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/reports/pools", "/reports/pools/pools.csv"])
def test_anonymous_visitors_log_in_first_and_learners_are_refused(client, make, auth, url):
    response = client.get(url)
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    auth.login(make.user().email)
    assert client.get(url).status_code == 403
    auth.logout()
    auth.login(make.user(Role.TRAINER).email)  # trainers and admins read it
    assert client.get(url).status_code == 200


# Each figure ----------------------------------------------------------------------------------------


def test_tasks_done_per_day_fill_the_quiet_days_and_keep_to_the_week(app, paid_work):
    tasks = built(app, WEEK_FILTERS)["tasks"]
    assert {day: row["tasks"] for day, row in tasks.items()} == {
        "2026-03-02": 101,  # 100 gold answers and u1 at midnight
        "2026-03-03": 0,
        "2026-03-04": 5,
        "2026-03-05": 9,  # Beta 5 + 3, Gamma 1
        "2026-03-06": 0,
        "2026-03-07": 0,
        "2026-03-08": 1,  # u1 at 23:59:59
    }


def test_long_periods_count_per_week_and_per_month_and_no_period_spans_the_data(app, paid_work):
    weeks = built(app, Filters(start=date(2025, 6, 1), end=date(2026, 5, 31)))["tasks"]  # 365 days
    assert list(weeks)[:: len(weeks) - 1] == ["2025-05-26", "2026-05-25"] and len(weeks) == 53
    assert weeks["2026-03-02"]["tasks"] == 116 and weeks["2026-02-23"]["tasks"] == 1  # Sunday 1 March
    assert weeks["2026-03-09"]["tasks"] == 1 and sum(row["tasks"] for row in weeks.values()) == 118
    months = built(app, Filters(start=date(2025, 1, 1), end=date(2026, 5, 31)))["tasks"]
    assert (
        min(months) == "2025-01"
        and max(months) == "2026-05"
        and len(months) == 17
        and months["2026-03"]["tasks"] == 118
    )
    everything = built(app, Filters())
    assert list(everything["tasks"]) == [f"2026-03-{day:02d}" for day in range(1, 10)]
    assert everything["pools"]["Alpha labels"]["per_day"] == pytest.approx(109 / 9)


def test_per_pool_tasks_workers_review_time_and_suspensions(app, paid_work):
    pools = built(app, WEEK_FILTERS)["pools"]
    figures = {
        name: (row["tasks"], round(row["per_day"], 2), row["workers"], hours(row), row["suspended"])
        for name, row in pools.items()
    }
    assert figures == {
        "Alpha labels": (107, 15.29, 7, 2.5, 2),  # k4 and k5 (twice: one worker) suspended in the week
        "Beta boxes": (8, 1.14, 2, 5.0, 0),
        "Gamma voice": (1, 0.14, 1, None, 0),
        "All pools": (116, 16.57, 8, 3.0, 2),  # k1 works in two pools: one worker
    }
    assert {name: row["suspended_now"] for name, row in pools.items()} == {
        "Alpha labels": 1,
        "Beta boxes": 1,
        "Gamma voice": 0,
        "All pools": 2,
    }
    # Without a period every suspension counts as started, and every decision.
    everything = built(app, Filters())["pools"]
    assert everything["Alpha labels"]["suspended"] == 4 and everything["Beta boxes"]["suspended"] == 1
    assert hours(everything["Alpha labels"]) == 3.0  # 1 2 3 10 192


def test_gold_accuracy_buckets_workers_with_five_gold_answers(app, paid_work):
    tables = built(app, WEEK_FILTERS)
    by_pool = tables["accuracy-by-pool"]
    buckets = ("workers", "b0", "b50", "b70", "b85", "b95")
    assert {name: tuple(row[key] for key in buckets) for name, row in by_pool.items()} == {
        "Alpha labels": (5, 1, 1, 1, 1, 1),  # 45% 50% 70% 85% 95%: each bound is the start of its bucket
        "Beta boxes": (1, 0, 0, 0, 0, 1),
        "Gamma voice": (0, 0, 0, 0, 0, 0),
    }
    # Over every pool a worker counts once: k1 is 24 right of 25 (96%).
    overall = tables["accuracy"]
    assert [(row["workers"], row["share"]) for row in overall.values()] == [(1, 20.0)] * 5
    assert list(overall) == ["Under 50%", "50–70%", "70–85%", "85–95%", "95% and above"]


def test_earnings_paid_and_owed_per_pool_and_currency(app, paid_work):
    tables = built(app, WEEK_FILTERS)
    earnings = {
        name: (row["currency"], row["earned"], row["paid"], row["owed"]) for name, row in tables["earnings"].items()
    }
    with app.test_request_context("/"):
        assert earnings == {
            # 500 paid, 700 in a payout being paid, 300 reversed, 100 not yet in a payout
            "Alpha labels": ("KES", money(1300, "KES"), money(500, "KES"), money(800, "KES")),
            "Beta boxes": ("UGX", money(2000, "UGX"), money(0, "UGX"), money(2000, "UGX")),
            "Bonuses (not from a pool)": ("KES", money(1000, "KES"), money(1000, "KES"), money(0, "KES")),
        }
        totals = {
            currency: (row["earned"], row["paid"], row["owed"])
            for currency, row in tables["earnings-by-currency"].items()
        }
        assert totals == {
            "KES": (money(2300, "KES"), money(1500, "KES"), money(800, "KES")),
            "UGX": (money(2000, "UGX"), money(0, "UGX"), money(2000, "UGX")),
        }


# Filters ----------------------------------------------------------------------------------------------


def test_the_country_filter_counts_that_countrys_workers(app, paid_work):
    tables = built(app, Filters(start=date(2026, 3, 2), end=date(2026, 3, 8), country="UG"))
    pools = tables["pools"]
    assert (pools["Alpha labels"]["tasks"], pools["Alpha labels"]["workers"]) == (2, 1)
    assert (pools["Beta boxes"]["tasks"], pools["All pools"]["tasks"], pools["All pools"]["workers"]) == (0, 2, 1)
    assert {day: row["tasks"] for day, row in tables["tasks"].items() if row["tasks"]} == {
        "2026-03-02": 1,
        "2026-03-08": 1,
    }
    assert tables["accuracy"] == {} and pools["Alpha labels"]["suspended"] == 0
    assert list(tables["earnings"]) == ["Alpha labels"]  # u1's 100; the bonus was k1's
    assert tables["earnings"]["Alpha labels"]["owed"] == kes(100, app)


def test_certification_and_course_filters_choose_pools(app, paid_work):
    course_a, cert_b = paid_work["courses"][0], paid_work["certifications"][1]
    only_b = built(app, Filters(start=date(2026, 3, 2), end=date(2026, 3, 8), certification=cert_b))
    assert list(only_b["pools"]) == ["Beta boxes"] and list(only_b["accuracy-by-pool"]) == ["Beta boxes"]
    assert only_b["pools"]["Beta boxes"]["tasks"] == 8 and sum(r["tasks"] for r in only_b["tasks"].values()) == 8
    assert list(only_b["earnings"]) == ["Beta boxes"]  # bonuses belong to no pool: left out
    only_a = built(app, Filters(start=date(2026, 3, 2), end=date(2026, 3, 8), course=course_a))
    assert list(only_a["pools"]) == ["Alpha labels"] and list(only_a["earnings-by-currency"]) == ["KES"]
    assert only_a["earnings-by-currency"]["KES"]["earned"] == kes(1300, app)
    # Accuracy over the pools shown only: k1 is 19 of 20 in Alpha.
    assert [row["workers"] for row in only_a["accuracy"].values()] == [1, 1, 1, 1, 1]


def test_a_trainer_sees_the_pools_of_their_courses_counting_their_learners(app, make, paid_work):
    trainer = make.user(Role.TRAINER)
    make.staff(paid_work["courses"][0], trainer)
    with app.app_context():
        scope = Scope(select(CourseStaff.course_id).where(CourseStaff.user_id == trainer.id), False)
    tables = built(app, WEEK_FILTERS, scope)
    assert list(tables["pools"]) == ["Alpha labels"]  # no Beta (course B), no Gamma (no certification)
    alpha = tables["pools"]["Alpha labels"]
    assert (alpha["tasks"], alpha["workers"], hours(alpha), alpha["suspended"]) == (40, 2, 2.5, 0)
    assert sum(row["tasks"] for row in tables["tasks"].values()) == 40
    assert (
        tables["accuracy-by-pool"]["Alpha labels"]["b95"] == 1
        and tables["accuracy-by-pool"]["Alpha labels"]["b85"] == 1
    )
    earnings = tables["earnings"]
    assert list(earnings) == ["Alpha labels"] and earnings["Alpha labels"]["paid"] == kes(500, app)
    assert earnings["Alpha labels"]["owed"] == kes(700, app)


# What readers see ---------------------------------------------------------------------------------------


def login(app, user):
    client = app.test_client()
    response = client.submit("/account/login", {"email": user.email, "password": "correct horse battery staple"})
    assert response.status_code == 302
    return client


def csv_rows(client, url: str) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/csv", url
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def page_tables(text: str) -> dict[str, list[list[str]]]:
    found = {}
    sections = re.findall(r'<section class="report-table" aria-labelledby="t-([^"]+)">(.*?)</section>', text, re.S)
    for slug, body in sections:
        rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
        cells = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S) for row in rows]
        if cells:  # a table with nothing to show says so instead
            found[slug] = [[html.unescape(cell).strip() for cell in row] for row in cells]
    return found


def as_csv(cell: str) -> str:
    """A page cell as the CSV writes it: no grouping, no percent sign, "" for "—"."""
    if cell == "—":
        return ""
    if re.fullmatch(r"[\d,.]+%?", cell):
        return cell.replace(",", "").rstrip("%")
    return cell


def test_small_groups_of_workers_show_as_less_than_five_on_the_page_and_in_the_csv(app, make, paid_work):
    client = login(app, make.user(Role.ADMIN))
    text = client.get(f"/reports/pools{WEEK}").get_data(as_text=True)
    shown = page_tables(text)
    pools = {row[0]: row for row in shown["pools"][1:]}
    header = shown["pools"][0]
    workers = header.index("Workers active")
    assert (pools["Alpha labels"][workers], pools["Beta boxes"][workers], pools["All pools"][workers]) == (
        "7",
        "<5",
        "8",
    )
    assert pools["Alpha labels"][header.index("Tasks done")] == "107"  # tasks are things, never hidden
    assert pools["Beta boxes"][header.index("Tasks done")] == "8"
    # Every accuracy bucket holds one worker: each, and its share, shown as "<5", and none charted.
    assert [row[1:] for row in shown["accuracy"][1:]] == [["<5", "<5"]] * 5
    assert 'aria-labelledby="c-accuracy-title"' not in text and 'aria-labelledby="c-tasks-title"' in text
    downloaded = csv_rows(client, f"/reports/pools/pools.csv{WEEK}")
    assert downloaded[0][:4] == ["Pool", "Tasks done", "Tasks per day", "Workers active"]
    assert [row[:4] for row in downloaded[1:]] == [
        ["Alpha labels", "107", "15.3", "7"],
        ["Beta boxes", "8", "1.1", "<5"],
        ["Gamma voice", "1", "0.1", "<5"],
        ["All pools", "116", "16.6", "8"],
    ]


def test_every_csv_holds_what_its_table_shows(app, make, paid_work):
    client = login(app, make.user(Role.ADMIN))
    for query in (WEEK, "", "?country=UG&certification=cert-a"):
        shown = page_tables(client.get(f"/reports/pools{query}").get_data(as_text=True))
        assert set(shown) == {"tasks", "pools", "accuracy", "accuracy-by-pool", "earnings", "earnings-by-currency"} - (
            {"accuracy"} if query.startswith("?country") else set()
        )
        for slug, rows in shown.items():
            downloaded = csv_rows(client, f"/reports/pools/{slug}.csv{query}")
            assert downloaded[0] == rows[0], slug
            assert downloaded[1:] == [[as_csv(cell) for cell in row] for row in rows[1:]], (slug, query)


def test_a_trainer_reads_only_their_pools_on_the_page(app, make, paid_work):
    trainer = make.user(Role.TRAINER)
    make.staff(paid_work["courses"][0], trainer)
    client = login(app, trainer)
    text = client.get(f"/reports/pools{WEEK}").get_data(as_text=True)
    assert "Alpha labels" in text and "Beta boxes" not in text and "Gamma voice" not in text
    rows = csv_rows(client, f"/reports/pools/pools.csv{WEEK}")
    assert [row[:4] for row in rows[1:]] == [["Alpha labels", "40", "5.7", "<5"]]
    assert "Bonuses" not in client.get(f"/reports/pools/earnings.csv{WEEK}").get_data(as_text=True)


def test_the_page_runs_a_fixed_number_of_queries(app, make, count_queries):
    admin = make.user(Role.ADMIN)
    client = login(app, admin)
    course = make.course(modules=1, lessons_per_module=1)
    counts = []
    for size in (1, 4):
        for _ in range(size if not counts else size - 1):
            certification = make.certification(course)
            pool = make.pool(certification=certification, currency="KES" if size == 1 else "UGX")
            answers = Answers(app, make, pool, tasks=6)
            for _n in range(size):
                worker_id = worker(app)
                ids = answers.add(worker_id, at("2026-03-03"), 6, gold=5, correct=4)
                review(app, ids[0], 2)
                add(
                    app,
                    EarningEntry(worker_id=worker_id, pool_id=pool.id, kind="approval", amount_minor=5, currency="KES"),
                    Suspension(pool_id=pool.id, worker_id=worker_id, ends_at=utcnow() + timedelta(days=1), reason="x"),
                )
        for query in ("", WEEK + "&country=KE&course=" + course.slug):
            assert client.get(f"/reports/pools{query}").status_code == 200
            with count_queries() as queries:
                response = client.get(f"/reports/pools{query}")
            assert response.status_code == 200
            counts.append(len(queries))
    assert counts[:2] == counts[2:], counts


def test_a_period_running_into_the_future_ends_today(app, make):
    pool = make.pool()
    today = utcnow().date()
    Answers(app, make, pool).add(worker(app), utcnow() - timedelta(minutes=10), 3)
    tables = built(app, Filters(start=today - timedelta(days=2), end=today + timedelta(days=30)))
    assert list(tables["tasks"]) == [(today - timedelta(days=n)).isoformat() for n in (2, 1, 0)]
    assert tables["pools"][pool.name]["per_day"] == 1.0  # three tasks in three days, not in 33


def test_a_trainer_whose_courses_open_no_pool_sees_none(app, make, paid_work):
    trainer = make.user(Role.TRAINER)
    make.teaching(trainer)  # a course no certification names
    text = login(app, trainer).get(f"/reports/pools{WEEK}").get_data(as_text=True)
    assert "No pool matches these filters." in text and "No tasks were done in this period." in text
    assert "Alpha labels" not in text and "Nothing was earned in this period." in text
