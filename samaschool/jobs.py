"""Periodic work: lease expiry, auto-approval, overdue certificate awards.

Pages never do this on a GET. Each job is idempotent and commits on its own, so it is safe to
run from a timer as often as you like: `flask --app app jobs run --once` from cron, or
`flask --app app jobs run` as a small loop beside the web server (`make run` starts one).
Lease expiry also runs inside every claim and submit, so a slow timer never blocks work.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import click
from flask.cli import AppGroup

from samaschool.extensions import db

log = logging.getLogger(__name__)
jobs_cli = AppGroup("jobs", help="Periodic work (lease expiry, auto-approval, overdue awards).")


def _expire_leases() -> int:
    from samaschool.pools import work

    return work.expire_leases()


def _auto_approve() -> int:
    from samaschool.pools import review

    return review.auto_approve_due()


def _award_due() -> int:
    from samaschool.certification.cli import award_due

    return award_due(active_days=2)


PERIODIC: dict[str, Callable[[], int]] = {
    "expired leases": _expire_leases,
    "auto-approved submissions": _auto_approve,
    "overdue certificates issued": _award_due,
}


def run_periodic() -> dict[str, int]:
    """Run every periodic job once; a job that fails is logged and the others still run."""
    done = {}
    for name, job in PERIODIC.items():
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
def run_command(once: bool, every: int) -> None:
    """Run the periodic jobs once, or forever every N seconds."""
    while True:
        done = run_periodic()
        summary = ", ".join(f"{count} {name}" for name, count in done.items())
        if once:
            click.echo(summary)
            return
        if any(done.values()):
            log.info("periodic jobs: %s", summary)
        time.sleep(every)
