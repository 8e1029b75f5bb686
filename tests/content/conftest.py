from pathlib import Path
from textwrap import dedent

import pytest


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dedent(text).lstrip())
    return path


def lesson(title: str = "A lesson", minutes: int = 5, body: str = "Some text.") -> str:
    return f"---\ntitle: {title}\nminutes: {minutes}\n---\n{body}\n"


@pytest.fixture
def course_dir(tmp_path):
    """A small valid course: courses/first-steps with two modules."""
    root = tmp_path / "courses"
    course = root / "first-steps"
    write(
        course / "course.yml",
        """
        title: First Steps
        summary: Start here.
        level: beginner
        language: en
        estimated_hours: 2
        modules:
          - slug: basics
            title: Basics
            lessons:
              - hello
              - files
          - slug: safety
            title: Safety
            lessons:
              - passwords
        """,
    )
    write(course / "basics" / "hello.md", lesson("Hello", 5, "Welcome to **Samaschool**."))
    write(course / "basics" / "files.md", lesson("Files", 7))
    write(course / "safety" / "passwords.md", lesson("Passwords", 8))
    return root
