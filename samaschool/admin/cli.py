"""`flask users …`: account tasks for operators."""

from __future__ import annotations

import os

import click
from flask.cli import AppGroup

from samaschool.admin.services import ensure_admin
from samaschool.errors import NotAllowed
from samaschool.extensions import db

users_cli = AppGroup("users", help="Manage accounts.")


@users_cli.command("ensure-admin")
def ensure_admin_command() -> None:
    """Create the first admin (from SAMASCHOOL_ADMIN_EMAIL/PASSWORD, or with a generated password)."""
    try:
        result = ensure_admin(os.environ.get("SAMASCHOOL_ADMIN_EMAIL"), os.environ.get("SAMASCHOOL_ADMIN_PASSWORD"))
    except NotAllowed as error:
        raise click.ClickException(str(error)) from None
    if result is None:
        return
    user, generated = result
    db.session.commit()
    if generated:
        click.echo("")
        click.echo("  First admin account created. This password is shown only this once:")
        click.echo(f"    email:    {user.email}")
        click.echo(f"    password: {generated}")
        click.echo("  Log in and change it under Account > Password.")
        click.echo("")
    else:
        click.echo(f"Admin account ready: {user.email}")
