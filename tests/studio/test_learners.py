"""A course's learners in the studio: progress, last activity, quiz results, where they stop, CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from samaschool.assessments.models import Attempt, Quiz
from samaschool.auth.models import User
from samaschool.catalog.models import Enrolment, Lesson, Module
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.learning.models import LessonProgress
from samaschool.learning.services import course_progress_for
from samaschool.permissions import Role
from samaschool.studio.people import PER_PAGE
from tests.factories import PASSWORD
from tests.test_query_budgets import assert_fixed_budget, grower

NOW = utcnow().replace(microsecond=0)


def client_for(app, user):
    client = app.test_client()
    if user is not None:
        assert client.submit("/account/login", {"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def small_course(make, owner=None, co_trainers=()):
    """One module of two lessons ("Lesson 1.1", "Lesson 1.2"), its quiz and an exam: 4 steps."""
    course = make.course(modules=1, lessons_per_module=2)
    make.quiz(course, module=1, title="Check the basics")
    make.quiz(course, module=None, key="exam", title="Final exam")
    if owner is not None:
        make.staff(course, owner, "owner")
    for trainer in co_trainers:
        make.staff(course, trainer, "co_trainer")
    return course


class Ids:
    """The course's lesson ids in order, its module quiz's and its exam's."""

    def __init__(self, app, course):
        with app.app_context():
            self.lessons = list(
                db.session.scalars(
                    select(Lesson.id)
                    .join(Module, Module.id == Lesson.module_id)
                    .where(Lesson.course_id == course.id)
                    .order_by(Module.position, Lesson.position)
                )
            )
            quizzes = db.session.scalars(select(Quiz).where(Quiz.course_id == course.id))
            by_kind = {quiz.module_id is None: quiz.id for quiz in quizzes}
        self.module_quiz, self.exam = by_kind[False], by_kind[True]


def learner(app, course, name, *, email=None, lessons=(), attempts=(), days_ago=10, hash_from=None):
    """An enrolled learner who completed `lessons` (ids) and made `attempts` ((quiz id, percent,
    passed) each), all `days_ago` days ago or later. `hash_from` copies a password hash instead
    of making a new one (fast, for many learners)."""
    with app.app_context():
        if hash_from is None:
            from samaschool.auth.passwords import hash_password

            password_hash = hash_password(PASSWORD)
        else:
            password_hash = hash_from
        user = User(
            email=email or f"{name.lower().replace(' ', '.').replace('=', '')}@example.org",
            name=name,
            password_hash=password_hash,
            role=Role.LEARNER,
            country="KE",
        )
        db.session.add(user)
        db.session.flush()
        start = NOW - timedelta(days=days_ago)
        db.session.add(Enrolment(user_id=user.id, course_id=course.id, enrolled_at=start))
        for i, lesson_id in enumerate(lessons, start=1):
            db.session.add(
                LessonProgress(user_id=user.id, lesson_id=lesson_id, completed_at=start + timedelta(hours=i))
            )
        numbers: dict[int, int] = {}
        for i, (quiz_id, percent, passed) in enumerate(attempts, start=1):
            numbers[quiz_id] = numbers.get(quiz_id, 0) + 1
            db.session.add(
                Attempt(
                    quiz_id=quiz_id,
                    user_id=user.id,
                    number=numbers[quiz_id],
                    state="submitted",
                    started_at=start + timedelta(days=1, hours=i),
                    submitted_at=start + timedelta(days=1, hours=i, minutes=5),
                    score_percent=percent,
                    passed=passed,
                )
            )
        db.session.commit()
        return user.id


