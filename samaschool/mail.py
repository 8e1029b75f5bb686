"""Outgoing email through an outbox table: requests queue messages, a sender delivers them.

Requests never talk to a mail server. `send_email()` adds a row to `mail_outbox` in the
request's own transaction, so a message goes out only if the change it reports is committed,
and a slow or unreachable mail server never slows a page down. Once that transaction commits,
a job to send the row is put on the job queue (samaschool/jobs.py), so a worker delivers it
within seconds (`send_now`); a sweep, `send_pending()`, also drains whatever is due every minute
(a message whose job was lost, or whose retry is due), and `flask --app app mail send-pending`
does it once.

The sender is safe to run twice at once and idempotent. Each row is claimed with a conditional
UPDATE (still pending, not claimed by another sender or waiting for a retry), committed before
anything is sent, so two senders never both take a row. The message is delivered with no
transaction open, then `sent_at` is recorded; a failure records `attempts` and `last_error`
and the row is tried again later, up to MAX_ATTEMPTS. A sender that dies between delivering
and recording leaves the claim to lapse after CLAIM_LEASE: that message goes out twice
rather than never.

**Password-reset requests and enumeration.** Whether an email address has an account must not
show in how long `POST /account/reset` takes. The request therefore does the same work for
every address: it does not even look the address up, it only queues one row of kind
`password_reset` addressed to what was typed. The sender looks it up. For an active account it
makes the single-use token and composes the email (in the account's language); for any other
address the row is marked `dropped` and never delivered: a decoy written exactly like a real
request. The difference in work happens later, in a process the asker cannot time.

Some messages are composed when they are sent, by a function registered for their kind with
`@composer(kind)` (the reset email; the payout-account confirmation). Links that act for an
account (a reset link, a confirmation link) are made at that moment and never stored: the body
kept in the table has them replaced by "[link]".

Without SMTP settings, messages are written to files in SAMASCHOOL_OUTBOX and to the log.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import Index, String, Text, inspect, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from samaschool import jobs
from samaschool.db_types import UTCDateTime, check, one_of, utcnow
from samaschool.extensions import db

log = logging.getLogger(__name__)

# `message`: composed when queued. The others are composed by the sender (see `composer`).
KINDS = ("message", "password_reset", "payout_account_held")
STATUSES = ("pending", "sent", "dropped", "failed")
CLAIM_LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
LINK_PLACEHOLDER = "[link]"


class OutgoingEmail(db.Model):
    """One message on its way out (or sent, dropped as a decoy, or given up on)."""

    __tablename__ = "mail_outbox"
    __table_args__ = (
        one_of("kind", KINDS),
        one_of("status", STATUSES),
        check("attempts_not_negative", "attempts >= 0"),
        Index("ix_mail_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), default="message")
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # The row a composed kind is about (a payout-account change), if any.
    about_id: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Not before: a sender's claim on the row, or the time of the next retry. None: now.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


@dataclass
class Email:
    to: str
    subject: str
    body: str
    # What the outbox keeps of the body: the body without the links that act for an account.
    stored_body: str | None = None


Composer = Callable[[OutgoingEmail], "Email | None"]
COMPOSERS: dict[str, Composer] = {}


def composer(kind: str) -> Callable[[Composer], Composer]:
    """Register the function that composes messages of `kind` when they are sent. It returns
    the Email, or None for a row that must not be delivered (it is then marked `dropped`)."""
    if kind not in KINDS:
        raise ValueError(f"unknown mail kind {kind!r}")

    def register(function: Composer) -> Composer:
        COMPOSERS[kind] = function
        return function

    return register


def send_email(to: str, subject: str, body: str) -> OutgoingEmail:
    """Queue an email: it is sent after the current transaction commits, by the sender."""
    row = OutgoingEmail(kind="message", to_address=to, subject=subject[:255], body=body)
    db.session.add(row)
    _send_after_commit(row)
    return row


def _send_after_commit(row: OutgoingEmail) -> None:
    """Once the row is committed, put a job on the queue to send it (its primary key is known by
    then, without loading the row again)."""
    state = inspect(row)
    jobs.after_commit(lambda: jobs.enqueue("send_email", state.identity[0]))


def queue(kind: str, to: str, *, about_id: int | None = None) -> OutgoingEmail:
    """Queue a message of a kind the sender composes (see `composer`)."""
    if kind not in KINDS or kind == "message":
        raise ValueError(f"not a composed mail kind: {kind!r}")
    row = OutgoingEmail(kind=kind, to_address=to[:254], about_id=about_id)
    db.session.add(row)
    _send_after_commit(row)
    return row


def redact(body: str, *links: str) -> str:
    for link in links:
        body = body.replace(link, LINK_PLACEHOLDER)
    return body


# The sender ---------------------------------------------------------------------------------


def _due(now: datetime):
    return (OutgoingEmail.status == "pending") & or_(
        OutgoingEmail.next_attempt_at.is_(None), OutgoingEmail.next_attempt_at <= now
    )


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after each failed attempt, at most 6 hours."""
    return min(timedelta(minutes=2 ** max(0, attempts - 1)), timedelta(hours=6))


