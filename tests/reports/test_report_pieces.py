"""The pieces every report uses: SQL medians and dates on the suite's database, the "<5" rule,
CSV cells, and filters read from the URL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import DateTime, Integer, literal, select, union_all
from werkzeug.datastructures import MultiDict

from samaschool.extensions import db
from samaschool.permissions import Role
from samaschool.reports.filters import Scope, read_filters
from samaschool.reports.sql import age_band, days_between, median_by, median_of, period_start
from samaschool.reports.tables import Column, Table, cell_text, csv_cell


def _values(pairs):
    return select(
        union_all(*[select(literal(g).label("g"), literal(v, Integer).label("value")) for g, v in pairs]).subquery()
    )


def test_medians_are_computed_in_sql_for_odd_and_even_groups(app):
    values = _values([("a", 1), ("a", 3), ("a", 10), ("b", 2), ("b", 4), ("c", None), ("c", 5), ("d", 7)])
    with app.app_context():
        by_group = dict(db.session.execute(median_by(values, ["g"])).all())
        overall = db.session.execute(median_of(values)).scalar()
    assert by_group == {"a": 3, "b": 3, "c": 5, "d": 7}  # NULLs are left out
    assert overall == 4  # 1 2 3 4 5 7 10: the fourth of seven


def test_days_and_calendar_buckets_read_the_same_on_both_databases(app):
    later = literal(datetime(2026, 12, 3, 15, 0, tzinfo=UTC), DateTime(timezone=True))
    earlier = literal(datetime(2026, 11, 30, 3, 0, tzinfo=UTC), DateTime(timezone=True))
    with app.app_context():
        row = db.session.execute(
            select(days_between(later, earlier), period_start(later, "week"), period_start(later, "month"))
        ).one()
        bands = db.session.execute(
            select(age_band(literal(2002), 2026), age_band(literal(2001), 2026), age_band(literal(1990), 2026))
        ).one()
    assert (round(row[0], 3), row[1], row[2]) == (3.5, "2026-11-30", "2026-12-01")
    assert tuple(bands) == ("under_25", "25_35", "over_35")


def test_groups_under_five_people_and_their_shares_are_shown_as_less_than_five(app):
    people, share = Column("n", "Learners", "people"), Column("p", "Certified", "percent", base="n")
    things = Column("t", "Tasks", "count")
    table = Table(
        "t",
        "T",
        [Column("k", "Country"), people, share, things],
        [
            {"k": "KE", "n": 4, "p": 50.0, "t": 3},
            {"k": "UG", "n": 12, "p": 25.0, "t": 2},
            {"k": "IN", "n": 0, "p": None, "t": 0},
        ],
    )
    with app.test_request_context("/"):
        cells = [[cell_text(row, column) for column in table.columns] for row in table.rows]
        csv = [[csv_cell(row, column) for column in table.columns] for row in table.rows]
    assert cells == [["KE", "<5", "<5", "3"], ["UG", "12", "25%", "2"], ["IN", "0", "—", "0"]]
    assert csv == [["KE", "<5", "<5", "3"], ["UG", "12", "25", "2"], ["IN", "0", "", "0"]]
    assert [label for label, _value in Table("t", "T", table.columns, table.rows, chart=None).chart_points] == []


def test_filters_come_from_the_url_and_unusable_values_are_named_not_guessed(app, make):
    course = make.course(title="Data Annotation Essentials")
    admin = make.user(Role.ADMIN)
    args = MultiDict({"start": "2026-01-01", "end": "2026-03-31", "course": course.slug, "country": "KE"})
    with app.test_request_context("/reports/"):
        user = db.session.get(type(admin), admin.id)
        filters, _form, problems = read_filters(args, Scope.of(user))
        assert problems == []
        assert (filters.start, filters.end, filters.course.slug, filters.country) == (
            date(2026, 1, 1),
            date(2026, 3, 31),
            course.slug,
            "KE",
        )
        assert filters.args() == {"start": "2026-01-01", "end": "2026-03-31", "course": course.slug, "country": "KE"}
        bad, _form, problems = read_filters(
            MultiDict({"start": "2026-05-01", "end": "2026-04-01", "course": "no-such-course"}), Scope.of(user)
        )
    assert bad.start is None and bad.end is None and bad.course is None
    assert any("ends before it starts" in p for p in problems) and any("no-such-course" in p for p in problems)


def test_a_trainer_can_filter_only_by_their_own_courses(app, make):
    mine, theirs = make.course(title="Mine"), make.course(title="Theirs")
    trainer = make.user(Role.TRAINER)
    make.staff(mine, trainer)
    with app.test_request_context("/reports/"):
        user = db.session.get(type(trainer), trainer.id)
        filters, form, problems = read_filters(MultiDict({"course": theirs.slug}), Scope.of(user))
        choices = [value for value, _label in form.course.choices]
    assert filters.course is None and problems and choices == ["", mine.slug]


def test_a_date_far_outside_the_platform_s_life_is_left_out_with_a_message(app, client, auth, make):
    admin = make.user(Role.ADMIN)
    auth.login(admin.email)
    response = client.get("/reports/cohorts?end=9999-12-31&start=1066-10-14")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count("give a date from 2000 to 2100") == 2
