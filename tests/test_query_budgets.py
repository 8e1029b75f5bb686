"""Every list page runs a fixed number of SQL statements however long its list: each page is
counted at two sizes of its list and the two counts must be equal.

The small size holds one row of every kind the page treats differently (a held, an expired, a
revoked and a missing certificate…), so a query that runs only for one kind is counted at both
sizes. Each page is requested once before counting, so one-off work is not counted."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from samaschool import audit
from samaschool.assessments.models import Attempt, AttemptQuestion, Question
from samaschool.auth.models import User
from samaschool.catalog.models import Enrolment, Lesson
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.learning.models import LessonProgress
from samaschool.permissions import Role
from samaschool.pools import api_tokens, money
from samaschool.pools.models import ApiToken, Assignment, EarningEntry, PayoutLine, SkillSnapshot, Suspension
from tests.factories import PASSWORD


def logged_in(app, user):
    client = app.test_client()
    response = client.submit("/account/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def grower(make_one):
    """`grow(n)` makes rows with `make_one(i)` until there are n of them; `made` holds them."""
    made = []

    def grow(n: int):
        while len(made) < n:
            made.append(make_one(len(made)))

    return grow, made


def assert_fixed_budget(client, count_queries, url, grow, sizes=(1, 20), *, headers=None, most=None):
    """The statements `url` runs with `sizes[0]` and with `sizes[1]` rows in its list, equal (and
    at most `most`). `url` may be a function of the size, for a page that is one of several."""
    counts, response, address = [], None, url
    for size in sizes:
        grow(size)
        url = address(size) if callable(address) else address
        assert client.get(url, headers=headers).status_code == 200, url
        with count_queries() as queries:
            response = client.get(url, headers=headers)
        assert response.status_code == 200, url
        counts.append(len(queries))
    assert counts[0] == counts[1], f"{url}: {counts[0]} statements for {sizes[0]}, {counts[1]} for {sizes[1]}"
    assert most is None or counts[1] <= most, f"{url}: {counts[1]} statements, more than {most}"
    return response


def _add(app, *rows):
    with app.app_context():
        db.session.add_all(rows)
        db.session.commit()
        return [row.id for row in rows]


# Worker pages ----------------------------------------------------------------------------


def test_pool_list(app, make, count_queries):
    """Each pool needs its own certification, held by the worker in every state there is."""
    worker = make.user()
    now = utcnow()

    def pool(i):
        course = make.course(modules=2, lessons_per_module=1)
        certification = make.certification(course)
        kind = i % 5
        if kind == 1:
            make.certificate(worker, certification)
        elif kind == 2:
            make.certificate(worker, certification, expires_at=now - timedelta(days=1))
        elif kind == 3:
            make.certificate(worker, certification, revoked_at=now, revocation_reason="shared account")
        required = [certification.slug] + (["not-offered"] if kind == 4 else [])
        made = make.pool(
            required_certifications=required,
            countries=["UG"] if kind == 4 else [],
            min_skill_percent=50,
            name=f"Pool {i}",
        )
        if kind == 4:
            _add(app, Suspension(pool_id=made.id, worker_id=worker.id, ends_at=now + timedelta(days=3), reason="x"))
        make.tasks(made, 2)
        return made

    grow, _pools = grower(pool)
    page = assert_fixed_budget(logged_in(app, worker), count_queries, "/pools", grow, sizes=(5, 20))
    text = page.get_data(as_text=True)
    assert "Pool 19" in text and "You have completed 0 of 2 modules." in text and "shared account" in text


def test_certificates_page(app, make, count_queries):
    """Held (one expiring soon), and earnable certifications with a course and a quiz each."""
    learner = make.user()

    def certification(i):
        course = make.course(modules=1, lessons_per_module=2)
        quiz = make.quiz(course, key=f"quiz-{i}")
        made = make.certification(course, quiz=quiz, name=f"Certification {i}")
        if i % 3 == 0:
            make.certificate(learner, made, expires_at=utcnow() + timedelta(days=10))
        elif i % 3 == 1:
            make.certificate(learner, made)
        return made

    grow, _made = grower(certification)
    page = assert_fixed_budget(logged_in(app, learner), count_queries, "/certificates", grow, sizes=(3, 20))
    assert "Certification 19" in page.get_data(as_text=True)


def test_earnings(app, make, count_queries):
    worker = make.user()

    def submission(i):
        pool = make.pool(name=f"Pool {i}")
        [task_id] = make.tasks(pool, 1, gold_every=1)
        [assignment_id] = _add(
            app,
            Assignment(
                task_id=task_id,
                pool_id=pool.id,
                worker_id=worker.id,
                state="submitted",
                lease_expires_at=utcnow(),
                submitted_at=utcnow(),
                is_gold=True,
                gold_correct=True,
            ),
        )
        _add(app, EarningEntry(worker_id=worker.id, pool_id=pool.id, kind="bonus", amount_minor=100, currency="KES"))
        return assignment_id

    grow, _made = grower(submission)
    page = assert_fixed_budget(logged_in(app, worker), count_queries, "/earnings", grow)
    assert "Pool 19" in page.get_data(as_text=True)


# Learner and public pages ------------------------------------------------------------------


CATALOG_MOST = 1  # the course cards; the language filter's choices are their languages


def test_catalog_and_home(app, make, count_queries):
    grow, _made = grower(lambda i: make.course(title=f"Course {i}"))
    client = app.test_client()
    page = assert_fixed_budget(client, count_queries, "/courses/", grow, most=CATALOG_MOST)
    assert "Course 19" in page.get_data(as_text=True)
    grow_home, _made_home = grower(lambda i: make.course(title=f"Home course {i}"))
    assert "Home course 19" in assert_fixed_budget(client, count_queries, "/", grow_home).get_data(as_text=True)


DASHBOARD_MOST = 10


def test_lesson_and_course_pages_read_the_outline_once_per_version(app, make, count_queries):
    """A course's outline (modules, lessons, quizzes) comes from the app's cache while the course's
    content version holds: the pages read the version with the enrolment (one statement), and the
    learner's progress."""
    learner = make.user()
    course = make.course(modules=2, lessons_per_module=1)
    make.quiz(course, module=1)
    make.quiz(course, module=None, key="exam")
    _add(app, Enrolment(user_id=learner.id, course_id=course.id, enrolled_at=utcnow()))
    with app.app_context():
        module_id = db.session.scalar(select(Lesson.module_id).where(Lesson.course_id == course.id))

    def lesson(i):
        [lesson_id] = _add(
            app,
            Lesson(
                course_id=course.id, module_id=module_id, slug=f"more-{i}", title=f"More {i}", minutes=3, position=i + 1
            ),
        )
        _add(app, LessonProgress(user_id=learner.id, lesson_id=lesson_id))
        return lesson_id

    client = logged_in(app, learner)
    grow, _made = grower(lesson)
    page = assert_fixed_budget(client, count_queries, f"/courses/{course.slug}/lessons/more-0", grow, most=LESSON_MOST)
    assert "Lesson 2 of" in page.get_data(as_text=True)
    page = assert_fixed_budget(
        client, count_queries, f"/courses/{course.slug}", lambda n: grow(20 + n), most=COURSE_MOST
    )
    assert "More 39" in page.get_data(as_text=True)


