"""The studio's quizzes: every setting of the quiz file format, a fixed list (with sections) or
draw rules, checked by the validator's own read_quiz, saved keeping the file's comments."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from sqlalchemy import select

from samaschool.assessments.models import Quiz
from samaschool.catalog.models import Course
from samaschool.content.checks import Checker
from samaschool.content.course_folder import read_course
from samaschool.extensions import db
from samaschool.permissions import Role
from samaschool.studio import files, publishing
from samaschool.studio.models import CourseStaff
from tests.studio.helpers import course_folder, import_folder

MORE_MODULE = """\
  - slug: more
    title: More
    lessons:
      - third-lesson
"""

QUIZ = """\
# The quiz at the end of the basics.
title: Check the basics
pass_mark_percent: 50   # half is enough here
questions:
  - q-one
  - q-two
"""


def _course(app, make, owner, slug="quiz-course"):
    """The helpers' small course, with a second module (no quiz), a commented quiz and no exam."""
    with app.app_context(), tempfile.TemporaryDirectory() as tmp:
        folder = course_folder(Path(tmp), slug)
        (folder / "course.yml").write_text(
            (folder / "course.yml").read_text().replace("Studio Test Course", "Quiz Course") + MORE_MODULE
        )
        (folder / "more").mkdir()
        (folder / "more" / "third-lesson.md").write_text("---\ntitle: Third lesson\nminutes: 5\n---\nMore text.\n")
        (folder / "basics" / "quiz.yml").write_text(QUIZ)
        (folder / "exam.yml").unlink()
        import_folder(Path(tmp))
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        db.session.add(CourseStaff(course_id=course.id, user_id=owner.id, role="owner"))
        db.session.commit()
        db.session.refresh(course)
        db.session.expunge(course)
        return course


def _text(app, course, path):
    with app.app_context():
        row = files.get(db.session.get(Course, course.id), path)
        return row.text if row is not None else None


def _validated(app, course):
    with app.app_context(), tempfile.TemporaryDirectory() as tmp:
        folder = files.materialize(db.session.get(Course, course.id), Path(tmp))
        checker = Checker()
        spec = read_course(folder, checker)
        assert not checker.problems, [str(p) for p in checker.problems]
        return spec


