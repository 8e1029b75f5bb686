"""The studio and files stay one: export → import → export gives identical files, and
`courses import` never overwrites studio edits that the files do not have."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from sqlalchemy import select

from samaschool.catalog.models import Course, Lesson
from samaschool.extensions import db
from samaschool.permissions import Role
from samaschool.studio import files, publishing
from tests.studio.helpers import course_folder

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "courses"


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_shipped_courses_go_through_export_import_export_unchanged(app, make):
    admin = make.user(Role.ADMIN)
    result = app.test_cli_runner().invoke(args=["courses", "import", str(SHIPPED)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        actor = db.session.get(type(admin), admin.id)
        for folder in sorted(p for p in SHIPPED.iterdir() if p.is_dir() and not p.name.startswith("_")):
            course = db.session.scalar(select(Course).where(Course.slug == folder.name))
            first = publishing.export_zip(course)
            members = _members(first.data)
            # Every file of the folder is in the zip, byte for byte (media as they were given).
            on_disk = {
                f"{folder.name}/{p.relative_to(folder).as_posix()}": p.read_bytes()
                for p in folder.rglob("*")
                if p.is_file()
            }
            course_members = {name: data for name, data in members.items() if name.startswith(folder.name + "/")}
            used_media = {name for name in course_members if "/media/" in name}
            assert {n: d for n, d in on_disk.items() if "/media/" not in n or n in used_media} == course_members

            imported = publishing.import_zip(first.data, actor)
            assert imported.course.id == course.id and not imported.created
            db.session.flush()
            second = publishing.export_zip(course)
            assert second.data == first.data, folder.name
        db.session.rollback()


def _import(app, root: Path, *extra: str):
    return app.test_cli_runner().invoke(args=["courses", "import", str(root), *extra])


def test_courses_import_refuses_to_overwrite_newer_studio_edits_unless_forced(app, make):
    trainer = make.user(Role.TRAINER)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = course_folder(root, "git-course")
        assert _import(app, root).exit_code == 0
        # A trainer edits a lesson in the studio…
        with app.app_context():
            course = db.session.scalar(select(Course).where(Course.slug == "git-course"))
            row = files.get(course, "basics/first-lesson.md")
            files.save_text(
                course, row.path, row.text + "\nA studio sentence.\n", trainer, expected_version=row.version
            )
            db.session.commit()
        # …while the team changes the same course in git.
        lesson = folder / "basics" / "second-lesson.md"
        lesson.write_text(lesson.read_text().replace("twice", "three times"))

        refused = _import(app, root)
        assert refused.exit_code == 0
        assert "Skipped git-course: it has studio edits that the files do not have" in refused.output
        with app.app_context():
            course = db.session.scalar(select(Course).where(Course.slug == "git-course"))
            assert "A studio sentence." in files.get(course, "basics/first-lesson.md").text
            second = db.session.scalar(
                select(Lesson).where(Lesson.course_id == course.id, Lesson.slug == "second-lesson")
            )
            assert "three times" not in second.body_markdown

        forced = _import(app, root, "--force")
        assert forced.exit_code == 0 and "Skipped" not in forced.output
        with app.app_context():
            course = db.session.scalar(select(Course).where(Course.slug == "git-course"))
            assert "A studio sentence." not in files.get(course, "basics/first-lesson.md").text
            second = db.session.scalar(
                select(Lesson).where(Lesson.course_id == course.id, Lesson.slug == "second-lesson")
            )
            assert "three times" in second.body_markdown
            assert not files.has_studio_edits(course)

        # Files equal to the studio's working copy import without force.
        assert "Skipped" not in _import(app, root).output


def test_a_zip_with_a_bad_file_is_refused_whole_with_file_and_line(client, auth, make, app):
    trainer = make.user(Role.TRAINER)
    with tempfile.TemporaryDirectory() as tmp:
        folder = course_folder(Path(tmp), "zipped-course")
        (folder / "basics" / "quiz.yml").write_text(
            "title: Quiz\npass_mark_percent: 70\nquestions: [no-such-question]\n"
        )
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for path in folder.rglob("*"):
                if path.is_file():
                    archive.write(path, path.relative_to(Path(tmp)).as_posix())
    auth.login(trainer.email)
    response = client.submit("/studio/import", {"archive": (io.BytesIO(buffer.getvalue()), "zipped-course.zip")})
    assert response.status_code == 422
    assert "zipped-course/basics/quiz.yml:3" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Course).where(Course.slug == "zipped-course")) is None

    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../outside.txt", "x")
    refused = client.submit("/studio/import", {"archive": (io.BytesIO(evil.getvalue()), "evil.zip")})
    assert refused.status_code == 422 and "cannot be unpacked safely" in refused.get_data(as_text=True)
