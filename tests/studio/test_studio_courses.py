"""The studio's course pages: create, outline, lessons, drafts, publishing, conflicts."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from samaschool.catalog.models import Course, Lesson
from samaschool.extensions import db
from samaschool.learning.models import LessonProgress
from samaschool.permissions import Role
from samaschool.studio import files
from tests import media_samples
from tests.studio.helpers import studio_course


def _version(html: str) -> str:
    return re.search(r'name="version" (?:type="hidden" )?value="(\d+)"', html).group(1)


def _login(auth, user):
    auth.login(user.email)


def test_a_trainer_creates_a_course_that_only_its_staff_see(client, auth, make):
    trainer = make.user(Role.TRAINER)
    learner = make.user()
    _login(auth, trainer)
    bad = client.submit(
        "/studio/new",
        {
            "title": "Spreadsheets for data work",
            "slug": "Bad Slug!",
            "level": "beginner",
            "language": "en",
            "estimated_hours": "3",
            "summary": "Sort and filter.",
        },
    )
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert (
        "Use lower-case letters" in page and 'value="Spreadsheets for data work"' in page and "Sort and filter." in page
    )
    made = client.submit(
        "/studio/new",
        {
            "title": "Spreadsheets for data work",
            "slug": "spreadsheets",
            "level": "beginner",
            "language": "en",
            "estimated_hours": "3",
            "summary": "Sort and filter.",
        },
    )
    assert made.status_code == 302 and made.headers["Location"].endswith("/studio/spreadsheets/")
    assert "Not published yet" in client.get("/studio/spreadsheets/").get_data(as_text=True)
    again = client.submit(
        "/studio/new",
        {"title": "Again", "slug": "spreadsheets", "level": "beginner", "language": "en", "estimated_hours": "3"},
    )
    assert again.status_code == 422 and "exists already" in again.get_data(as_text=True)
    auth.logout()
    _login(auth, learner)
    assert client.get("/courses/spreadsheets").status_code == 404
    assert client.get("/studio/spreadsheets/").status_code == 403


def test_modules_and_lessons_are_added_reordered_and_a_replayed_move_changes_nothing(client, auth, make, app):
    owner = make.user(Role.TRAINER)
    course = studio_course(app, make, owner)
    _login(auth, owner)
    outline = f"/studio/{course.slug}/"
    version = _version(client.get(outline).get_data(as_text=True))
    added = client.submit(
        f"{outline}modules", {"title": "Working with labels", "slug": "labels", "version": version}, page=outline
    )
    assert added.status_code == 302
    page = client.get(outline).get_data(as_text=True)
    assert page.index("The basics") < page.index("Working with labels")
    version = _version(page)
    move = {"version": version, "direction": "up"}
    assert client.submit(f"{outline}modules/labels/move", move, page=outline).status_code == 302
    page = client.get(outline).get_data(as_text=True)
    assert page.index("Working with labels") < page.index("The basics")
    replay = client.submit(f"{outline}modules/labels/move", move, page=outline)  # the same form again
    assert replay.status_code == 302
    page = client.get(replay.headers["Location"]).get_data(as_text=True)
    assert "nothing was changed" in page and page.index("Working with labels") < page.index("The basics")

    lesson = client.submit(
        f"{outline}modules/labels/lessons",
        {"title": "Reading a label", "slug": "reading-a-label", "minutes": "6", "version": _version(page)},
        page=outline,
    )
    assert lesson.status_code == 302 and lesson.headers["Location"].endswith("/lessons/reading-a-label")
    with app.app_context():
        text = files.get(db.session.get(Course, course.id), "labels/reading-a-label.md").text
        course_yml = files.get(db.session.get(Course, course.id), "course.yml").text
    assert text == "---\ntitle: Reading a label\nminutes: 6\n---\n"
    assert "  - slug: labels\n    title: Working with labels\n    lessons:\n      - reading-a-label\n" in course_yml


def test_the_lesson_editor_keeps_text_on_errors_previews_and_detects_a_second_trainer(client, auth, make, app):
    owner, co = make.user(Role.TRAINER), make.user(Role.TRAINER, name="Wanjiru Kamau")
    course = studio_course(app, make, owner, [co])
    url = f"/studio/{course.slug}/lessons/first-lesson"
    _login(auth, owner)
    page = client.get(url).get_data(as_text=True)
    assert "A label says what an item **is**." in page
    version = _version(page)

    broken = client.submit(
        url,
        {
            "title": "First lesson",
            "minutes": "5",
            "version": version,
            "action": "save",
            "body": "See ![](../media/missing.png)",
        },
    )
    assert broken.status_code == 422
    body = broken.get_data(as_text=True)
    assert "See ![](../media/missing.png)" in body and "basics/first-lesson.md:" in body

    preview = client.submit(
        url,
        {
            "title": "First lesson",
            "minutes": "5",
            "version": version,
            "action": "preview",
            "body": "## Why\nA label <script>alert(1)</script>**matters**.",
        },
    )
    html = preview.get_data(as_text=True)
    assert "<strong>matters</strong>" in html and "<script>alert(1)" not in html
    with app.app_context():
        assert files.get(db.session.get(Course, course.id), "basics/first-lesson.md").version == int(version)

    # Another trainer saves first…
    other = app.test_client()
    other.submit("/account/login", {"email": co.email, "password": "correct horse battery staple"})
    assert (
        other.submit(
            url, {"title": "First lesson", "minutes": "5", "version": version, "action": "save", "body": "Their text."}
        ).status_code
        == 302
    )
    # …so the second save is a conflict, not an overwrite, and keeps what was typed.
    mine = client.submit(
        url, {"title": "First lesson", "minutes": "5", "version": version, "action": "save", "body": "My text."}
    )
    assert mine.status_code == 409
    page = mine.get_data(as_text=True)
    assert "Wanjiru Kamau saved basics/first-lesson.md after you opened it" in page
    assert "My text." in page and "Their text." in page
    with app.app_context():
        assert "Their text." in files.get(db.session.get(Course, course.id), "basics/first-lesson.md").text


def test_learners_see_a_draft_only_after_publishing_and_keep_their_progress(client, auth, make, app):
    owner, learner = make.user(Role.TRAINER), make.user()
    course = studio_course(app, make, owner)
    with app.app_context():
        first = db.session.scalar(select(Lesson).where(Lesson.course_id == course.id, Lesson.slug == "first-lesson"))
        first_id = first.id
    _login(auth, learner)
    client.submit(f"/courses/{course.slug}/enrol", {}, page=f"/courses/{course.slug}")
    client.submit(
        f"/courses/{course.slug}/lessons/first-lesson/complete", {}, page=f"/courses/{course.slug}/lessons/first-lesson"
    )
    auth.logout()

    _login(auth, owner)
    url = f"/studio/{course.slug}/lessons/first-lesson"
    version = _version(client.get(url).get_data(as_text=True))
    client.submit(
        url,
        {
            "title": "First lesson, rewritten",
            "minutes": "7",
            "version": version,
            "action": "save",
            "body": "A new way to explain labels.",
        },
    )
    outline = f"/studio/{course.slug}/"
    client.submit(
        f"/studio/{course.slug}/lessons/further-reading/archive",
        {"version": _version(client.get(outline).get_data(as_text=True))},
        page=outline,
    )
    assert "You have changes that learners do not see yet." in client.get(outline).get_data(as_text=True)
    auth.logout()

    _login(auth, learner)
    assert "A label says what an item" in client.get(f"/courses/{course.slug}/lessons/first-lesson").get_data(
        as_text=True
    )
    assert client.get(f"/courses/{course.slug}/lessons/further-reading").status_code == 200
    auth.logout()

    _login(auth, owner)
    published = client.submit(f"/studio/{course.slug}/publish", {}, page=outline)
    assert published.status_code == 302
    assert "Published: learners now see this version" in client.get(outline).get_data(as_text=True)
    auth.logout()

    _login(auth, learner)
    page = client.get(f"/courses/{course.slug}/lessons/first-lesson").get_data(as_text=True)
    assert "A new way to explain labels." in page and "First lesson, rewritten" in page
    assert client.get(f"/courses/{course.slug}/lessons/further-reading").status_code == 404
    with app.app_context():
        assert (
            db.session.scalar(select(Lesson.id).where(Lesson.course_id == course.id, Lesson.slug == "first-lesson"))
            == first_id
        )
        assert db.session.scalar(select(LessonProgress).where(LessonProgress.lesson_id == first_id)) is not None
        archived = db.session.scalar(
            select(Lesson).where(Lesson.course_id == course.id, Lesson.slug == "further-reading")
        )
        assert archived.archived_at is not None


def test_publishing_a_course_that_does_not_validate_changes_nothing_and_names_file_and_line(client, auth, make, app):
    owner = make.user(Role.TRAINER)
    course = studio_course(app, make, owner)
    with app.app_context():
        row = files.get(db.session.get(Course, course.id), "exam.yml")
        row.text = row.text.replace("pass_mark_percent: 60", "pass_mark_percent: 160")
        row.version += 1
        db.session.commit()
    _login(auth, owner)
    outline = f"/studio/{course.slug}/"
    refused = client.submit(f"/studio/{course.slug}/publish", {}, page=outline)
    assert refused.status_code == 422
    assert (
        "<code>exam.yml:2</code> &#39;pass_mark_percent&#39; must be a whole number from 0 to 100"
        in refused.get_data(as_text=True)
    )
    with app.app_context():
        assert db.session.get(Course, course.id).published_digest != files.digest(db.session.get(Course, course.id))


def test_uploads_are_checked_and_inserted_into_the_lesson(client, auth, make, app):
    owner = make.user(Role.TRAINER)
    course = studio_course(app, make, owner)
    url = f"/studio/{course.slug}/lessons/first-lesson"
    _login(auth, owner)
    version = _version(client.get(url).get_data(as_text=True))
    form = {"title": "First lesson", "minutes": "5", "version": version, "action": "upload", "body": "Look:"}
    php = client.submit(
        url, {**form, "media_text": "A shoe", "media": (io.BytesIO(media_samples.php_as_png()), "shoe.png")}
    )
    assert php.status_code == 422 and "shoe.png:" in php.get_data(as_text=True)
    no_alt = client.submit(url, {**form, "media": (io.BytesIO(media_samples.png()), "shoe.png")})
    assert no_alt.status_code == 422 and "Describe the image" in no_alt.get_data(as_text=True)
    big = client.submit(
        url,
        {
            **form,
            "media_text": "A blue shoe on a table",
            "media": (io.BytesIO(media_samples.png(2000, 1500)), "Blue Shoe.PNG"),
        },
    )
    assert big.status_code == 200
    page = big.get_data(as_text=True)
    assert "Look:\n\n![A blue shoe on a table](../media/blue-shoe.png)" in page
    saved = client.submit(
        url, {**form, "action": "save", "body": "Look:\n\n![A blue shoe on a table](../media/blue-shoe.png)"}
    )
    assert saved.status_code == 302
    preview = client.get(f"/studio/{course.slug}/preview/first-lesson").get_data(as_text=True)
    assert "<picture>" in preview and 'width="720"' in preview and 'alt="A blue shoe on a table"' in preview


def test_a_title_yaml_would_read_as_true_or_a_number_stays_text(client, auth, make, app):
    owner = make.user(Role.TRAINER)
    course = studio_course(app, make, owner)
    auth.login(owner.email)
    outline = f"/studio/{course.slug}/"
    form = {
        "title": "On",
        "slug": "on-the-job",
        "summary": "1:20",
        "version": _version(client.get(outline).get_data(as_text=True)),
    }
    assert client.submit(f"{outline}modules", form, page=outline).status_code == 302
    with app.app_context():
        text = files.get(db.session.get(Course, course.id), "course.yml").text
    assert "    title: 'On'\n    summary: '1:20'\n" in text
    assert "Module 2: On" in client.get(outline).get_data(as_text=True)
