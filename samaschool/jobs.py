"""Periodic work: lease expiry, auto-approval, overdue certificate awards, outgoing email.

Pages never do this on a GET. Each job is idempotent and commits on its own, so it is safe to
run from a timer as often as you like: `flask --app app jobs run --once` from cron, or
`flask --app app jobs run` as a small loop beside the web server (`make run` starts one).
Lease expiry also runs inside every claim and submit, so a slow timer never blocks work.
Outgoing email (samaschool/mail.py) is also sent between the rounds, every few seconds
(`--mail-every`), so that a reset link arrives while the learner is still waiting for it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import click
from flask.cli import AppGroup

from samaschool.extensions import db

log = logging.getLogger(__name__)
jobs_cli = AppGroup("jobs", help="Periodic work (lease expiry, auto-approval, overdue awards, email).")


def _expire_leases() -> int:
    from samaschool.pools import work

    return work.expire_leases()


def _auto_approve() -> int:
    from samaschool.pools import review

    return review.auto_approve_due()


def _award_due() -> int:
    from samaschool.certification.cli import award_due

    return award_due(active_days=2)


def _end_expired_sessions() -> int:
    from samaschool.auth.services import end_expired_sessions

    return end_expired_sessions()


def _send_mail() -> int:
    from samaschool.mail import send_pending

    return send_pending()


PERIODIC: dict[str, Callable[[], int]] = {
    "expired leases": _expire_leases,
    "auto-approved submissions": _auto_approve,
    "overdue certificates issued": _award_due,
    "ended sessions removed": _end_expired_sessions,
    "emails sent": _send_mail,
}
# Also run between the rounds of PERIODIC, every `--mail-every` seconds.
FREQUENT: dict[str, Callable[[], int]] = {"emails sent": _send_mail}


def run_periodic(jobs: dict[str, Callable[[], int]] | None = None) -> dict[str, int]:
    """Run every periodic job once; a job that fails is logged and the others still run."""
    done = {}
    for name, job in (PERIODIC if jobs is None else jobs).items():
        try:
            done[name] = job()
            db.session.commit()
        except Exception:  # one broken job must not stop the others, nor the loop
            db.session.rollback()
            log.exception("periodic job failed: %s", name)
    db.session.remove()
    return done


@jobs_cli.command("run")
@click.option("--once", is_flag=True, help="Run every job once and exit (for cron or a systemd timer).")
@click.option("--every", default=60, show_default=True, type=click.IntRange(min=1), help="Seconds between runs.")
@click.option(
    "--mail-every", default=5, show_default=True, type=click.IntRange(min=1), help="Seconds between email sends."
)
def run_command(once: bool, every: int, mail_every: int) -> None:
    """Run the periodic jobs once, or forever every N seconds (sending email more often)."""
    next_round = time.monotonic()
    while True:
        full = time.monotonic() >= next_round
        if full:
            next_round = time.monotonic() + every
        done = run_periodic(None if full else FREQUENT)
        summary = ", ".join(f"{count} {name}" for name, count in done.items())
        if once:
            click.echo(summary)
            return
        if any(done.values()):
            log.info("periodic jobs: %s", summary)
        time.sleep(max(0.0, min(mail_every, next_round - time.monotonic())))
