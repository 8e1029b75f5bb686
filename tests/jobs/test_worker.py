"""A real worker process (`flask --app app jobs worker`) runs what pages enqueue, from the SQLite
queue file or from Redis; and when a worker is killed (-9) in the middle of a job, another one
finishes the work, exactly once."""

from __future__ import annotations

import re
import signal
import socket
import threading
from datetime import timedelta
from pathlib import Path

import redis
from sqlalchemy import select, update

from samaschool import config, create_app, jobs, mail
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.mail import OutgoingEmail
from tests.jobs.conftest import wait_for, worker_log
from tests.outbox import read
from tests.servers import free_port


def _emails(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def test_a_worker_process_sends_what_pages_enqueue(app, client, make, queue, worker_env, start_worker):
    outbox = Path(worker_env["SAMASCHOOL_OUTBOX"])
    make.user(email="amina@example.org")
    assert client.submit("/account/reset", {"email": "amina@example.org"}).status_code == 302
    assert queue.pending_count() == 1  # enqueued once the request committed; no worker yet: it waits
    worker = start_worker(worker_env, "--no-periodic")  # no sweep: only the enqueued job can send it
    (first,) = wait_for(lambda: _emails(outbox), what=f"the reset email\n{worker_log(worker)}")
    assert read(first).startswith("To: amina@example.org") and "http://localhost/account/reset/" in read(first)

    # While the worker runs, a new message goes out within seconds.
    with app.app_context():
        mail.send_email("baraka@example.org", "Your certificate", "Well done.")
        db.session.commit()
    wait_for(lambda: len(_emails(outbox)) == 2, what=f"the second email\n{worker_log(worker)}")
    assert "Subject: Your certificate" in read(_emails(outbox)[-1])
    with app.app_context():
        rows = db.session.scalars(select(OutgoingEmail)).all()
        assert {(row.status, row.attempts) for row in rows} == {("sent", 1)}
    assert queue.pending_count() == 0


def test_with_redis_the_queue_is_shared_and_a_worker_on_it_runs_the_job(
    app, database_url, redis_url, tmp_path, worker_env, start_worker
):
    settings = config.for_tests(str(tmp_path / "instance"), database_url)
    settings["SAMASCHOOL_REDIS_URL"] = redis_url
    web = create_app(settings)  # another app server, on the same database and Redis
    try:
        with web.app_context():
            assert isinstance(jobs.huey_for(web), jobs.RedisHuey)
            mail.send_email("chausiku@example.org", "Hello from Redis", "Queued in Redis.")
            db.session.commit()
        client = redis.Redis.from_url(redis_url)
        assert client.llen("huey.redis.samaschool") == 1
        client.close()
        outbox = Path(worker_env["SAMASCHOOL_OUTBOX"])
        worker = start_worker({**worker_env, "SAMASCHOOL_REDIS_URL": redis_url}, "--no-periodic")
        (sent,) = wait_for(lambda: _emails(outbox), what=f"the email\n{worker_log(worker)}")
        assert "Subject: Hello from Redis" in read(sent)
    finally:
        with web.app_context():
            db.engine.dispose()


class StuckMailServer:
    """A mail server that accepts connections and never answers: a delivery hangs in it."""

    def __init__(self):
        self.port = free_port()
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                connection, _address = self.listener.accept()
            except OSError:
                return
            self.connections.append(connection)

    def close(self):
        self.listener.close()
        for connection in self.connections:
            connection.close()


def test_a_worker_killed_in_the_middle_of_a_job_loses_nothing(app, queue, worker_env, start_worker):
    outbox = Path(worker_env["SAMASCHOOL_OUTBOX"])
    stuck = StuckMailServer()
    try:
        dying = start_worker(
            {**worker_env, "SAMASCHOOL_SMTP_HOST": "127.0.0.1", "SAMASCHOOL_SMTP_PORT": str(stuck.port)},
            "--no-periodic",
        )
        with app.app_context():
            row = mail.send_email("dalila@example.org", "Your payout", "It is on its way.")
            db.session.commit()
            row_id = row.id
        # The job is running: it claimed the row and is waiting for the mail server.
        wait_for(lambda: stuck.connections, what=f"the delivery to start\n{worker_log(dying)}")
        dying.send_signal(signal.SIGKILL)
        dying.wait(timeout=10)
    finally:
        stuck.close()
    assert queue.pending_count() == 0 and queue.scheduled_count() == 0  # the job died with its worker
    with app.app_context():
        row = db.session.get(OutgoingEmail, row_id)
        assert (row.status, row.attempts, row.sent_at) == ("pending", 1, None)
        assert row.next_attempt_at > utcnow()  # claimed: no other sender takes it until the claim lapses
        # Five minutes later (mail.CLAIM_LEASE) the claim has lapsed.
        lapsed = utcnow() - timedelta(seconds=1)
        db.session.execute(update(OutgoingEmail).where(OutgoingEmail.id == row_id).values(next_attempt_at=lapsed))
        db.session.commit()
    assert _emails(outbox) == []

    # Another worker's periodic sweep (it runs as the worker starts, then every minute) sends it.
    worker = start_worker(worker_env)
    (sent,) = wait_for(lambda: _emails(outbox), what=f"the email\n{worker_log(worker)}")
    assert "Subject: Your payout" in read(sent)
    wait_for(lambda: re.search(r"send_pending_email: \S+ executed", worker_log(worker)), what="the sweep to end")
    with app.app_context():
        row = db.session.get(OutgoingEmail, row_id)
        assert (row.status, row.attempts) == ("sent", 2)
    assert len(_emails(outbox)) == 1  # exactly once
