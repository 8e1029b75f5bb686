"""`flask pools import-tasks POOL FILE`, `flask pools auto-approve`, `flask pools seed-demo`."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
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
    """Validate FILE (.csv, .jsonl, or a .zip of one of those and its media) in full, then add
    all its tasks, or none. Media columns may also hold https addresses to download."""
    pool = db.session.scalar(select(Pool).where(Pool.slug == pool_slug))
    if pool is None:
        raise click.ClickException(f"no pool '{pool_slug}'")
    with file.open("rb") as handle:
        if tasks.is_zip(handle.read(4)):
            handle.seek(0)
            report = tasks.import_zip(pool, handle, str(file))
        else:
            try:
                text = file.read_text(encoding="utf-8-sig")
            except UnicodeDecodeError:
                raise click.ClickException(f"{file}: the file is not UTF-8 text") from None
            report = tasks.import_tasks(pool, text, str(file))
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
    if report.media:
        click.echo(f"{report.media} media file(s) stored.")


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


CHECKS = """Some tasks are checks with known answers. They are how we measure accuracy: if it drops
below 70% after 5 checks, you are paused for 7 days. Take your time.
"""

PHOTOS_INSTRUCTIONS = (
    """Each task is one photo of a product for sale in an online shop. Choose the **one** category
that fits the product in the photo.

- Classify what the product **is**, not its colour or what it stands on.
- *Phones & accessories* is for phones and what goes with them: headphones, chargers, plugs,
  batteries and power banks. Computers, printers, cameras, radios and speakers are *Electronics*.
- *Kitchen* is for what you cook or eat with (pans, pots, cutlery, bowls, jars): a pan with an
  egg in it is still *Kitchen*. Food itself, and drinks, are *Food & drink*.
- Handbags, backpacks, purses, pouches and suitcases are *Bags*, not *Clothing*.

The "photos" in this demo pool were made by the Samaschool project: each product is an emoji
drawing (Noto Color Emoji) placed on a drawn table, not a photograph.

"""
    + CHECKS
)

BOXES_INSTRUCTIONS = (
    """Each photo shows one to three products on a table. Draw one box around **each** product and
give it the product's category (the categories and rules of the *Product photos* pool).

- Without JavaScript: choose the box's label, tap one corner of the product, then the opposite
  corner. *Undo* takes back the last corner or box. With JavaScript you can drag a box instead.
- Make each box tight: its edges touch the outermost points of the product. Leave the shadow out.
- Box every product once; never box the table or the wall.
- A box counts when it covers the right product closely (an overlap, intersection over union, of
  at least 50%) with the right label, and there are no extra boxes.

The "photos" were made by the Samaschool project from emoji drawings (Noto Color Emoji), so
the right boxes are known to the pixel.

"""
    + CHECKS
)

VOICE_INSTRUCTIONS = (
    """Each task is a short voice note (4 to 8 seconds) of the kind a business receives: orders,
delivery directions, appointment reminders and customer feedback, from Kenya, Uganda, India and
the United States. Listen, then type exactly what is said.

**The voices are computer-synthesised**: the notes were spoken by the free espeak-ng speech
synthesiser, not recorded from people, so some words sound robotic or are stressed oddly. Type
the words that are meant.

- Most notes are in **English**; five are in **Swahili**. Type each in the language spoken; do
  not translate.
- Write normal sentences: a capital letter at the start, commas and full stops where a writer
  would put them.
- Write numbers in words, as they are spoken ("two thousand shillings", "at ten in the morning").
- Spell names and places the usual way (Wanjiku, Kisumu, Chennai).
- Small slips are forgiven (about one character in ten); missing or extra words are not.
- The size of each clip is shown next to its player; it downloads only when you press play.

"""
    + CHECKS
)

AI_INSTRUCTIONS = (
    """Each task is a question someone asked an AI assistant, and two answers to it. Read both,
then choose the better answer, or *Both bad* when neither should be shown to the person who
asked. Say briefly why.

A better answer is, in this order:

1. **Safe**: it never leads the person into harm, a scam, or losing money or data.
2. **Accurate**: what it says is true and would work.
3. **Helpful**: it answers the question that was asked, clearly and briefly.

Length is not quality: a short correct answer beats a long wrong one. The questions and answers
in this demo pool were written for it; they are not real conversations.

