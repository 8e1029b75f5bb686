"""A small course with a studio working copy, published, and its staff: for studio tests."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from sqlalchemy import select

from samaschool.catalog.models import Course
from samaschool.content.course_folder import read_content
from samaschool.content.importer import import_courses
from samaschool.extensions import db
from samaschool.studio.models import CourseStaff
from samaschool.studio.publishing import plan_folder_sync, sync_from_folder

_numbers = itertools.count(1)

COURSE_YML = """\
title: {title}
summary: A short course for studio tests.
level: beginner
language: en
estimated_hours: 1
modules:
  - slug: basics
    title: The basics
    lessons:
      - first-lesson
      - second-lesson
      - further-reading
"""

LESSON = """\
---
title: {title}
minutes: 5
---
{body}
"""

BANK = """\
- id: q-one
  type: single_choice
  lesson: first-lesson
  tags: [basics]
  text: Which answer is right?
  choices:
    - text: Right answer
      correct: true
    - text: Wrong answer
- id: q-two
  type: true_false
  lesson: second-lesson
  tags: [basics]
  text: A label names what the item is.
  answer: true
- id: q-three
  type: short_answer
  lesson: second-lesson
  tags: [exam-only]
  text: What three letters end a PDF file's name?
  answers: [pdf]
"""

QUIZ = """\
title: Check the basics
pass_mark_percent: 50
questions:
  - q-one
  - q-two
"""

EXAM = """\
title: Final exam
pass_mark_percent: 60
questions:
  - q-one
  - q-two
  - q-three
"""


def course_folder(root: Path, slug: str, title: str = "Studio Test Course") -> Path:
    """Write the small course as a folder `root/<slug>/` and return it."""
    folder = root / slug
    (folder / "basics").mkdir(parents=True)
    (folder / "questions").mkdir()
    (folder / "course.yml").write_text(COURSE_YML.format(title=title))
    (folder / "basics" / "first-lesson.md").write_text(
        LESSON.format(title="First lesson", body="A label says what an item **is**.")
    )
    (folder / "basics" / "second-lesson.md").write_text(
        LESSON.format(title="Second lesson", body="Check each label twice before you submit.")
    )
    (folder / "basics" / "further-reading.md").write_text(
        LESSON.format(title="Further reading", body="Read the pool's instructions before each task.")
    )
    (folder / "basics" / "quiz.yml").write_text(QUIZ)
    (folder / "questions" / "bank.yml").write_text(BANK)
    (folder / "exam.yml").write_text(EXAM)
    return folder


def import_folder(root: Path, *, force: bool = True) -> None:
    """What `courses import` does, for the course folders under `root` (in an app context)."""
    content = read_content(root)
    assert not content.problems, [str(p) for p in content.problems]
    plans = plan_folder_sync(content.courses, force=force)
    import_courses([plan.spec for plan in plans])
    for plan in plans:
        sync_from_folder(plan, db.session.scalar(select(Course).where(Course.slug == plan.spec.slug)))


def studio_course(app, make, owner=None, co_trainers=(), *, slug: str | None = None) -> Course:
    """A published course with a working copy; `owner` and `co_trainers` (trainer users) on its
    staff. Returns the detached course."""
    slug = slug or f"studio-course-{next(_numbers)}"
    with app.app_context(), tempfile.TemporaryDirectory() as tmp:
        course_folder(Path(tmp), slug)
        import_folder(Path(tmp))
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        if owner is not None:
            db.session.add(CourseStaff(course_id=course.id, user_id=owner.id, role="owner"))
        for trainer in co_trainers:
            db.session.add(CourseStaff(course_id=course.id, user_id=trainer.id, role="co_trainer"))
        db.session.commit()
        db.session.refresh(course)
        db.session.expunge(course)
        return course