LESSON_MOST = 2  # the signed-in user; the course version, enrolment and progress (one statement)
COURSE_MOST = 3  # as the lesson, and the certificates just earned


def test_dashboard_with_certificate_notices(app, make, count_queries):
    learner = make.user()

    def enrolment(i):
        course = make.course(modules=2, lessons_per_module=2, title=f"Course {i}")
        _add(app, Enrolment(user_id=learner.id, course_id=course.id, enrolled_at=utcnow()))
        certification = make.certification(course)
        make.certificate(learner, certification, expires_at=utcnow() + timedelta(days=5))
        make.tasks(make.pool(certification=certification, name=f"Pool {i}"), 1)  # the work it unlocks
        return course

    grow, _made = grower(enrolment)
    page = assert_fixed_budget(logged_in(app, learner), count_queries, "/dashboard", grow, most=DASHBOARD_MOST)
    assert "Course 19" in page.get_data(as_text=True) and "Start working: Pool 19" in page.get_data(as_text=True)


def _submitted_attempt(app, quiz, user_id, number, questions):
    with app.app_context():
        attempt = Attempt(
            quiz_id=quiz.id,
            user_id=user_id,
            number=number,
            state="submitted",
            submitted_at=utcnow(),
            score_points=1,
            max_points=len(questions),
            score_percent=100 / len(questions),
            passed=False,
        )
        db.session.add(attempt)
        db.session.flush()
        for position, question_id in enumerate(questions):
            db.session.add(
                AttemptQuestion(
                    attempt_id=attempt.id,
                    question_id=question_id,
                    position=position,
                    points=1,
                    response={"choice": "x"},
                    score=1 if position == 0 else 0,
                    is_correct=position == 0,
                    answer_key="x",
                )
            )
        db.session.commit()
        return attempt.id


