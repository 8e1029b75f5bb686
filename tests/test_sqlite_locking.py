"""Pages read without waiting for each other; writes still take turns.

On SQLite a page (GET) reads in a deferred transaction, so one slow page never holds up
another; anything that may write (form posts, CLI commands, jobs) starts with BEGIN IMMEDIATE
and waits its turn. The first test runs on the suite's database; the second is about SQLite's
locks and runs on a SQLite database of its own whatever the suite's database is.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import select, text

from samaschool import config, create_app
from samaschool.auth.models import User
from samaschool.extensions import db
from tests.factories import PASSWORD


def _hold_a_page_open(app, opened: threading.Event, release: threading.Event) -> None:
    with app.test_request_context("/courses/", method="GET"):
        db.session.execute(select(User.id)).all()  # the page's transaction is now open
        opened.set()
        release.wait(timeout=60)
        db.session.rollback()
        db.session.remove()


def test_a_slow_page_does_not_hold_up_other_pages_or_a_login(app, make, client):
    make.course()
    learner = make.user()
    opened, release = threading.Event(), threading.Event()
    slow = threading.Thread(target=_hold_a_page_open, args=(app, opened, release))
    slow.start()
    try:
        assert opened.wait(timeout=10)
        assert client.get("/courses/").status_code == 200
        login = client.submit("/account/login", {"email": learner.email, "password": PASSWORD})
        assert login.status_code == 302  # a write (a new session row) goes through too
        assert client.get("/dashboard").status_code == 200
    finally:
        release.set()
        slow.join(timeout=30)


def test_sqlite_writers_take_turns_while_readers_carry_on(tmp_path):
    app = create_app(config.for_tests(str(tmp_path / "instance"), f"sqlite:///{tmp_path / 'locks.db'}"))
    with app.app_context():
        db.create_all()
    events: list[str] = []
    writing, release = threading.Event(), threading.Event()

    def job_that_writes():  # a CLI command or job: no request, so BEGIN IMMEDIATE
        with app.app_context():
            db.session.execute(select(User.id)).all()  # only read so far, yet the lock is taken
            writing.set()
            release.wait(timeout=30)
            events.append("job commits")
            db.session.commit()

    def second_writer():
        with app.app_context():
            db.session.execute(text("SELECT 1"))  # waits here for the job's lock
            events.append("second writer begins")
            db.session.commit()

    job = threading.Thread(target=job_that_writes)
    job.start()
    assert writing.wait(timeout=10)
    writer = threading.Thread(target=second_writer)
    writer.start()
    with app.test_request_context("/courses/", method="GET"):  # a page reads meanwhile
        assert db.session.execute(select(User.id)).all() == []
        events.append("page read")
        db.session.remove()
    time.sleep(0.3)  # give the second writer every chance to overtake (it must not)
    release.set()
    job.join(timeout=30)
    writer.join(timeout=30)
    assert events == ["page read", "job commits", "second writer begins"]
    with app.app_context():
        db.engine.dispose()