@pytest.fixture
def known(app, make):
    """Five learners of a course with two lessons, a module quiz and an exam (4 steps):

    Amina   first lesson                                  25%  stopped after the first lesson
    Baraka  first lesson, exam failed (30%)               25%  stopped after the first lesson
    Chebet  both lessons, module quiz 40% then 80%        75%  stopped after the second lesson
    Daudi   everything, both quizzes passed              100%  finished
    Esther  nothing                                        0%  has not completed a lesson
    """
    owner, co = make.user(Role.TRAINER, name="Olga Owner"), make.user(Role.TRAINER, name="Cora Co")
    course = small_course(make, owner=owner, co_trainers=[co])
    ids = Ids(app, course)
    first, second = ids.lessons
    people = {
        "amina": learner(app, course, "Amina Wanjiru", lessons=[first], days_ago=5),
        "baraka": learner(
            app, course, "Baraka Otieno", lessons=[first], attempts=[(ids.exam, 30.0, False)], days_ago=9
        ),
        "chebet": learner(
            app,
            course,
            "Chebet Kiprop",
            lessons=[first, second],
            attempts=[(ids.module_quiz, 40.0, False), (ids.module_quiz, 80.0, True)],
            days_ago=3,
        ),
        "daudi": learner(
            app,
            course,
            "Daudi Mwangi",
            lessons=[first, second],
            attempts=[(ids.module_quiz, 100.0, True), (ids.exam, 66.67, True)],
            days_ago=20,
        ),
        "esther": learner(app, course, "Esther Njeri", days_ago=1),
    }
    return owner, co, course, ids, people


def rows_of(page: str) -> list[str]:
    body = page[page.index("<h2>Every learner</h2>") :]
    return body.split("<tr>")[2:]


def test_learners_page_figures_on_a_known_data_set(app, known):
    owner, _co, course, _ids, _people = known
    response = client_for(app, owner).get(f"/studio/{course.slug}/learners")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # The summary, and the lesson with the most drop-off named in a sentence.
    assert "<dt>Enrolled</dt><dd>5</dd>" in page
    assert "<dt>Finished</dt><dd>1</dd>" in page and "<dt>Not finished</dt><dd>4</dd>" in page
    assert "Most drop-off: 2 of the 4 learners who have not finished stopped after “Lesson 1.1”." in page
    table = page[page.index("<h2>Where learners stop</h2>") : page.index("<h2>Every learner</h2>")]
    assert ">None yet</td><td>1</td>" in table
    assert ">Lesson 1.1</td><td>2</td>" in table and ">Lesson 1.2</td><td>1</td>" in table
    # Sorted by name: each learner's progress and quiz results.
    rows = rows_of(page)
    assert [row.split("<td>")[1].split("<")[0] for row in rows] == [
        "Amina Wanjiru",
        "Baraka Otieno",
        "Chebet Kiprop",
        "Daudi Mwangi",
        "Esther Njeri",
    ]
    amina, baraka, chebet, daudi, esther = rows
    assert ">25%</td>" in amina and ">25%</td>" in baraka and ">75%</td>" in chebet
    assert ">100%</td>" in daudi and ">0%</td>" in esther
    assert "30% · not passed" in baraka
    assert "80% · passed" in chebet  # the best of two attempts
    assert "100% · passed" in daudi and "67% · passed" in daudi
    assert esther.count("—") == 2


def test_percent_complete_is_the_learners_dashboard_figure(app, known, make):
    owner, _co, course, ids, people = known
    # Archiving the exam takes it out of both figures alike.
    with app.app_context():
        db.session.get(Quiz, ids.exam).archived_at = NOW
        db.session.commit()
        expected = {name: course_progress_for(user_id, course.id).percent for name, user_id in people.items()}
    assert expected == {"amina": 33, "baraka": 33, "chebet": 100, "daudi": 100, "esther": 0}
    page = client_for(app, owner).get(f"/studio/{course.slug}/learners").get_data(as_text=True)
    shown = [row.split('data-label="Complete">')[1].split("%")[0] for row in rows_of(page)]
    assert shown == ["33", "33", "100", "100", "0"]
    assert "<dt>Finished</dt><dd>2</dd>" in page