def test_quiz_page_and_attempt_review(app, make, count_queries):
    """The quiz page lists the learner's attempts; the review lists an attempt's questions."""
    learner = make.user()
    course = make.course()
    client = logged_in(app, learner)
    client.submit(f"/courses/{course.slug}/enrol", page=f"/courses/{course.slug}")
    quiz = make.quiz(course)
    with app.app_context():
        question_ids = list(db.session.scalars(select(Question.id).where(Question.course_id == course.id)))
    grow, _attempts = grower(lambda i: _submitted_attempt(app, quiz, learner.id, i + 1, question_ids))
    page = assert_fixed_budget(client, count_queries, f"/courses/{course.slug}/quizzes/{quiz.key}", grow)
    assert page.get_data(as_text=True).count("Not passed") == 20

    specs = [
        {
            "id": f"q{i}",
            "type": "single_choice",
            "text": f"Question {i}?",
            "choices": [{"text": "Yes", "correct": True}, {"text": "No"}],
        }
        for i in range(20)
    ]
    exams = {}
    for size in (1, 20):
        exam = make.quiz(course, module=None, key=f"exam-{size}", questions=specs[:size])
        with app.app_context():
            keys = [f"q{i}" for i in range(size)]
            ids = {q.key: q.id for q in db.session.scalars(select(Question).where(Question.course_id == course.id))}
        exams[size] = _submitted_attempt(app, exam, learner.id, 1, [ids[key] for key in keys])
    page = assert_fixed_budget(client, count_queries, lambda n: f"/attempts/{exams[n]}/review", lambda n: None)
    assert "Question 19?" in page.get_data(as_text=True)


# Admin pages -----------------------------------------------------------------------------------


@pytest.fixture
def admin(app, make):
    user = make.user(Role.ADMIN, name="Ada Admin")
    return user, logged_in(app, user)


def test_admin_users_audit_and_user_history(app, make, admin, count_queries):
    admin_user, client = admin
    grow_users, _users = grower(lambda i: make.user(name=f"Person {i}"))
    page = assert_fixed_budget(client, count_queries, "/admin/users", grow_users)
    assert "Person 19" in page.get_data(as_text=True)

    def entry(i):
        with app.app_context():
            actor = db.session.get(User, _users[i].id)
            audit.record(actor, f"test.action_{i}", db.session.get(User, admin_user.id))
            db.session.commit()

    grow_entries, _entries = grower(entry)
    assert "test.action_19" in assert_fixed_budget(client, count_queries, "/admin/audit", grow_entries).get_data(
        as_text=True
    )

    target = make.user()

    def history(i):
        with app.app_context():
            actor = db.session.get(User, _users[i].id)
            audit.record(actor, "user.role_changed", db.session.get(User, target.id), reason=f"reason {i}")
            db.session.commit()

    grow_history, _history = grower(history)
    page = assert_fixed_budget(client, count_queries, f"/admin/users/{target.id}", grow_history)
    assert "reason 19" in page.get_data(as_text=True)


def test_admin_certificates_and_certifications(app, make, admin, count_queries):
    _admin, client = admin
    course = make.course()

    def certificate(i):
        certification = make.certification(course, name=f"Certification {i}")
        user = make.user(name=f"Holder {i}")
        fields = {"revoked_at": utcnow(), "revocation_reason": "fraud"} if i % 2 else {}
        return make.certificate(user, certification, **fields)

    grow, _made = grower(certificate)
    page = assert_fixed_budget(client, count_queries, "/admin/certificates", grow, sizes=(2, 20))
    assert "Holder 19" in page.get_data(as_text=True)
    # Then 21 and 40 certifications (one per certificate), half of the certificates revoked.
    assert_fixed_budget(client, count_queries, "/admin/certifications", lambda n: grow(20 + n))
    body = assert_fixed_budget(
        app.test_client(), count_queries, "/credentials/revocations", lambda n: grow(40 + n)
    ).json
    assert len(body["revokedCredentials"]) == 30


def test_quiz_statistics(app, make, count_queries):
    trainer = make.user(Role.TRAINER)
    course = make.course()
    make.staff(course, trainer)
    quiz = make.quiz(course)

    def attempt(i):
        learner = make.user()
        with app.app_context():
            questions = list(db.session.scalars(select(Question).where(Question.course_id == course.id)))
            row = Attempt(
                quiz_id=quiz.id,
                user_id=learner.id,
                number=1,
                state="submitted",
                submitted_at=utcnow(),
                score_points=i % 4,
                max_points=3,
                score_percent=100 * min(i % 4, 3) / 3,
                passed=i % 4 >= 2,
            )
            db.session.add(row)
            db.session.flush()
            for position, question in enumerate(questions):
                right = (i + position) % 2 == 0
                db.session.add(
                    AttemptQuestion(
                        attempt_id=row.id,
                        question_id=question.id,
                        position=position,
                        points=1,
                        score=1 if right else 0,
                        is_correct=right,
                        answer_key="a" if right else "b",
                    )
                )
            db.session.commit()

    grow, _made = grower(attempt)
    url = f"/courses/{course.slug}/quizzes/{quiz.key}/statistics"
    assert_fixed_budget(logged_in(app, trainer), count_queries, url, grow, sizes=(2, 20))


