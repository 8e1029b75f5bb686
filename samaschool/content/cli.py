"""`flask courses validate|import [PATH]`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

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
@click.option(
    "--force", is_flag=True, help="Replace courses even where the studio holds edits that the files do not have."
)
def import_command(path: str | None, force: bool) -> None:
    """Validate, then import every course under PATH (a folder of courses, or one course's
    folder). Writes nothing if anything is wrong. Only the courses found are touched; the
    certifications only when PATH has a _certifications folder. Each folder also becomes the
    course's working copy in the studio; a course whose working copy holds studio edits newer
    than the files is skipped (export it from the studio first) unless --force is given."""
    from samaschool.catalog.models import Course
    from samaschool.studio.publishing import plan_folder_sync, sync_from_folder

    content = _checked_content(path, "; nothing was imported")
    plans = plan_folder_sync(content.courses, force=force)
    for plan in plans:
        if plan.blocked_by:
            click.echo(
                f"Skipped {plan.spec.slug}: it has studio edits that the files do not have (last saved by "
                f"{plan.blocked_by}). Export it from the studio and merge it into the folder, or run "
                "`flask --app app courses import --force` to replace the studio's edits.",
                err=True,
            )
    plans = [plan for plan in plans if not plan.blocked_by]
    specs = [plan.spec for plan in plans]
    total = sum(len(spec.lessons) for spec in specs)
    try:
        with click.progressbar(length=total, label="Importing lessons", file=sys.stderr) as bar:
            stats = import_courses(specs, on_lesson=lambda: bar.update(1))
        for plan in plans:
            sync_from_folder(plan, db.session.scalar(select(Course).where(Course.slug == plan.spec.slug)))
        certifications = None
        if content.certifications is not None:
            certifications = import_certifications(content.certifications)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    shown = "certifications left as they are" if certifications is None else f"{certifications} certification(s)"
    click.echo(f"Imported {len(specs)} course(s): {stats.summary()}; {shown}")
