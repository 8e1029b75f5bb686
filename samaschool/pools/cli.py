"""`flask pools import-tasks POOL FILE`, `flask pools auto-approve`, `flask pools seed-demo`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from samaschool.content.markdown import render_markdown
from samaschool.extensions import db
from samaschool.pools import review, tasks, work
from samaschool.pools.models import Pool

pools_cli = AppGroup("pools", help="Task pools.")
SEED = Path(__file__).resolve().parents[2] / "seed"


@pools_cli.command("import-tasks")
@click.argument("pool_slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_tasks_command(pool_slug: str, file: Path) -> None:
    """Validate FILE (.csv or .jsonl) in full, then add all its tasks, or none."""
    pool = db.session.scalar(select(Pool).where(Pool.slug == pool_slug))
    if pool is None:
        raise click.ClickException(f"no pool '{pool_slug}'")
    report = tasks.import_tasks(pool, file.read_text(encoding="utf-8-sig"), str(file))
    if report.errors:
        db.session.rollback()
        for error in report.errors:
            click.echo(error)
        click.echo(f"{len(report.errors)} problem(s); nothing was imported.", err=True)
        raise SystemExit(1)
    db.session.commit()
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"Imported {report.created} task(s) into {pool.slug}, {report.gold} gold.")


@pools_cli.command("auto-approve")
def auto_approve_command() -> None:
    """Approve submissions whose pool's auto-approval delay has passed; expire lapsed leases.
    Safe to run from a timer as often as you like."""
    expired = work.expire_leases()
    approved = review.auto_approve_due()
    db.session.commit()
    click.echo(f"Approved {approved} submission(s); {expired} lease(s) expired.")


INSTRUCTIONS = """Each task is one product title from an online shop. Choose the **one** category
that fits best, using the category tree and the rules from the *Data Annotation Essentials*
course (lesson "The course category tree").

- Classify what the product **is**, not the brand or what it fits.
- Accessories go under *Phone accessories* or *Computers & tablets*, not with the device.
- Bundles go by their main item; a free gift never decides.
- When unsure between two, re-read the rules; if the title tells you too little, still choose
  the most specific category you are sure of.

Some tasks are checks with known answers. They are how we measure accuracy: if it drops
below 70% after 5 checks, you are paused for 7 days. Take your time.
"""


@pools_cli.command("seed-demo")
def seed_demo_command() -> None:
    """Create the demo pool "Product classification" from seed/ (once; later runs change nothing)."""
    if db.session.scalar(select(Pool).where(Pool.slug == "product-classification")) is not None:
        return
    labels = [
        line.strip() for line in (SEED / "product-classification-labels.txt").read_text().splitlines() if line.strip()
    ]
    pool = Pool(
        slug="product-classification",
        name="Product classification",
        client="Samaschool demo client",
        description="Put product titles from online shops into the right category. Paid per approved task.",
        instructions_markdown=INSTRUCTIONS,
        instructions_html=render_markdown(INSTRUCTIONS),
        task_type="classification",
        labels=labels,
        reward_minor=500,
        currency="KES",
        status="open",
        lease_minutes=15,
        max_concurrent_claims=1,
        daily_cap=200,
        overlap=1,
        review_mode="auto_days",
        auto_approve_days=3,
        required_certifications=["data-annotation"],
    )
    db.session.add(pool)
    db.session.flush()
    report = tasks.import_tasks(
        pool, (SEED / "product-classification.csv").read_text(encoding="utf-8"), "seed/product-classification.csv"
    )
    if report.errors:
        db.session.rollback()
        raise click.ClickException("; ".join(report.errors[:5]))
    db.session.commit()
    click.echo(f"Demo pool 'Product classification' created with {report.created} tasks ({report.gold} gold).")