# Pool managers and payouts ---------------------------------------------------------------------


def test_manage_pools_tasks_and_review_queue(app, make, admin, count_queries):
    _admin, client = admin
    grow_pools, pools = grower(lambda i: make.pool(name=f"Pool {i}"))
    page = assert_fixed_budget(client, count_queries, "/manage/pools", grow_pools)
    assert "Pool 19" in page.get_data(as_text=True)

    target = pools[0]
    task_ids = make.tasks(target, 20)

    def suspension(i):
        worker = make.user()
        _add(app, Suspension(pool_id=target.id, worker_id=worker.id, ends_at=utcnow() + timedelta(days=2), reason="x"))
        return worker

    grow_suspensions, workers = grower(suspension)
    assert_fixed_budget(client, count_queries, f"/manage/pools/{target.id}/tasks", grow_suspensions)

    def submission(i):
        return _add(
            app,
            Assignment(
                task_id=task_ids[i],
                pool_id=target.id,
                worker_id=workers[i].id,
                state="submitted",
                lease_expires_at=utcnow(),
                submitted_at=utcnow(),
                answer="Grocery > Beverages",
            ),
        )

    grow_queue, _queue = grower(submission)
    page = assert_fixed_budget(client, count_queries, "/manage/review", grow_queue)
    assert page.get_data(as_text=True).count('name="ids"') == 20


def test_payouts_batches_and_tokens(app, make, admin, count_queries):
    admin_user, client = admin

    def batch(i):
        worker = make.user(name=f"Payee {i}")
        _add(app, EarningEntry(worker_id=worker.id, kind="bonus", amount_minor=1000 + i, currency="KES"))
        with app.app_context():
            made = money.create_batch(db.session.get(User, admin_user.id), "KES", 1)
            db.session.commit()
            return made.id

    grow_batches, batches = grower(batch)
    page = assert_fixed_budget(client, count_queries, "/manage/payouts", grow_batches)
    assert f"#{batches[-1]}" in page.get_data(as_text=True)

    def line(i):
        worker = make.user(name=f"Line payee {i}")
        return _add(
            app,
            PayoutLine(
                batch_id=batches[0],
                worker_id=worker.id,
                currency="KES",
                amount_minor=500 + i,
                reference=f"REF-{i}",
                payee_name=worker.name,  # as create_batch records it
            ),
        )

    grow_lines, _lines = grower(line)
    page = assert_fixed_budget(client, count_queries, f"/manage/payouts/{batches[0]}", grow_lines)
    assert "Line payee 19" in page.get_data(as_text=True)
    assert_fixed_budget(client, count_queries, f"/manage/payouts/{batches[0]}.csv", lambda n: grow_lines(20 + n))

    def token(i):
        with app.app_context():
            made, _secret = api_tokens.create(db.session.get(User, admin_user.id), f"Token {i}")
            db.session.commit()
            return made.id

    grow_tokens, _tokens = grower(token)
    page = assert_fixed_budget(client, count_queries, "/manage/api-tokens", grow_tokens)
    assert "Token 19" in page.get_data(as_text=True)


# The API ------------------------------------------------------------------------------------


