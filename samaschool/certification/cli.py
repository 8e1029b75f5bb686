"""`flask certs rotate-key`, `flask certs award-due`."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import select

from samaschool.certification import keys, services
from samaschool.certification.models import Certificate
from samaschool.db_types import utcnow
from samaschool.extensions import db

certs_cli = AppGroup("certs", help="Signing keys and credentials.")


@certs_cli.command("rotate-key")
@click.option("--reissue", is_flag=True, help="Also sign every unrevoked credential again with the new key.")
def rotate_key_command(reissue: bool) -> None:
    """Make a new signing key. Old keys stay published, so credentials they signed still verify."""
    kid = keys.rotate()
    click.echo(f"New signing key: {kid}. Previous keys remain in /.well-known/jwks.json.")
    if reissue:
        count = 0
        for certificate in db.session.scalars(select(Certificate).where(Certificate.revoked_at.is_(None))):
            services.reissue_credential(None, certificate)
            count += 1
        db.session.commit()
        click.echo(f"Signed {count} credential(s) again.")


@certs_cli.command("award-due")
@click.option("--active-days", type=click.IntRange(min=1), help="Only learners active in the last N days.")
def award_due_command(active_days: int | None) -> None:
    """Issue every certificate that is earned but missing. Idempotent: safe on a timer."""
    click.echo(f"Issued {award_due(active_days)} certificate(s).")


def award_due(active_days: int | None = None) -> int:
    since = utcnow() - timedelta(days=active_days) if active_days else None
    issued = 0
    for user_id in services.learners_who_may_be_due(since):
        issued += len(services.award_due(user_id))
        db.session.commit()  # one learner at a time: their row's lock is held only briefly
    return issued
