"""Emails in tests: requests only queue them (samaschool/mail.py); `delivered(app)` runs the sender
as `flask jobs run` does, then lists what it delivered (files, as without SMTP settings)."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path


def deliver(app) -> str:
    """Run `flask mail send-pending` once; its output."""
    result = app.test_cli_runner().invoke(args=["mail", "send-pending"])
    assert result.exit_code == 0, result.output
    return result.output


def delivered(app) -> list[Path]:
    """Every email delivered so far, oldest first, after delivering what is queued."""
    deliver(app)
    folder = Path(app.config["SAMASCHOOL_OUTBOX"])
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def read(path: Path) -> str:
    """An email file as a person reads it: the To and Subject lines, then the decoded body."""
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    return f"To: {message['To']}\nSubject: {message['Subject']}\n\n{message.get_content()}"


def last_email(app) -> str:
    """The newest email delivered, after delivering what is queued (see `read`)."""
    return read(delivered(app)[-1])
