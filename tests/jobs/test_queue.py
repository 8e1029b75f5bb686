"""The queue comes from the config (a SQLite file, or Redis), jobs are enqueued only once their
transaction commits, a failing job is retried with backoff and shows on /admin/jobs (for admins
only), and `flask jobs run --once` runs every periodic job now."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis
from huey import RedisHuey, SqliteHuey
from sqlalchemy import select, update

from samaschool import config, create_app, jobs, mail
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.jobs import JobEvent
from samaschool.mail import OutgoingEmail
from samaschool.permissions import Role


def test_without_redis_the_queue_is_a_sqlite_file_that_outlives_the_app(app, tmp_path, database_url):
    settings = config.for_tests(str(tmp_path / "instance"), database_url)
    settings["SAMASCHOOL_JOBS_PATH"] = str(tmp_path / "queue" / "jobs.sqlite3")
    first = create_app(settings)
    huey = jobs.huey_for(first)
    assert isinstance(huey, SqliteHuey) and first.extensions["huey"] is huey
    assert huey.storage.filename == str(tmp_path / "queue" / "jobs.sqlite3")
    with first.app_context():
        jobs.enqueue("send_pending_email")
        db.engine.dispose()
    again = create_app(settings)  # a restart: the job is still there
    assert jobs.huey_for(again).pending_count() == 1
    assert [task.name for task in jobs.huey_for(again).pending()] == ["send_pending_email"]
    with again.app_context():
        db.engine.dispose()


def test_with_redis_the_queue_is_in_redis(app, tmp_path, database_url, redis_url):
    settings = config.for_tests(str(tmp_path / "instance"), database_url)
    settings["SAMASCHOOL_REDIS_URL"] = redis_url
    web = create_app(settings)
    huey = jobs.huey_for(web)
    assert isinstance(huey, RedisHuey)
    with web.app_context():
        jobs.enqueue("expire_leases")
        db.engine.dispose()
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.llen("huey.redis.samaschool") == 1
    finally:
        client.close()
    assert not (tmp_path / "instance" / "jobs.sqlite3").exists()


def test_email_is_enqueued_when_its_transaction_commits_and_never_when_it_rolls_back(app, queue):
    with app.app_context():
        mail.send_email("amina@example.org", "Not sent", "Rolled back.")
        assert queue.pending_count() == 0  # not before the commit
        db.session.rollback()
        db.session.commit()
        assert queue.pending_count() == 0  # nor after a rollback, even at a later commit
        savepoint = db.session.begin_nested()
        row = mail.send_email("amina@example.org", "Sent", "Committed.")
        savepoint.commit()
        assert queue.pending_count() == 0  # a savepoint is not the commit
        db.session.commit()
        (task,) = queue.pending()
        assert (task.name, task.args) == ("send_email", (row.id,))


def _failing_smtp(app, monkeypatch):
    monkeypatch.setitem(app.config, "SAMASCHOOL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SAMASCHOOL_SMTP_PORT", 9)  # nothing listens: connection refused


def test_a_failing_job_is_retried_with_backoff_and_shown_to_admins(app, client, auth, make, queue, monkeypatch):
    _failing_smtp(app, monkeypatch)
    with app.app_context():
        row = mail.send_email("baraka@example.org", "Your payout", "It is on its way.")
        db.session.commit()
        row_id = row.id
    (task,) = queue.pending()
    queue.execute(queue.dequeue())  # what a worker does
    (retry,) = queue.scheduled()
    assert retry.id == task.id and retry.retries == 6
    assert timedelta(seconds=55) < retry.eta - utcnow().replace(tzinfo=None) <= timedelta(seconds=60)
    with app.app_context():
        (event,) = db.session.scalars(select(JobEvent)).all()
        assert (event.job, event.attempt, event.outcome) == ("send_email", 1, "retrying")
        assert "ConnectionRefusedError" in event.error
        assert timedelta(seconds=55) < event.next_retry_at - utcnow() <= timedelta(seconds=60)
        # A minute later the message is due again, and so is the retry: it fails again and waits twice as long.
        db.session.execute(update(OutgoingEmail).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    later = utcnow().replace(tzinfo=None) + timedelta(seconds=61)
    (again,) = queue.read_schedule(later)
    queue.execute(again, later)
    (retry,) = queue.scheduled()
    assert retry.retries == 5
    assert timedelta(seconds=115) < retry.eta - utcnow().replace(tzinfo=None) <= timedelta(seconds=120)
    with app.app_context():
        events = db.session.scalars(select(JobEvent).order_by(JobEvent.id)).all()
        assert [(event.attempt, event.outcome) for event in events] == [(1, "retrying"), (2, "retrying")]
        assert db.session.get(OutgoingEmail, row_id).attempts == 2

    admin = make.user(Role.ADMIN)
    auth.login(admin.email)
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "1 retry scheduled" in page and "0 jobs waiting in the queue" in page
    assert page.count("Send an email") == 3  # the retry waiting, and both failures
    assert page.count("ConnectionRefusedError") == 2
    assert "Send queued email" in page and "Not run yet" in page
    assert 'href="/admin/jobs"' in client.get("/admin/users").get_data(as_text=True)


def test_a_job_that_keeps_failing_is_given_up_on_and_says_so(app, client, auth, make, queue, monkeypatch):
    _failing_smtp(app, monkeypatch)
    with app.app_context():
        mail.send_email("chausiku@example.org", "Hello", "Hello.")
        db.session.commit()
    task = queue.dequeue()
    task.retries = 0  # its last try
    queue.execute(task)
    assert queue.scheduled_count() == 0
    with app.app_context():
        (event,) = db.session.scalars(select(JobEvent)).all()
        assert (event.attempt, event.outcome, event.next_retry_at) == (8, "failed", None)
    auth.login(make.user(Role.ADMIN).email)
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "No retry" in page and "No retry is waiting." in page


def test_run_once_runs_every_periodic_job_and_the_page_shows_their_last_run(app, client, auth, make, queue):
    with app.app_context():
        mail.send_email("dalila@example.org", "Hello", "Hello.")
        old = JobEvent(job="send_email", attempt=1, outcome="failed", occurred_at=utcnow() - timedelta(days=31))
        recent = JobEvent(job="send_email", attempt=1, outcome="failed", error="recent", occurred_at=utcnow())
        db.session.add_all([old, recent])
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["jobs", "run", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 emails sent" in result.output and "1 old job records removed" in result.output
    with app.app_context():
        assert db.session.scalars(select(JobEvent.error)).all() == ["recent"]
    auth.login(make.user(Role.ADMIN).email)
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "Not run yet" not in page and "1 item done" in page


@pytest.mark.parametrize("role", [Role.LEARNER, Role.TRAINER])
def test_only_admins_see_the_job_queue(client, auth, make, role):
    assert client.get("/admin/jobs").status_code == 302  # to the login page
    auth.login(make.user(role).email)
    assert client.get("/admin/jobs").status_code == 403
