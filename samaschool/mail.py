"""Outgoing email: SMTP when configured, else a file in the outbox folder and the log."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from flask import current_app


def send_email(to: str, subject: str, body: str) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["SAMASCHOOL_MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)

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
    path = outbox / f"{stamp}.eml"
    path.write_bytes(bytes(message))
    current_app.logger.warning("SMTP not configured; email to %s written to %s\n%s", to, path, body)
