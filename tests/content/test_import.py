import shutil
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from samaschool.catalog.models import Course, Lesson, Module
from samaschool.content.course_folder import read_courses
from samaschool.content.importer import import_courses
from samaschool.extensions import db
from samaschool.learning.models import LessonProgress
from tests.content.conftest import lesson, write

SHIPPED = Path(__file__).resolve().parents[2] / "courses"


def run_import(app, root):
    with app.app_context():
        specs, problems = read_courses(root)
        assert problems == []
        stats = import_courses(specs)
        db.session.commit()
        return stats


def run_cli(app, *args):
    runner = app.test_cli_runner()
    return runner.invoke(args=list(args))


def test_import_creates_course_modules_and_sanitised_lessons(app, course_dir):
    write(course_dir / "first-steps" / "basics" / "hello.md", lesson("Hello", 5, "Hi <script>x()</script> **there**"))
    stats = run_import(app, course_dir)
    assert stats.courses_created == 1 and stats.lessons_created == 3
    with app.app_context():
        course = db.session.scalar(select(Course))
        assert course.title == "First Steps" and course.level == "beginner"
        hello = db.session.scalar(select(Lesson).where(Lesson.slug == "hello"))
        assert "<strong>there</strong>" in hello.body_html
        assert "<script" not in hello.body_html


def test_import_is_idempotent(app, course_dir):
    run_import(app, course_dir)
    again = run_import(app, course_dir)
    assert again.courses_created == again.lessons_created == again.lessons_updated == 0
    assert again.lessons_unchanged == 3
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Lesson)) == 3
        assert db.session.scalar(select(func.count()).select_from(Module)) == 2


def test_changed_text_keeps_progress_and_removed_lessons_are_archived(app, course_dir, make):
    run_import(app, course_dir)
    user = make.user()
    with app.app_context():
        hello = db.session.scalar(select(Lesson).where(Lesson.slug == "hello"))
        files = db.session.scalar(select(Lesson).where(Lesson.slug == "files"))
        db.session.add_all(
            [LessonProgress(user_id=user.id, lesson_id=hello.id), LessonProgress(user_id=user.id, lesson_id=files.id)]
        )
        db.session.commit()
        hello_id, files_id = hello.id, files.id

    course = course_dir / "first-steps"
    write(course / "basics" / "hello.md", lesson("Hello again", 6, "New text."))
    (course / "basics" / "files.md").unlink()
    (course / "course.yml").write_text((course / "course.yml").read_text().replace("      - files\n", ""))
    stats = run_import(app, course_dir)
    assert stats.lessons_updated == 1 and stats.lessons_archived == 1

    with app.app_context():
        hello = db.session.get(Lesson, hello_id)
        assert hello.title == "Hello again" and "New text." in hello.body_html
        assert db.session.get(Lesson, files_id).archived_at is not None  # archived, not deleted
        assert db.session.scalar(select(func.count()).select_from(LessonProgress)) == 2


def test_lesson_restored_to_the_folder_comes_back_with_its_progress(app, course_dir):
    run_import(app, course_dir)
    course = course_dir / "first-steps"
    original = (course / "course.yml").read_text()
    (course / "course.yml").write_text(original.replace("      - files\n", ""))
    files_text = (course / "basics" / "files.md").read_text()
    (course / "basics" / "files.md").unlink()
    run_import(app, course_dir)
    (course / "course.yml").write_text(original)
    (course / "basics" / "files.md").write_text(files_text)
    run_import(app, course_dir)
    with app.app_context():
        assert db.session.scalar(select(Lesson).where(Lesson.slug == "files")).archived_at is None


def test_cli_import_writes_nothing_when_anything_is_wrong(app, course_dir):
    write(course_dir / "first-steps" / "safety" / "passwords.md", "---\ntitle: Passwords\n---\nText\n")
    result = run_cli(app, "courses", "import", str(course_dir))
    assert result.exit_code == 1
    assert "passwords.md:1: 'minutes' is required" in result.output or "passwords.md:2" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Course)) == 0