@pytest.fixture
def bearer(app, make):
    with app.app_context():
        actor = db.session.get(User, make.user(Role.ADMIN).id)
        token, secret = api_tokens.create(actor, "partner")
        token.last_used_at = utcnow()  # recently used: requests do not record the use again
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_api_eligible_workers_and_certificates(app, make, bearer, count_queries):
    course = make.course(modules=1, lessons_per_module=1)
    certification = make.certification(course)
    pool = make.pool(certification=certification, countries=["KE", "UG"], min_skill_percent=50, quality_min_gold=1)
    [gold] = make.tasks(pool, 1, gold_every=1)
    now = utcnow()
    with app.app_context():  # the token may read this pool, with its workers' names and countries
        token = db.session.scalar(select(ApiToken))
        token.pool_ids, token.user_fields = [pool.id], ["name", "country"]
        db.session.commit()

    def worker(i):
        """Every fifth is eligible; the others have an expired or no certificate, a suspension, or
        too low an accuracy."""
        kind = i % 5
        user = make.user(country="UG" if kind == 3 else "KE")
        if kind == 1:
            make.certificate(user, certification, expires_at=now - timedelta(days=1))
        elif kind != 2:
            make.certificate(user, certification)
        if kind == 3:
            _add(app, Suspension(pool_id=pool.id, worker_id=user.id, ends_at=now + timedelta(days=1), reason="x"))
        _add(
            app,
            Assignment(
                task_id=gold,
                pool_id=pool.id,
                worker_id=user.id,
                state="submitted",
                lease_expires_at=now,
                submitted_at=now,
                is_gold=True,
                gold_correct=kind != 4,
            ),
        )
        # The accuracy the worker is shown (pools/quality.py): that gold answer.
        _add(app, SkillSnapshot(pool_id=pool.id, worker_id=user.id, answered=1, correct=int(kind != 4), answers_seen=1))
        return user

    grow, workers = grower(worker)
    client = app.test_client()
    url = f"/api/v1/pools/{pool.slug}/eligible-workers?per_page=100"
    body = assert_fixed_budget(client, count_queries, url, grow, sizes=(5, 40), headers=bearer).json
    assert body["total"] == 8 and [w["user_id"] for w in body["workers"]] == [u.id for u in workers[::5]]

    holder = workers[0]
    grow_certs, _certs = grower(lambda i: make.certificate(holder, make.certification(course, name=f"C{i}")))
    url = f"/api/v1/users/{holder.public_id}/certificates"
    body = assert_fixed_budget(client, count_queries, url, grow_certs, headers=bearer).json
    assert len(body["certificates"]) == 21


# Write paths -------------------------------------------------------------------------------------
# Each POST reads what it checks once, writes, commits, and answers from what it already holds:
# nothing is read again after the commit (which on SQLite would take the write lock a second time).

RADIO_RE = re.compile(r'<input type="radio" name="(q\d+)" value="([^"]+)"')
QUIZ_SAVE_MOST = 4  # the user, the attempt with its quiz, its questions, the answers stored
CLAIM_MOST = 10
SUBMIT_MOST = 8


def _counted(count_queries, client, url, form):
    """The POST's response and the statements it ran (its CSRF token is in `form` already)."""
    with count_queries() as queries:
        response = client.post(url, data=form)
    assert response.status_code == 302, response.status_code
    return response, len(queries)


def test_quiz_save(app, make, count_queries):
    learner = make.user()
    course = make.course()
    quiz = make.quiz(course)
    client = logged_in(app, learner)
    client.submit(f"/courses/{course.slug}/enrol", page=f"/courses/{course.slug}")
    started = client.submit(f"/courses/{course.slug}/quizzes/{quiz.key}/start")
    attempt_path = started.headers["Location"].split("?")[0]
    page = client.get(attempt_path).get_data(as_text=True)
    answers = dict(reversed(RADIO_RE.findall(page)))  # the first choice of every question
    form = {"csrf_token": client.csrf_token(attempt_path), "page": "1", "action": "save", **answers}
    for _replay in range(2):  # the first save stores the answers; the replay finds them stored
        response, count = _counted(count_queries, client, attempt_path, form)
        assert response.headers["Location"] == f"{attempt_path}?page=1"
        assert count <= QUIZ_SAVE_MOST, f"quiz save: {count} statements, more than {QUIZ_SAVE_MOST}"
    assert "Your answers are saved." in client.get(attempt_path).get_data(as_text=True)


def test_claim_and_submit(app, make, count_queries):
    course = make.course(modules=1, lessons_per_module=1)
    certification = make.certification(course)
    pool = make.pool(certification=certification)
    make.tasks(pool, 3)
    worker = make.user()
    make.certificate(worker, certification)
    client = logged_in(app, worker)
    pool_page = f"/pools/{pool.slug}"
    for _task in range(2):
        token = client.csrf_token(pool_page)
        claimed, count = _counted(count_queries, client, f"{pool_page}/claim", {"csrf_token": token})
        assert "/work/" in claimed.headers["Location"]
        assert count <= CLAIM_MOST, f"claim: {count} statements, more than {CLAIM_MOST}"
        answer = {"csrf_token": token, "answer": "Grocery > Beverages"}
        submitted, count = _counted(count_queries, client, claimed.headers["Location"], answer)
        assert submitted.headers["Location"] == pool_page
        assert count <= SUBMIT_MOST, f"submit: {count} statements, more than {SUBMIT_MOST}"
        assert "Answer saved. Thank you!" in client.get(pool_page).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Assignment.state == "submitted")) == 2