def _form(html: str) -> dict:
    """The quiz form's fields as a browser sends them back."""
    form = html[html.index('<form method="post" action="/studio/') :]
    form = form[: form.index("</form>")]
    data: dict[str, str | list[str]] = {}
    for tag in re.findall(r"<input [^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag).group(1)
        kind = (re.search(r'type="([^"]+)"', tag) or [None, "text"])[1]
        value = (re.search(r'value="([^"]*)"', tag) or [None, ""])[1]
        if name == "csrf_token" or (kind in ("checkbox", "radio") and " checked" not in tag):
            continue
        if name == "questions":
            data.setdefault("questions", []).append(value)
        else:
            data[name] = value
    for name, options in re.findall(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        selected = re.search(r'<option value="([^"]*)" selected', options)
        data[name] = selected.group(1) if selected else re.search(r'<option value="([^"]*)"', options).group(1)
    return data


def _login(auth, user):
    auth.login(user.email)


def test_the_quiz_list_shows_module_quizzes_the_exam_and_modules_without_one(client, auth, make, app):
    owner = make.user(Role.TRAINER)
    course = _course(app, make, owner)
    _login(auth, owner)
    page = client.get(f"/studio/{course.slug}/quizzes").get_data(as_text=True)
    assert "Module: The basics" in page and "Check the basics" in page and "2 questions" in page
    assert "Module: More" in page and "Course exam" in page and page.count("No quiz") == 2
    assert f'/studio/{course.slug}/quizzes/more">Add a quiz' in page
    assert f'/studio/{course.slug}/quizzes/exam">Add a quiz' in page
    assert client.get(f"/studio/{course.slug}/quizzes/no-such-module").status_code == 404


def test_settings_are_saved_in_place_keeping_comments_and_read_like_courses_validate(client, auth, make, app):
    owner = make.user(Role.TRAINER)
    course = _course(app, make, owner)
    _login(auth, owner)
    url = f"/studio/{course.slug}/quizzes/basics"
    form = _form(client.get(url).get_data(as_text=True))
    assert form["title"] == "Check the basics" and form["pass_mark_percent"] == "50" and form["review"] == "answers"
    assert form["questions"] == ["q-one", "q-two"] and form["mode"] == "questions" and "shuffle_questions" not in form
    form |= {
        "pass_mark_percent": "80",
        "max_attempts": "5",
        "attempts_per_day": "3",
        "retry_delay_minutes": "60",
        "time_limit_minutes": "30",
        "questions_per_page": "2",
        "shuffle_questions": "1",
        "review": "after_pass",
        "questions": ["q-one", "q-two", "q-three"],
        "action": "save",
    }
    response = client.submit(url, form)
    assert response.status_code == 302
    text = _text(app, course, "basics/quiz.yml")
    assert text.startswith("# The quiz at the end of the basics.\ntitle: Check the basics\n")
    assert "pass_mark_percent: 80   # half is enough here\n" in text
    assert "questions:\n  - q-one\n  - q-two\n  - q-three\n" in text  # the file's own list style
    quiz = next(q for q in _validated(app, course).quizzes if q.key == "basics")
    assert (quiz.pass_mark_percent, quiz.max_attempts, quiz.attempts_per_day) == (80, 5, 3)
    assert (quiz.retry_delay_minutes, quiz.time_limit_minutes, quiz.questions_per_page) == (60, 30, 2)
    assert quiz.shuffle_questions is True and quiz.shuffle_choices is True and quiz.review_policy == "after_pass"
    assert quiz.question_keys == ["q-one", "q-two", "q-three"]
    # The page shows what was saved; an empty daily limit takes the key out.
    again = _form(client.get(url).get_data(as_text=True))
    assert again["attempts_per_day"] == "3" and again["shuffle_questions"] == "1"
    assert client.submit(url, again | {"attempts_per_day": "", "action": "save"}).status_code == 302
    assert "attempts_per_day" not in _text(app, course, "basics/quiz.yml")


def test_bad_settings_keep_the_values_and_show_the_validators_message_by_the_field(client, auth, make, app):
    owner = make.user(Role.TRAINER)
    course = _course(app, make, owner)
    _login(auth, owner)
    url = f"/studio/{course.slug}/quizzes/basics"
    form = _form(client.get(url).get_data(as_text=True))
    response = client.submit(
        url, form | {"title": "", "pass_mark_percent": "150", "questions_per_page": "many", "action": "save"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="err-pass_mark_percent">&#39;pass_mark_percent&#39; must be a whole number from 0 to 100' in page
    assert 'id="err-questions_per_page">&#39;questions_per_page&#39; must be a whole number from 1 to 50' in page
    assert "&#39;title&#39; is required" in page
    assert 'value="150"' in page and 'value="many"' in page
    assert _text(app, course, "basics/quiz.yml") == QUIZ
    # A fixed list needs questions, and only questions of the bank.
    response = client.submit(url, form | {"questions": [], "action": "save"})
    assert response.status_code == 422
    assert 'id="err-questions">&#39;questions&#39; must list at least one question id' in response.get_data(
        as_text=True
    )


def test_draw_rules_are_checked_against_the_bank(client, auth, make, app):
    owner = make.user(Role.TRAINER)
    course = _course(app, make, owner)
    _login(auth, owner)
    url = f"/studio/{course.slug}/quizzes/basics"
    form = _form(client.get(url).get_data(as_text=True)) | {"mode": "draw", "action": "save"}
    response = client.submit(
        url,
        form
        | {"draw-0-tags": "basics", "draw-0-count": "5", "draw-1-tags": "exam-only", "draw-1-count": "1"}
        | {"draw-1-min_correct": "1"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="err-draw-0">draws 5 from tags [&#39;basics&#39;] but the bank has only 2' in page
    assert 'id="err-draw-1">&#39;min_correct&#39; needs a &#39;section&#39;' in page
    assert 'value="5"' in page and _text(app, course, "basics/quiz.yml") == QUIZ

    response = client.submit(
        url,
        form
        | {"draw-0-tags": "basics", "draw-0-count": "2", "draw-0-section": "Basics", "draw-0-min_correct": "1"}
        | {"draw-1-tags": "exam-only", "draw-1-count": "1"},
    )
    assert response.status_code == 302
    text = _text(app, course, "basics/quiz.yml")
    assert "draw:\n  - tags: [basics]\n    count: 2\n    section: Basics\n    min_correct: 1\n" in text
    assert "questions:" not in text
    quiz = next(q for q in _validated(app, course).quizzes if q.key == "basics")
    assert quiz.draw_rules == [
        {"tags": ["basics"], "count": 2, "section": "Basics", "min_correct": 1},
        {"tags": ["exam-only"], "count": 1},
    ]
    # Back on the page, the rules are there to change.
    page = client.get(url).get_data(as_text=True)
    assert 'name="draw-0-tags" value="basics"' in page and 'name="mode" value="draw" checked' in page


def test_sections_of_a_fixed_list(client, auth, make, app):
    owner = make.user(Role.TRAINER)
    course = _course(app, make, owner)
    _login(auth, owner)
    url = f"/studio/{course.slug}/quizzes/basics"
    form = _form(client.get(url).get_data(as_text=True)) | {"action": "save"}
    sections = {
        "section-0-name": "Core",
        "section-0-min_correct": "3",
        "section-of-q-one": "0",
        "section-of-q-two": "0",
    }
    response = client.submit(url, form | sections)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="err-sections-0">&#39;min_correct&#39; is 3 but section &#39;Core&#39; has only 2 questions' in page
    assert 'value="Core"' in page
    assert client.submit(url, form | sections | {"section-0-min_correct": "2"}).status_code == 302
    quiz = next(q for q in _validated(app, course).quizzes if q.key == "basics")
    assert quiz.sections == [{"name": "Core", "questions": ["q-one", "q-two"], "min_correct": 2}]
    page = client.get(url).get_data(as_text=True)
    choice = re.search(r'name="section-of-q-one">(.*?)</select>', page, re.S).group(1)
    assert re.search(r'<option value="0" selected>Section 1: Core</option>', choice)


def test_a_quiz_is_created_for_a_module_without_one_and_for_the_exam_and_publishes(client, auth, make, app):
    owner = make.user(Role.TRAINER)
    course = _course(app, make, owner)
    _login(auth, owner)
    for key, path, chosen in (("more", "more/quiz.yml", ["q-three"]), ("exam", "exam.yml", ["q-one", "q-three"])):
        url = f"/studio/{course.slug}/quizzes/{key}"
        form = _form(client.get(url).get_data(as_text=True))
        assert form["version"] == "" and form["pass_mark_percent"] == "70"
        response = client.submit(url, form | {"questions": chosen, "action": "save"})
        assert response.status_code == 302
        assert _text(app, course, path).startswith("title: ")
    spec = _validated(app, course)
    assert {q.key: q.question_keys for q in spec.quizzes} == {
        "basics": ["q-one", "q-two"],
        "more": ["q-three"],
        "exam": ["q-one", "q-three"],
    }
    with app.app_context():
        publishing.publish(db.session.get(Course, course.id), None)
        db.session.commit()
        titles = set(db.session.scalars(select(Quiz.title).where(Quiz.course_id == course.id)))
    assert "Check your understanding: More" in titles and "Final exam: Quiz Course" in titles


def test_a_stale_quiz_form_gets_a_conflict_and_a_replay_changes_nothing(client, auth, make, app):
    owner, colleague = make.user(Role.TRAINER), make.user(Role.TRAINER, name="Baraka Co")
    course = _course(app, make, owner)
    with app.app_context():
        db.session.add(CourseStaff(course_id=course.id, user_id=colleague.id, role="co_trainer"))
        db.session.commit()
    url = f"/studio/{course.slug}/quizzes/basics"
    _login(auth, owner)
    mine = _form(client.get(url).get_data(as_text=True))
    other = app.test_client()
    other.submit("/account/login", {"email": colleague.email, "password": "correct horse battery staple"})
    theirs = _form(other.get(url).get_data(as_text=True))
    assert other.submit(url, theirs | {"pass_mark_percent": "60", "action": "save"}).status_code == 302

    response = client.submit(url, mine | {"title": "My title", "action": "save"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Baraka Co saved basics/quiz.yml after you opened it" in page
    assert 'value="My title"' in page and "pass_mark_percent: 60" in page
    assert "title: Check the basics" in _text(app, course, "basics/quiz.yml")

    token = client.csrf_token(url)
    resend = _form(page) | {"action": "save", "csrf_token": token}
    assert client.post(url, data=resend).status_code == 302  # mine wins, knowingly
    saved = _text(app, course, "basics/quiz.yml")
    assert "title: My title" in saved
    replay = client.post(url, data=resend, follow_redirects=True)
    assert replay.status_code == 200 and "Nothing changed" in replay.get_data(as_text=True)
    assert _text(app, course, "basics/quiz.yml") == saved