@pytest.mark.parametrize(
    ("query", "order"),
    [
        ("sort=progress&order=desc", ["Daudi", "Chebet", "Amina", "Baraka", "Esther"]),
        ("sort=progress&order=asc", ["Esther", "Amina", "Baraka", "Chebet", "Daudi"]),
        ("sort=activity&order=desc", ["Esther", "Chebet", "Amina", "Baraka", "Daudi"]),
        ("sort=enrolled&order=asc", ["Daudi", "Baraka", "Amina", "Chebet", "Esther"]),
        ("sort=name&order=desc", ["Esther", "Daudi", "Chebet", "Baraka", "Amina"]),
        ("sort=nonsense", ["Amina", "Baraka", "Chebet", "Daudi", "Esther"]),
    ],
)
def test_learners_sort_by_column(app, known, query, order):
    owner, _co, course, _ids, _people = known
    page = client_for(app, owner).get(f"/studio/{course.slug}/learners?{query}").get_data(as_text=True)
    assert [row.split("<td>")[1].split(" ")[0] for row in rows_of(page)] == order


def test_last_activity_is_the_latest_of_enrolling_lessons_and_attempts(app, known):
    owner, _co, course, _ids, _people = known
    text = client_for(app, owner).get(f"/studio/{course.slug}/learners.csv").get_data(as_text=True)
    rows = {row[0]: row for row in csv.reader(io.StringIO(text))}
    fmt = "%Y-%m-%d %H:%M"
    assert rows["Esther Njeri"][4] == (NOW - timedelta(days=1)).strftime(fmt)  # enrolled, nothing since
    assert rows["Amina Wanjiru"][4] == (NOW - timedelta(days=5, hours=-1)).strftime(fmt)  # a lesson
    assert rows["Baraka Otieno"][4] == (NOW - timedelta(days=8, hours=-1, minutes=-5)).strftime(fmt)  # the exam


def test_pages_of_fifty_and_a_csv_of_everyone(app, make):
    owner = make.user(Role.TRAINER)
    course = small_course(make, owner=owner)
    with app.app_context():
        password_hash = db.session.get(User, owner.id).password_hash
    for i in range(PER_PAGE + 3):
        learner(app, course, f"Learner {i:03d}", hash_from=password_hash)
    client = client_for(app, owner)
    first = client.get(f"/studio/{course.slug}/learners").get_data(as_text=True)
    assert len(rows_of(first)) == PER_PAGE and "Page 1 of 2" in first
    assert f"/studio/{course.slug}/learners?page=2&amp;sort=name&amp;order=asc" in first
    second = client.get(f"/studio/{course.slug}/learners?page=2&sort=name&order=asc").get_data(as_text=True)
    assert [row.split("<td>")[1].split("<")[0] for row in rows_of(second)] == [
        f"Learner {i:03d}" for i in range(PER_PAGE, PER_PAGE + 3)
    ]
    assert client.get(f"/studio/{course.slug}/learners?page=x").status_code == 400
    response = client.get(f"/studio/{course.slug}/learners.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{course.slug}-learners.csv"'
    assert "no-store" in response.headers["Cache-Control"]
    assert len(list(csv.reader(io.StringIO(response.get_data(as_text=True))))) == 1 + PER_PAGE + 3


def test_csv_content(app, known):
    owner, _co, course, _ids, _people = known
    text = (
        client_for(app, owner)
        .get(f"/studio/{course.slug}/learners.csv?sort=progress&order=desc")
        .get_data(as_text=True)
    )
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "Name",
        "Email",
        "Enrolled (UTC)",
        "Percent complete",
        "Last activity (UTC)",
        "Check the basics: best score (%)",
        "Check the basics: passed",
        "Check the basics: attempts",
        "Final exam: best score (%)",
        "Final exam: passed",
        "Final exam: attempts",
    ]
    daudi, chebet, amina, baraka, esther = rows[1:]
    assert daudi[:2] == ["Daudi Mwangi", "daudi.mwangi@example.org"]
    assert daudi[2] == (NOW - timedelta(days=20)).strftime("%Y-%m-%d %H:%M")
    assert daudi[3] == "100" and daudi[5:] == ["100", "yes", "1", "67", "yes", "1"]
    assert chebet[3] == "75" and chebet[5:] == ["80", "yes", "2", "", "", "0"]
    assert baraka[3] == "25" and baraka[5:] == ["", "", "0", "30", "no", "1"]
    assert amina[3] == "25" and esther[3] == "0" and esther[5:] == ["", "", "0", "", "", "0"]


