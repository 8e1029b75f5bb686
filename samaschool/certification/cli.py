"""`flask certs rotate-key` and `flask certs reissue`."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from samaschool.certification import keys, services
from samaschool.certification.models import Certificate
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
