"""`flask courses validate|import [PATH]`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from samaschool.content.course_folder import read_content
from samaschool.content.importer import import_certifications, import_courses
from samaschool.extensions import db

courses_cli = AppGroup("courses", help="Check and import course content from the courses/ folder.")


def _checked_content(path: str | None, consequence: str):
    """Everything under PATH, or every problem printed as file:line: message and exit 1."""
    content = read_content(Path(path or current_app.config["SAMASCHOOL_COURSES_PATH"]))
    if content.problems:
        for problem in content.problems:
            click.echo(str(problem))
        click.echo(f"{len(content.problems)} problem(s) found{consequence}.", err=True)
        raise SystemExit(1)
    return content


@courses_cli.command("validate")
@click.argument("path", required=False)
def validate_command(path: str | None) -> None:
    """Check every course under PATH (default: courses/); print file:line: message per problem."""
    content = _checked_content(path, "")
    specs = content.courses
    lessons = sum(len(spec.lessons) for spec in specs)
    questions = sum(len(spec.questions) for spec in specs)
    quizzes = sum(len(spec.quizzes) for spec in specs)
    click.echo(
        f"OK: {len(specs)} course(s), {lessons} lesson(s), {questions} question(s), {quizzes} quiz(zes), "
        f"{len(content.certifications or [])} certification(s)."
    )


@courses_cli.command("import")
@click.argument("path", required=False)
def import_command(path: str | None) -> None:
    """Validate, then import every course under PATH (a folder of courses, or one course's
    folder). Writes nothing if anything is wrong. Only the courses found are touched; the
    certifications only when PATH has a _certifications folder."""
    content = _checked_content(path, "; nothing was imported")
    specs = content.courses
    total = sum(len(spec.lessons) for spec in specs)
    try:
        with click.progressbar(length=total, label="Importing lessons", file=sys.stderr) as bar:
            stats = import_courses(specs, on_lesson=lambda: bar.update(1))
        certifications = None
        if content.certifications is not None:
            certifications = import_certifications(content.certifications)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    shown = "certifications left as they are" if certifications is None else f"{certifications} certification(s)"
    click.echo(f"Imported {len(specs)} course(s): {stats.summary()}; {shown}")
