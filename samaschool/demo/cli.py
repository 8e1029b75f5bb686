"""`flask demo generate --learners N [--seed S] [--until DATE] [--force]`."""

from __future__ import annotations

import time
from datetime import datetime

import click
from flask.cli import AppGroup

from samaschool.demo.generator import DEFAULT_PASSWORD, DEMO_DOMAIN, DemoRefused, generate

demo_cli = AppGroup("demo", help="Synthetic data for demos and benchmarks.")


@demo_cli.command("generate")
@click.option("--learners", type=click.IntRange(1, 1_000_000), required=True, help="How many learners to add.")
@click.option("--seed", type=click.IntRange(min=0), default=1, show_default=True, help="The same seed, the same rows.")
@click.option(
    "--until",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day the made-up history ends (it spans the 18 months before). Default: today (UTC).",
)
@click.option("--password", default=DEFAULT_PASSWORD, show_default=True, help="The password of every demo account.")
@click.option("--force", is_flag=True, help="Add demo data even to a database that holds real accounts.")
def generate_command(learners: int, seed: int, until: datetime | None, password: str, force: bool) -> None:
    """Fill the database with realistic, made-up learners on top of its courses, quizzes,
    certifications and pools: enrolments, lessons done, quiz attempts, certificates, pool work,
    reviews, suspensions, earnings and payouts. Demo accounts have emails at the demo domain.
    Refuses a database with real accounts unless --force; a seed already generated adds nothing."""
    began = time.monotonic()
    with click.progressbar(length=learners, label=f"Generating {learners} learners (seed {seed})") as bar:
        try:
            summary = generate(
                learners,
                seed=seed,
                until=until.date() if until else None,
                force=force,
                password=password,
                progress=bar.update,
            )
        except DemoRefused as error:
            raise click.ClickException(str(error)) from None
    if summary.already_generated:
        click.echo(
            f"Seed {seed} was already generated here ({summary.already_generated} demo accounts): nothing was added. "
            "Give another --seed to add more learners."
        )
        return
    for note in summary.notes:
        click.echo(f"note: {note}")
    width = max(len(name) for name in summary.rows)
    for name, count in sorted(summary.rows.items()):
        click.echo(f"  {name:<{width}}  {count:>9,}")
    click.echo(
        f"Done in {time.monotonic() - began:.1f} s. Every demo account (…@{DEMO_DOMAIN}) has the password {password!r}."
    )
