"""Two requests at once: one graded attempt, and attempt limits that cannot be beaten.

Runs on SQLite and PostgreSQL (TEST_DATABASE_URL); each thread has its own app context,
session and connection, as two gunicorn workers would.
"""

import threading

from sqlalchemy import func, select

from samaschool.assessments import services
from samaschool.assessments.models import Attempt, AttemptQuestion, Quiz
from samaschool.auth.models import User
from samaschool.extensions import db


def run_together(app, work, count=2):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def target():
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results.append(work())
                db.session.commit()
            except Exception as error:  # recorded and asserted on by the test
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results, errors


def test_two_simultaneous_submits_grade_once(app, make):
    course = make.course()
    quiz = make.quiz(course)
    user = make.user()
    with app.app_context():
        attempt = services.start_attempt(db.session.get(User, user.id), db.session.get(Quiz, quiz.id))
        db.session.commit()
        attempt_id = attempt.id

    def submit():
        attempt = db.session.get(Attempt, attempt_id)
        return services.submit_attempt(attempt)

    results, errors = run_together(app, submit, count=4)
    assert errors == []
    assert sorted(results) == [False, False, False, True]
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.state == "submitted" and attempt.score_percent == 0
        graded = db.session.scalar(
            select(func.count()).select_from(AttemptQuestion).where(AttemptQuestion.score.is_not(None))
        )
        assert graded == 3


def test_parallel_starts_cannot_beat_the_attempt_limit(app, make):
    course = make.course()
    quiz = make.quiz(course, max_attempts=1)
    user = make.user()

    def start():
        attempt = services.start_attempt(db.session.get(User, user.id), db.session.get(Quiz, quiz.id))
        db.session.flush()
        return attempt.id

    results, errors = run_together(app, start, count=4)
    assert errors == [] or all(isinstance(e, services.AttemptsExhausted) for e in errors)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1
    assert len(set(results)) == 1  # everyone who got through got the same attempt


def test_parallel_retries_cannot_beat_the_retry_delay(app, make):
    course = make.course()
    quiz = make.quiz(course, retry_delay_minutes=60)
    user = make.user()
    with app.app_context():
        first = services.start_attempt(db.session.get(User, user.id), db.session.get(Quiz, quiz.id))
        db.session.flush()
        services.submit_attempt(first)
        db.session.commit()

    def retry():
        return services.start_attempt(db.session.get(User, user.id), db.session.get(Quiz, quiz.id)).id

    _results, errors = run_together(app, retry, count=3)
    assert len(errors) == 3 and all(isinstance(e, services.RetryTooSoon) for e in errors)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1