"""
    + CHECKS
)


@dataclass(frozen=True)
class DemoPool:
    slug: str
    name: str
    description: str
    instructions: str
    task_type: str
    tasks_file: str  # in seed/
    labels_file: str | None = None  # in seed/, one label a line
    media_folder: str | None = None  # in seed/: zipped with the tasks file, as a manager would upload it
    reward_minor: int = 500
    lease_minutes: int = 15
    daily_cap: int = 200


DEMO_POOLS = (
    DemoPool(
        slug="product-classification",
        name="Product classification",
        description="Put product titles from online shops into the right category. Paid per approved task.",
        instructions=INSTRUCTIONS,
        task_type="classification",
        tasks_file="product-classification.csv",
        labels_file="product-classification-labels.txt",
    ),
    DemoPool(
        slug="product-photos",
        name="Product photos",
        description="Choose the category of the product in each photo. Paid per approved task.",
        instructions=PHOTOS_INSTRUCTIONS,
        task_type="image_classification",
        tasks_file="product-photos.csv",
        labels_file="product-photos-labels.txt",
        media_folder="media/photos",
    ),
    DemoPool(
        slug="product-photo-boxes",
        name="Product photos: boxes",
        description="Draw a box around each product in a photo and label it. Works without JavaScript.",
        instructions=BOXES_INSTRUCTIONS,
        task_type="bounding_boxes",
        tasks_file="product-photos-boxes.jsonl",
        labels_file="product-photos-labels.txt",
        media_folder="media/boxes",
        reward_minor=1500,
        lease_minutes=20,
        daily_cap=100,
    ),
    DemoPool(
        slug="voice-notes",
        name="Voice notes",
        description="Type out short voice notes (computer-synthesised speech) in English and Swahili.",
        instructions=VOICE_INSTRUCTIONS,
        task_type="audio_transcription",
        tasks_file="voice-notes.csv",
        media_folder="media/voice",
        reward_minor=1000,
        lease_minutes=20,
        daily_cap=100,
    ),
    DemoPool(
        slug="compare-ai-answers",
        name="Compare AI answers",
        description="Read two AI answers to an everyday question about digital work and choose the better one.",
        instructions=AI_INSTRUCTIONS,
        task_type="ai_comparison",
        tasks_file="ai-comparisons.jsonl",
        reward_minor=2000,
        lease_minutes=20,
        daily_cap=50,
    ),
)


def _demo_zip(demo: DemoPool) -> bytes:
    """The tasks file and its media folder as one zip, the way a pool manager uploads them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # the media are compressed already
        archive.write(SEED / demo.tasks_file, Path(demo.tasks_file).name)
        for path in sorted((SEED / demo.media_folder).iterdir()):
            archive.write(path, path.relative_to(SEED).as_posix())
    return buffer.getvalue()


@pools_cli.command("seed-demo")
def seed_demo_command() -> None:
    """Create the demo pools from seed/: each once, by its slug. Later runs change nothing, and a
    database seeded before a demo pool was added gets that pool on the next run."""
    for demo in DEMO_POOLS:
        if db.session.scalar(select(Pool.id).where(Pool.slug == demo.slug)) is not None:
            continue
        labels = []
        if demo.labels_file:
            lines = (SEED / demo.labels_file).read_text(encoding="utf-8").splitlines()
            labels = [line.strip() for line in lines if line.strip()]
        pool = Pool(
            slug=demo.slug,
            name=demo.name,
            client="Samaschool demo client",
            description=demo.description,
            instructions_markdown=demo.instructions,
            instructions_html=render_markdown(demo.instructions),
            task_type=demo.task_type,
            labels=labels,
            reward_minor=demo.reward_minor,
            currency="KES",
            status="open",
            lease_minutes=demo.lease_minutes,
            max_concurrent_claims=1,
            daily_cap=demo.daily_cap,
            overlap=1,
            review_mode="auto_days",
            auto_approve_days=3,
            required_certifications=["data-annotation"],
        )
        db.session.add(pool)
        db.session.flush()
        if demo.media_folder:
            report = tasks.import_zip(pool, _demo_zip(demo), f"seed/{Path(demo.tasks_file).stem}.zip")
        else:
            text = (SEED / demo.tasks_file).read_text(encoding="utf-8")
            report = tasks.import_tasks(pool, text, f"seed/{demo.tasks_file}")
        if report.errors:
            db.session.rollback()
            raise click.ClickException("; ".join(report.errors[:5]))
        db.session.commit()
        click.echo(f"Demo pool '{demo.name}' created with {report.created} tasks ({report.gold} gold).")
