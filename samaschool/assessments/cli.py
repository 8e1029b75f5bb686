"""`flask questions import FILE.gift --course SLUG` and `flask questions export --course SLUG`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from samaschool.assessments.models import Question
from samaschool.catalog.models import Course
from samaschool.content.checks import Checker
from samaschool.content.gift import SkippedItem, parse_gift, to_gift
from samaschool.content.quiz_files import check_question
from samaschool.content.yamlfile import Located
from samaschool.extensions import db

questions_cli = AppGroup("questions", help="Import and export question banks as Moodle GIFT.")


def _course(slug: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise click.ClickException(f"no course with slug '{slug}'")
    return course


@questions_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--course", "slug", required=True, help="The course whose bank receives the questions.")
@click.option(
    "--skip-unsupported",
    is_flag=True,
    help="Import every question that can be imported, and list by line what was skipped or left out, and why.",
)
def import_command(file: Path, slug: str, skip_unsupported: bool) -> None:
    """Validate FILE fully, then add or update its questions.

    Nothing is written on any problem, unless --skip-unsupported is given: then the questions that can be
    imported are, and every item skipped (essays, descriptions, anything we cannot grade) is listed by line.
    """
    course = _course(slug)
    shown = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        click.echo(f"{shown}:1: not UTF-8 text")
        raise SystemExit(1) from None
    parsed, problems = parse_gift(text, shown)
    checker = Checker()
    doc = Located(data=[q.spec for q in parsed], file=shown, lines={(i,): q.line for i, q in enumerate(parsed)})
    existing = {q.key: q for q in db.session.scalars(select(Question).where(Question.course_id == course.id))}
    specs, rejected, incomplete = [], [], 0
    skipped = sum(isinstance(problem, SkippedItem) for problem in problems)
    for index, question in enumerate(parsed):
        before = len(checker.problems)
        spec = check_question(question.spec, doc, (index,), checker)
        if spec is not None:
            clash = existing.get(spec.key)
            if clash is not None and clash.source != "gift":
                checker.add(
                    shown, question.line, f"question id '{spec.key}' is already used by a question from courses/"
                )
        if len(checker.problems) == before:
            specs.append(spec)
            incomplete += bool(question.notes)
        else:
            rejected += checker.problems[before:]
            skipped += 1
    everything = sorted([*problems, *checker.problems], key=lambda p: p.line)
    if everything and not skip_unsupported:
        for problem in everything:
            click.echo(str(problem))
        click.echo(f"{len(everything)} problem(s) found; nothing was imported.", err=True)
        raise SystemExit(1)
    for problem in everything:
        if isinstance(problem, SkippedItem) or problem in rejected:
            click.echo(f"{problem.file}:{problem.line}: skipped: {problem.message}")
        else:
            click.echo(str(problem))  # what a question lost
    created = 0
    for spec in specs:
        question = existing.get(spec.key)
        if question is None:
            question = Question(course_id=course.id, key=spec.key, source="gift")
            db.session.add(question)
            created += 1
        question.type, question.tags, question.points = spec.type, spec.tags, spec.points
        question.text_html, question.explanation_html = spec.text_html, spec.explanation_html
        question.data, question.spec, question.archived_at = spec.data, spec.spec, None
    db.session.commit()
    summary = f"Imported {len(specs)} question(s) into {course.slug}: {created} new, {len(specs) - created} updated."
    if skip_unsupported:
        summary += f" Skipped {skipped} item(s); {incomplete} imported question(s) lost something, as listed above."
    click.echo(summary)


@questions_cli.command("export")
@click.option("--course", "slug", required=True, help="The course whose bank to export.")
def export_command(slug: str) -> None:
    """Write the course's live question bank as GIFT to standard output."""
    course = _course(slug)
    questions = db.session.scalars(
        select(Question).where(Question.course_id == course.id, Question.archived_at.is_(None)).order_by(Question.id)
    )
    text, skipped = to_gift([q.spec for q in questions])
    sys.stdout.write(text)
    for message in skipped:
        click.echo(message, err=True)
