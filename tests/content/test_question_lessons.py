"""Every question names the lesson it assesses (`lesson:`): checked against the course's
lessons, stored, and linked from review so a learner can read the lesson again."""

import re
from pathlib import Path

import yaml
from sqlalchemy import select

from samaschool.assessments.models import Question
from samaschool.content import yamlfile
from samaschool.content.course_folder import course_folders, read_courses
from samaschool.content.importer import import_courses
from samaschool.extensions import db
from tests.content.conftest import write
from tests.factories import PASSWORD

SHIPPED = Path(__file__).resolve().parents[2] / "courses"

BANK = """
- id: pw-long
  type: true_false
  lesson: passwords
  text: A long passphrase is harder to guess than a short clever password.
  answer: true
- id: files-name
  type: short_answer
  lesson: files
  text: What three letters end the name of a PDF file?
  answers: [pdf]
"""


def test_every_shipped_question_names_a_lesson_of_its_course():
    """Read from the files themselves, so a course with other problems is still checked."""
    missing, unknown, total = [], [], 0
    for folder in course_folders(SHIPPED):
        modules = yaml.safe_load((folder / "course.yml").read_text())["modules"]
        lessons = {slug for module in modules for slug in module["lessons"]}
        for path in sorted((folder / "questions").glob("*.yml")):
            shown = str(path.relative_to(SHIPPED.parent))
            doc = yamlfile.parse(path.read_text(), shown)
            for index, question in enumerate(doc.data):
                total += 1
                where = f"{shown}:{doc.line(index)} ({question.get('id')})"
                if "lesson" not in question:
                    missing.append(where)
                elif question["lesson"] not in lessons:
                    unknown.append(f"{where}: {question['lesson']}")
    assert total > 200
    assert unknown == [], "questions naming a lesson their course does not have:\n" + "\n".join(unknown)
    assert missing == [], f"{len(missing)} questions name no lesson:\n" + "\n".join(missing)


def test_an_unknown_or_malformed_lesson_is_reported_with_file_and_line(course_dir):
    bad = BANK.replace("lesson: files", "lesson: no-such-lesson").replace("lesson: passwords", "lesson: Pass Words")
    write(course_dir / "first-steps" / "questions" / "bank.yml", bad)
    _specs, problems = read_courses(course_dir)
    shown = [str(p) for p in problems]
    assert any(
        p.endswith("questions/bank.yml:8: question 'files-name': no lesson 'no-such-lesson' in this course")
        for p in shown
    )
    assert any(p.endswith("questions/bank.yml:3: question 'pw-long': 'lesson' must be a lesson's slug") for p in shown)


def test_a_lesson_of_another_course_is_refused(course_dir):
    write(course_dir / "first-steps" / "questions" / "bank.yml", BANK)
    other = course_dir / "second-steps"
    write(
        other / "course.yml",
        "title: Second\nsummary: Next.\nlevel: beginner\nlanguage: en\nestimated_hours: 1\n"
        "modules:\n  - slug: more\n    title: More\n    lessons: [later]\n",
    )
    write(other / "more" / "later.md", "---\ntitle: Later\nminutes: 5\n---\nText.\n")
    write(other / "questions" / "bank.yml", BANK.split("- id: files-name")[0])
    _specs, problems = read_courses(course_dir)
    assert [str(p).split("courses/", 1)[1] for p in problems] == [
        "second-steps/questions/bank.yml:3: question 'pw-long': no lesson 'passwords' in this course"
    ]


def test_the_lesson_is_stored_and_review_links_to_it(app, make, course_dir):
    course = course_dir / "first-steps"
    write(course / "questions" / "bank.yml", BANK)
    write(course / "safety" / "quiz.yml", "title: Check\nreview: correctness\nquestions: [pw-long, files-name]\n")
    with app.app_context():
        specs, problems = read_courses(course_dir)
        assert problems == []
        import_courses(specs)
        db.session.commit()
        stored = {q.key: q.lesson_slug for q in db.session.scalars(select(Question))}
        assert stored == {"pw-long": "passwords", "files-name": "files"}
    user = make.user()
    client = app.test_client()
    client.submit("/account/login", {"email": user.email, "password": PASSWORD})
    client.submit("/courses/first-steps/enrol", page="/courses/first-steps")
    start = client.submit("/courses/first-steps/quizzes/safety/start", page="/courses/first-steps/quizzes/safety")
    attempt = re.search(r"/attempts/(\d+)", start.headers["Location"]).group(0)
    html = client.get(attempt).get_data(as_text=True)
    short = re.search(r'name="(q\d+)"[^>]*type="text"|type="text"[^>]*name="(q\d+)"', html)
    name = next(group for group in short.groups() if group)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    client.post(attempt, data={"csrf_token": token, "page": "1", "action": "finish", name: "pdf"})
    review = client.get(f"{attempt}/review").get_data(as_text=True)
    # Wrong (left empty): a link to read its lesson again; right: none.
    assert 'Read again: <a href="/courses/first-steps/lessons/passwords"' in review
    assert "/courses/first-steps/lessons/files" not in review