def send_pending(limit: int = 100) -> int:
    """Deliver up to `limit` due messages, oldest first; returns how many were delivered."""
    due = select(OutgoingEmail.id).where(_due(utcnow())).order_by(OutgoingEmail.id).limit(limit)
    ids = list(db.session.scalars(due))
    db.session.commit()  # end the read: each row is claimed in a transaction of its own
    return sum(1 for row_id in ids if _send_one(row_id) == "sent")


class NotSent(Exception):
    """A message was not delivered this time; it stays queued and is tried again later."""


def send_now(row_id: int) -> bool:
    """Deliver one queued message if it is due (the job queued with it): True when delivered,
    False when there was nothing to do (sent, dropped, another sender has it, or its retry is not
    due yet). Raises NotSent when delivery failed, after recording it on the row, so that the job
    queue retries it with backoff."""
    outcome = _send_one(row_id)
    if outcome == "failed":
        raise NotSent(db.session.get(OutgoingEmail, row_id).last_error)
    return outcome == "sent"


def _send_one(row_id: int) -> str | None:
    now = utcnow()
    claimed = db.session.execute(
        update(OutgoingEmail)
        .where(OutgoingEmail.id == row_id, _due(now))
        .values(attempts=OutgoingEmail.attempts + 1, next_attempt_at=now + CLAIM_LEASE)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()  # the claim is visible to every other sender before anything is sent
    if claimed.rowcount != 1:
        return None  # another sender took it first
    row = db.session.get(OutgoingEmail, row_id)
    try:
        email = _compose(row)
        if email is None:  # a decoy, or its subject is gone: never delivered
            row.status, row.next_attempt_at = "dropped", None
            db.session.commit()
            return "dropped"
        row.to_address, row.subject = email.to[:254], email.subject[:255]
        row.body = email.body if email.stored_body is None else email.stored_body
        db.session.commit()
        deliver(email, row_id)  # no transaction open while the mail server takes its time
    except Exception as error:  # any failure is recorded on the row, and the row tried again later
        db.session.rollback()
        _record_failure(row_id, error)
        return "failed"
    db.session.execute(
        update(OutgoingEmail)
        .where(OutgoingEmail.id == row_id)
        .values(status="sent", sent_at=utcnow(), next_attempt_at=None, last_error="")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return "sent"


def _compose(row: OutgoingEmail) -> Email | None:
    if row.kind == "message":
        return Email(row.to_address, row.subject, row.body)
    compose = COMPOSERS.get(row.kind)
    if compose is None:
        raise LookupError(f"no composer registered for mail kind {row.kind!r}")
    return compose(row)


def _record_failure(row_id: int, error: Exception) -> None:
    row = db.session.get(OutgoingEmail, row_id)
    row.last_error = f"{type(error).__name__}: {error}"[:1000]
    if row.attempts >= MAX_ATTEMPTS:
        row.status, row.next_attempt_at = "failed", None
    else:
        row.next_attempt_at = utcnow() + retry_delay(row.attempts)
    db.session.commit()
    log.warning("email %s to %s not sent (attempt %s): %s", row_id, row.to_address, row.attempts, row.last_error)


def deliver(email: Email, row_id: int | None = None) -> None:
    """Hand one message to the SMTP server; without one, write it to the outbox folder and log."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["SAMASCHOOL_MAIL_FROM"]
    message["To"] = email.to
    message["Subject"] = email.subject
    message.set_content(email.body)

    if config["SAMASCHOOL_SMTP_HOST"]:
        with smtplib.SMTP(config["SAMASCHOOL_SMTP_HOST"], config["SAMASCHOOL_SMTP_PORT"], timeout=15) as smtp:
            if config["SAMASCHOOL_SMTP_STARTTLS"]:
                smtp.starttls()
            if config["SAMASCHOOL_SMTP_USER"]:
                smtp.login(config["SAMASCHOOL_SMTP_USER"], config["SAMASCHOOL_SMTP_PASSWORD"])
            smtp.send_message(message)
        return

    outbox = Path(config["SAMASCHOOL_OUTBOX"])
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    path = outbox / (f"{stamp}-{row_id}.eml" if row_id is not None else f"{stamp}.eml")
    path.write_bytes(bytes(message))
    current_app.logger.warning("SMTP not configured; email to %s written to %s\n%s", email.to, path, email.body)


mail_cli = AppGroup("mail", help="Outgoing email (the outbox table).")


@mail_cli.command("send-pending")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(min=1), help="At most this many.")
def send_pending_command(limit: int) -> None:
    """Deliver the queued emails that are due (the job worker does this every minute)."""
    sent = send_pending(limit)
    db.session.remove()
    click.echo(f"{sent} email(s) sent.")