def test_csv_cells_cannot_run_as_formulas(app, make):
    owner = make.user(Role.TRAINER)
    course = small_course(make, owner=owner)
    names = ['=HYPERLINK("http://evil.example","x")', "+SUM(1,2)", "-2+3", "@cmd", "\tTabbed", "Plain Name"]
    for i, name in enumerate(names):
        learner(app, course, name, email=f"learner{i}@example.org")
    learner(app, course, "Mail Person", email="=1+1@example.org")
    with app.app_context():
        db.session.scalar(
            select(Quiz).where(Quiz.course_id == course.id, Quiz.module_id.is_not(None))
        ).title = "=EVIL()"
        db.session.commit()
    text = client_for(app, owner).get(f"/studio/{course.slug}/learners.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][5] == "'=EVIL(): best score (%)"
    cells = {row[0] for row in rows[1:]} | {row[1] for row in rows[1:]}
    for name in names[:-1]:
        assert "'" + name in cells and name not in cells
    assert "Plain Name" in cells and "'=1+1@example.org" in cells
    assert not any(cell[:1] in ("=", "+", "-", "@", "\t") for row in rows for cell in row)


def test_nobody_enrolled_yet(app, make):
    owner = make.user(Role.TRAINER)
    course = small_course(make, owner=owner)
    page = client_for(app, owner).get(f"/studio/{course.slug}/learners").get_data(as_text=True)
    assert "Nobody is enrolled in this course yet." in page
    assert client_for(app, owner).get(f"/studio/{course.slug}/learners.csv").get_data(as_text=True).count("\n") == 1


def test_every_learners_route_for_every_role(app, known, make):
    owner, co, course, _ids, _people = known
    other = make.user(Role.TRAINER)
    small_course(make, owner=other)
    callers = {
        None: "login",
        make.user(): "403",
        other: "403",
        co: "200",
        owner: "200",
        make.user(Role.ADMIN): "200",
    }
    for user, expected in callers.items():
        client = client_for(app, user)
        for path in ("learners", "learners.csv"):
            response = client.get(f"/studio/{course.slug}/{path}")
            status = str(response.status_code)
            if response.status_code == 302 and "/account/login" in response.headers["Location"]:
                status = "login"
            assert status == expected, (user, path)
            if expected == "200":
                assert "Daudi Mwangi" in response.get_data(as_text=True)
    assert client_for(app, owner).get("/studio/no-such-course/learners").status_code == 404


def test_the_learners_page_and_csv_run_a_fixed_number_of_queries(app, make, count_queries):
    owner = make.user(Role.TRAINER)
    course = small_course(make, owner=owner)
    ids = Ids(app, course)
    with app.app_context():
        password_hash = db.session.get(User, owner.id).password_hash

    def one(i):
        kind = i % 4
        lessons = ids.lessons[: kind % 3]
        attempts = [(ids.module_quiz, 50.0 + i, kind != 1)] + ([(ids.exam, 90.0, True)] if kind == 3 else [])
        return learner(app, course, f"Learner {i}", lessons=lessons, attempts=attempts, hash_from=password_hash)

    grow, _made = grower(one)
    client = client_for(app, owner)
    page = assert_fixed_budget(client, count_queries, f"/studio/{course.slug}/learners", grow, sizes=(4, 30))
    assert "Learner 29" in page.get_data(as_text=True)
    assert_fixed_budget(client, count_queries, f"/studio/{course.slug}/learners.csv", grow, sizes=(31, 40))
