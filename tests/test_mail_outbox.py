"""The outbox: requests queue email in their own transaction, the sender delivers it outside them,
once, even with two senders at the same moment, and keeps failures for another try."""

import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from samaschool import mail
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.mail import OutgoingEmail
from tests.outbox import deliver, delivered, read


def _queue(app, count: int) -> list[int]:
    with app.app_context():
        rows = [mail.send_email(f"learner{i}@example.org", f"Notice {i}", f"Body {i}") for i in range(count)]
        db.session.commit()
        return [row.id for row in rows]


def test_a_queued_email_waits_for_the_commit_and_then_the_sender(app):
    before = len(delivered(app))
    with app.app_context():
        mail.send_email("amina@example.org", "Hello", "Not committed")
        db.session.rollback()  # the change it reported did not happen: neither does the email
    (row_id,) = _queue(app, 1)
    files = list(Path(app.config["SAMASCHOOL_OUTBOX"]).glob("*.eml"))
    assert len(files) == before  # queued, not sent: nothing waits for a mail server
    assert "1 email(s) sent." in deliver(app)
    emails = delivered(app)
    assert len(emails) == before + 1 and "Subject: Notice 0" in read(emails[-1])
    with app.app_context():
        row = db.session.get(OutgoingEmail, row_id)
        assert (row.status, row.attempts, row.last_error) == ("sent", 1, "") and row.sent_at is not None


def test_two_senders_at_once_deliver_each_email_once(app):
    before = len(delivered(app))
    ids = _queue(app, 12)
    barrier = threading.Barrier(2)
    counts = []

    def sender():
        with app.app_context():
            barrier.wait(timeout=10)
            counts.append(mail.send_pending())
            db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(counts) == 12
    assert len(delivered(app)) == before + 12
    with app.app_context():
        rows = db.session.scalars(select(OutgoingEmail).where(OutgoingEmail.id.in_(ids))).all()
        assert {(row.status, row.attempts) for row in rows} == {("sent", 1)}


def test_a_failed_delivery_is_kept_and_tried_again_later(app, monkeypatch):
    (row_id,) = _queue(app, 1)
    monkeypatch.setitem(app.config, "SAMASCHOOL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SAMASCHOOL_SMTP_PORT", 9)  # nothing listens: connection refused
    assert "0 email(s) sent." in deliver(app)
    with app.app_context():
        row = db.session.get(OutgoingEmail, row_id)
        assert (row.status, row.attempts, row.sent_at) == ("pending", 1, None)
        assert "Error" in row.last_error and row.next_attempt_at > utcnow()
    deliver(app)  # not due yet: no second attempt at once
    with app.app_context():
        assert db.session.get(OutgoingEmail, row_id).attempts == 1
    monkeypatch.setitem(app.config, "SAMASCHOOL_SMTP_HOST", "")
    with app.app_context():
        db.session.get(OutgoingEmail, row_id).next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert "1 email(s) sent." in deliver(app)
    with app.app_context():
        row = db.session.get(OutgoingEmail, row_id)
        assert (row.status, row.attempts, row.last_error) == ("sent", 2, "")


def test_a_message_that_keeps_failing_is_given_up_on(app, monkeypatch):
    (row_id,) = _queue(app, 1)
    monkeypatch.setitem(app.config, "SAMASCHOOL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SAMASCHOOL_SMTP_PORT", 9)
    for _attempt in range(mail.MAX_ATTEMPTS):
        with app.app_context():
            db.session.get(OutgoingEmail, row_id).next_attempt_at = None
            db.session.commit()
        deliver(app)
    with app.app_context():
        row = db.session.get(OutgoingEmail, row_id)
        assert (row.status, row.attempts) == ("failed", mail.MAX_ATTEMPTS)


def test_the_periodic_jobs_send_the_mail(app):
    before = len(delivered(app))
    _queue(app, 2)
    result = app.test_cli_runner().invoke(args=["jobs", "run", "--once"])
    assert result.exit_code == 0 and "2 emails sent" in result.output
    assert len(delivered(app)) == before + 2