def test_cli_validate_exit_codes(app, course_dir):
    ok = run_cli(app, "courses", "validate", str(course_dir))
    assert ok.exit_code == 0 and "OK: 1 course(s), 3 lesson(s)" in ok.output
    write(course_dir / "first-steps" / "basics" / "stray.md", lesson())
    bad = run_cli(app, "courses", "validate", str(course_dir / "first-steps"))
    assert bad.exit_code == 1
    assert "stray.md:1:" in bad.output


def test_cli_import_reports_what_it_did(app, course_dir):
    result = run_cli(app, "courses", "import", str(course_dir))
    assert result.exit_code == 0, result.output
    assert "Imported 1 course(s)" in result.output and "3 new" in result.output


def test_shipped_courses_are_valid_and_substantial():
    """The three courses we ship pass the validator and have at least 3 modules x 3 lessons."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from samaschool.content.course_folder import read_courses; from pathlib import Path;"
            "specs, problems = read_courses(Path('courses'));"
            "[print(p) for p in problems];"
            "[print(s.slug, len(s.modules), min(len(m.lessons) for m in s.modules)) for s in specs]",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stdout.strip().splitlines()
    courses = {line.split()[0]: (int(line.split()[1]), int(line.split()[2])) for line in lines}
    assert set(courses) == {
        "digital-work-foundations",
        "winning-work-on-gig-platforms",
        "data-annotation-essentials",
    }, lines
    for modules, fewest_lessons in courses.values():
        assert modules >= 3 and fewest_lessons >= 3


def test_cli_import_of_one_course_touches_only_that_course(app, tmp_path):
    """`courses import courses/<one-course>`: that folder has no _certifications, so the
    certifications stay as they are, and the other courses keep their lessons and quizzes."""
    from samaschool.assessments.models import Quiz
    from samaschool.certification.models import Certification

    root = tmp_path / "courses"
    shutil.copytree(SHIPPED, root)
    everything = run_cli(app, "courses", "import", str(root))
    assert everything.exit_code == 0, everything.output
    assert "3 certification(s)" in everything.output

    def state():
        with app.app_context():
            return {
                "certifications": set(db.session.execute(select(Certification.slug, Certification.archived_at))),
                "lessons": set(db.session.execute(select(Lesson.id, Lesson.title, Lesson.archived_at))),
                "quizzes": set(db.session.execute(select(Quiz.id, Quiz.title, Quiz.archived_at))),
                "courses": set(db.session.execute(select(Course.slug, Course.title))),
            }

    before = state()
    assert len(before["certifications"]) == 3 and all(archived is None for _s, archived in before["certifications"])
    # The other courses' folders change too: importing one course must not read them.
    other = root / "winning-work-on-gig-platforms" / "course.yml"
    other.write_text(other.read_text().replace("title:", "title: Changed", 1))
    one = root / "digital-work-foundations"
    (one / "course.yml").write_text((one / "course.yml").read_text().replace("title:", "title: New", 1))

    result = run_cli(app, "courses", "import", str(one))
    assert result.exit_code == 0, result.output
    assert "Imported 1 course(s)" in result.output and "certifications left as they are" in result.output
    after = state()
    assert after["certifications"] == before["certifications"]
    assert after["lessons"] == before["lessons"] and after["quizzes"] == before["quizzes"]
    changed = after["courses"] - before["courses"]
    assert [slug for slug, _title in changed] == ["digital-work-foundations"]
    assert all(title.startswith("New") for _slug, title in changed)

    # A folder of courses with its _certifications still archives what left that folder.
    (root / "_certifications" / "digital-work-foundations.yml").unlink()
    assert run_cli(app, "courses", "import", str(root)).exit_code == 0
    with app.app_context():
        archived = db.session.scalars(select(Certification.slug).where(Certification.archived_at.is_not(None)))
        assert list(archived) == ["digital-work-foundations"]
