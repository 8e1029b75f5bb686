"""Course outlines are cached per app (one per process) and keyed by the course's content version
in the database: a publish, a re-import or any other change to a course's modules, lessons or
quizzes shows on the next page, in this app and in another app serving the same database."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import select

from samaschool import config, create_app
from samaschool.assessments.models import Quiz
from samaschool.catalog.models import Lesson, Module
from samaschool.extensions import db
from samaschool.permissions import Role
from tests.conftest import Client
from tests.factories import PASSWORD
from tests.studio.helpers import LESSON, course_folder, import_folder, studio_course


@pytest.fixture
def second_app(app, database_url, tmp_path):
    """Another instance of the app on the same database, as a second process or server would be."""
    other = create_app(config.for_tests(str(tmp_path / "second-instance"), database_url))
    other.test_client_class = Client
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def _learner(app, make, course):
    learner = make.user()
    make.enrolment(learner, course)
    client = app.test_client()
    assert client.submit("/account/login", {"email": learner.email, "password": PASSWORD}).status_code == 302
    return client


def _text(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _version(page: str) -> str:
    return re.search(r'name="version" value="(\d+)"', page).group(1)


def test_a_publish_in_another_instance_shows_at_once_in_both(app, second_app, make):
    owner = make.user(Role.TRAINER)
    course = studio_course(app, make, owner)
    lesson_url = f"/courses/{course.slug}/lessons/first-lesson"
    here, there = _learner(app, make, course), _learner(second_app, make, course)
    for client in (here, there):  # both instances hold the outline now
        assert "A label says what an item" in _text(client, lesson_url)
        assert "Further reading" in _text(client, f"/courses/{course.slug}")

    author = second_app.test_client()
    author.submit("/account/login", {"email": owner.email, "password": PASSWORD})
    edit = f"/studio/{course.slug}/lessons/first-lesson"
    author.submit(
        edit,
        {
            "title": "First lesson, rewritten",
            "minutes": "7",
            "version": _version(_text(author, edit)),
            "action": "save",
            "body": "A new way to explain labels.",
        },
    )
    studio = f"/studio/{course.slug}/"
    archive = f"/studio/{course.slug}/lessons/further-reading/archive"
    author.submit(archive, {"version": _version(_text(author, studio))}, page=studio)
    assert author.submit(f"/studio/{course.slug}/publish", {}, page=studio).status_code == 302

    for client in (here, there):
        page = _text(client, lesson_url)
        assert "A new way to explain labels." in page and "First lesson, rewritten" in page
        assert "Lesson 1 of 2" in page
        outline = _text(client, f"/courses/{course.slug}")
        assert "First lesson, rewritten" in outline and "Further reading" not in outline
        assert client.get(f"/courses/{course.slug}/lessons/further-reading").status_code == 404


def test_a_reimport_of_the_folder_shows_at_once_on_every_page(app, second_app, make):
    course = studio_course(app, make)
    here, there = _learner(app, make, course), _learner(second_app, make, course)
    for client in (here, there):
        assert "Check each label twice" in _text(client, f"/courses/{course.slug}/lessons/second-lesson")
        assert "Check the basics" in _text(client, f"/courses/{course.slug}")

    with second_app.app_context(), tempfile.TemporaryDirectory() as tmp:
        folder = course_folder(Path(tmp), course.slug)
        (folder / "basics" / "second-lesson.md").write_text(
            LESSON.format(title="Second lesson, re-imported", body="Read every label aloud.")
        )
        (folder / "basics" / "quiz.yml").write_text(
            (folder / "basics" / "quiz.yml").read_text().replace("Check the basics", "Basics, checked again")
        )
        import_folder(Path(tmp))
        db.session.commit()

    for client in (here, there):
        page = _text(client, f"/courses/{course.slug}/lessons/second-lesson")
        assert "Read every label aloud." in page and "Second lesson, re-imported" in page
        outline = _text(client, f"/courses/{course.slug}")
        assert "Basics, checked again" in outline and "Check the basics" not in outline


def test_any_change_to_a_lesson_module_or_quiz_moves_the_course_version(app, make):
    """Not only the importer: any ORM change to a course's content is seen on the next page."""
    course = make.course(modules=2, lessons_per_module=2)
    client = _learner(app, make, course)
    lesson_url = f"/courses/{course.slug}/lessons/lesson-1-1"
    assert "Lesson 1.1 text." in _text(client, lesson_url)
    assert "Module quiz" not in _text(client, f"/courses/{course.slug}")

    with app.app_context():  # a lesson alone changes: the course row is not loaded
        lesson = db.session.scalar(select(Lesson).where(Lesson.course_id == course.id, Lesson.slug == "lesson-1-1"))
        lesson.body_html = "<p>Rewritten in place.</p>"
        db.session.commit()
    assert "Rewritten in place." in _text(client, lesson_url)

    with app.app_context():  # a module leaves the outline
        module = db.session.scalar(select(Module).where(Module.course_id == course.id, Module.slug == "module-2"))
        module.archived_at = module.course.created_at
        db.session.commit()
    assert "Lesson 1 of 2" in _text(client, lesson_url)
    assert client.get(f"/courses/{course.slug}/lessons/lesson-2-1").status_code == 404

    make.quiz(course, module=1, title="Module quiz")  # a quiz is added
    assert "Module quiz" in _text(client, f"/courses/{course.slug}")
    with app.app_context():
        quiz = db.session.scalar(select(Quiz).where(Quiz.course_id == course.id))
        quiz.title = "Renamed quiz"
        db.session.commit()
    assert "Renamed quiz" in _text(client, f"/courses/{course.slug}")


def test_an_unpublished_course_leaves_every_instance_at_once(app, second_app, make):
    course = make.course()
    here, there = _learner(app, make, course), _learner(second_app, make, course)
    for client in (here, there):
        assert client.get(f"/courses/{course.slug}/lessons/lesson-1-1").status_code == 200
    with second_app.app_context():
        from samaschool.catalog.models import Course

        db.session.get(Course, course.id).is_published = False
        db.session.commit()
    for client in (here, there):
        assert client.get(f"/courses/{course.slug}/lessons/lesson-1-1").status_code == 404
        assert client.get(f"/courses/{course.slug}").status_code == 404
