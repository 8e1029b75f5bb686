"""Issue 11's quiz rules, through HTTP: attempts per day, review after a pass, sections with
minimums; and the quiz files that set them, checked with file:line."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from samaschool.assessments.models import Attempt, Quiz
from samaschool.certification.services import criteria_status
from samaschool.content.course_folder import read_courses
from samaschool.content.importer import import_courses
from samaschool.db_types import utcnow
from samaschool.extensions import db
from tests.content.conftest import lesson, write


def _answer_all(learner, attempt_id, right=lambda text: True, action="finish"):
    """Answer every question on page 1: the right choice where `right(question text)`."""
    data = {}
    for question, options in learner.answer_fields(attempt_id).items():
        label = next(t for t in options if t.startswith("Right" if right(question) else "Wrong"))
        name, value = options[label]
        data[name] = value
    return learner.submit_page(attempt_id, data, action=action)


def _count_attempts(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Attempt))


def _questions(prefix: str, count: int, tag: str) -> list[dict]:
    return [
        {
            "id": f"{tag}{i}",
            "type": "single_choice",
            "tags": [tag],
            "text": f"{prefix} {i}?",
            "choices": [{"text": f"Right {tag}{i}", "correct": True}, {"text": f"Wrong {tag}{i}"}],
        }
        for i in range(1, count + 1)
    ]


# --- attempts_per_day ---------------------------------------------------------------------


def test_over_the_daily_limit_the_learner_is_told_when_the_next_attempt_opens(app, make, learner_for):
    course = make.course()
    quiz = make.quiz(course, attempts_per_day=2, pass_mark_percent=100)
    learner = learner_for(course)
    quiz_page = learner.client.get(learner.quiz_url(quiz)).get_data(as_text=True)
    assert "At most 2 attempts in any 24 hours" in quiz_page
    for _ in range(2):
        attempt_id = learner.attempt_id(learner.start(quiz))
        _answer_all(learner, attempt_id, right=lambda text: False)
    assert _count_attempts(app) == 2

    refused = learner.start(quiz)
    assert refused.status_code == 302 and refused.headers["Location"].endswith(learner.quiz_url(quiz))
    assert _count_attempts(app) == 2
    page = learner.client.get(learner.quiz_url(quiz)).get_data(as_text=True)
    assert "You have started 2 attempts in the last 24 hours, the most this quiz allows." in page
    assert "Try again</button>" not in page
    # It opens 24 hours after the first of the two started, in the learner's time zone (Nairobi).
    with app.app_context():
        first = db.session.scalars(select(Attempt).order_by(Attempt.number)).first()
        opens = (first.started_at + timedelta(hours=24)).astimezone(ZoneInfo("Africa/Nairobi"))
    today = utcnow().astimezone(ZoneInfo("Africa/Nairobi")).date()
    day = "today" if opens.date() == today else "tomorrow"
    assert f"You can start another attempt at {opens:%H:%M} {day}." in page

    # A rolling day: once the first attempt is more than 24 hours old, one more may start.
    with app.app_context():
        first = db.session.scalars(select(Attempt).order_by(Attempt.number)).first()
        first.started_at -= timedelta(hours=24, minutes=1)
        db.session.commit()
    third = learner.attempt_id(learner.start(quiz))
    assert _count_attempts(app) == 3
    _answer_all(learner, third, right=lambda text: False)
    review = learner.client.get(f"/attempts/{third}/review").get_data(as_text=True)
    assert "You have started 2 attempts in the last 24 hours" in review and "You can start another attempt" in review


def test_a_replayed_start_does_not_make_a_second_attempt_past_the_limit(app, make, learner_for):
    course = make.course()
    quiz = make.quiz(course, attempts_per_day=1, pass_mark_percent=100)
    learner = learner_for(course)
    token = learner.client.csrf_token(learner.quiz_url(quiz))
    start = {"csrf_token": token}
    attempt_id = learner.attempt_id(learner.client.post(f"{learner.quiz_url(quiz)}/start", data=start))
    again = learner.client.post(f"{learner.quiz_url(quiz)}/start", data=start)  # a double tap: the same attempt
    assert learner.attempt_id(again) == attempt_id
    _answer_all(learner, attempt_id, right=lambda text: False)
    replayed = learner.client.post(f"{learner.quiz_url(quiz)}/start", data=start)  # the old request, sent again
    assert replayed.headers["Location"].endswith(learner.quiz_url(quiz))
    assert _count_attempts(app) == 1
    page = learner.client.get(learner.quiz_url(quiz)).get_data(as_text=True)
    assert "You have started 1 attempt in the last 24 hours, the most this quiz allows." in page
    assert "You can start another attempt at" in page


# --- review: after_pass -------------------------------------------------------------------


def test_after_pass_hides_correctness_until_the_learner_passes(app, make, learner_for):
    course = make.course()
    # Before a pass, review shows the score only; after it, every attempt's answers.
    quiz = make.quiz(course, review_policy="after_pass", max_attempts=3, pass_mark_percent=100)
    learner = learner_for(course)
    assert "The right answers are shown once you pass" in learner.client.get(learner.quiz_url(quiz)).get_data(
        as_text=True
    )
    failed = []
    for _ in range(2):
        attempt_id = learner.attempt_id(learner.start(quiz))
        _answer_all(learner, attempt_id, right=lambda text: text != "Question 1?")
        failed.append(attempt_id)
    review = learner.client.get(f"/attempts/{failed[0]}/review").get_data(as_text=True)
    assert "Attempt 1: 66.7%" in review
    for hidden in ("Not right", "Right answer:", "Right 1", 'class="verdict"'):
        assert hidden not in review

    passed = learner.attempt_id(learner.start(quiz))
    _answer_all(learner, passed)
    review = learner.client.get(f"/attempts/{passed}/review").get_data(as_text=True)
    assert "You passed" in review and "Right answer:" in review
    # Once passed, the earlier attempts show what was wrong, and the right answers.
    earlier = learner.client.get(f"/attempts/{failed[0]}/review").get_data(as_text=True)
    assert "Not right" in earlier and "Right answer:" in earlier and "Right 1" in earlier


def test_after_pass_shows_nothing_more_when_the_attempts_run_out(app, make, learner_for):
    course = make.course()
    quiz = make.quiz(course, review_policy="after_pass", max_attempts=1, pass_mark_percent=100)
    learner = learner_for(course)
    attempt_id = learner.attempt_id(learner.start(quiz))
    _answer_all(learner, attempt_id, right=lambda text: False)
    review = learner.client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "You have used all 1 attempts." in review
    assert "Right answer:" not in review and "Not right" not in review


# --- sections with minimums ---------------------------------------------------------------


def test_a_high_total_with_a_section_below_its_minimum_fails_and_says_which(app, make, learner_for):
    course = make.course()
    questions = _questions("Classify", 4, "cls") + _questions("Safety", 4, "safe")
    quiz = make.quiz(
        course,
        questions=questions,
        pass_mark_percent=70,
        draw_rules=[
            {"tags": ["cls"], "count": 4, "section": "Classification", "min_correct": 4},
            {"tags": ["safe"], "count": 4, "section": "Safety"},
        ],
        questions_per_page=10,
    )
    learner = learner_for(course)
    page = learner.client.get(learner.quiz_url(quiz)).get_data(as_text=True)
    assert "Classification: 4 questions, at least 4 right" in page and "Safety: 4 questions" in page
    attempt_id = learner.attempt_id(learner.start(quiz))
    # 7 of 8 right (87.5%, above the pass mark), but only 3 of 4 classification answers.
    _answer_all(learner, attempt_id, right=lambda text: text != "Classify 2?")
    review = learner.client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "Attempt 1: 87.5%" in review and "Not passed yet" in review and "You passed" not in review
    assert "You need at least 4 of 4 right in Classification." in review
    assert "Classification: 3 of 4 correct (4 needed)" in review and "below the minimum" in review
    assert "Safety: 4 of 4 correct" in review
    # The certificate's quiz criterion does not count an attempt that did not pass.
    certification = make.certification(course, quiz=quiz, min_percent=70)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.passed is False and attempt.score_percent == 87.5
        status = criteria_status(learner.user.id, certification)
        assert [s.met for s in status if "Score at least" in s.label] == [False]

    second = learner.attempt_id(learner.start(quiz))
    _answer_all(learner, second)
    review = learner.client.get(f"/attempts/{second}/review").get_data(as_text=True)
    assert "You passed" in review and "Classification: 4 of 4 correct (4 needed)" in review


def test_a_partly_right_answer_does_not_count_towards_a_section(app, make, learner_for):
    course = make.course()
    picks = {
        "id": "pick",
        "type": "multiple_response",
        "scoring": "partial",
        "text": "Pick both?",
        "choices": [{"text": "Right a", "correct": True}, {"text": "Right b", "correct": True}, {"text": "Wrong c"}],
    }
    quiz = make.quiz(
        course,
        questions=[picks, *_questions("Other", 1, "o")],
        pass_mark_percent=50,
        sections=[{"name": "Picking", "questions": ["pick"], "min_correct": 1}],
    )
    learner = learner_for(course)
    attempt_id = learner.attempt_id(learner.start(quiz))
    fields = learner.answer_fields(attempt_id)
    data = {fields["Pick both?"]["Right a"][0]: fields["Pick both?"]["Right a"][1]}
    name, value = fields["Other 1?"]["Right o1"]
    data[name] = value
    learner.submit_page(attempt_id, data, action="finish")
    review = learner.client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "Attempt 1: 75.0%" in review and "Picking: 0 of 1 correct (1 needed)" in review
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).passed is False


# --- the quiz files -------------------------------------------------------------------------

BANK = "".join(
    f"""
- id: {tag}-{i}
  type: true_false
  tags: [{tag}]
  lesson: hello
  text: Statement {tag} {i}.
  answer: true
"""
    for tag in ("cls", "safe")
    for i in range(1, 5)
)


def _course_folder(tmp_path, exam: str):
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
            lessons: [hello]
        """,
    )
    write(course / "basics" / "hello.md", lesson("Hello"))
    write(course / "questions" / "bank.yml", BANK)
    write(course / "exam.yml", exam)
    return root


GOOD_EXAM = """\
title: Final
attempts_per_day: 3
review: after_pass
draw:
  - tags: [cls]
    count: 4
    section: Classification
    min_correct: 3
  - tags: [safe]
    count: 2
"""


def test_sections_limits_and_after_pass_are_read_and_imported(app, tmp_path):
    root = _course_folder(tmp_path, GOOD_EXAM)
    specs, problems = read_courses(root)
    assert problems == []
    fixed = "title: Module\nquestions: [cls-1, cls-2, safe-1]\nsections:\n"
    fixed += "  - name: Classification\n    questions: [cls-1, cls-2]\n    min_correct: 2\n"
    write(root / "first-steps" / "basics" / "quiz.yml", fixed)
    specs, problems = read_courses(root)
    assert problems == []
    with app.app_context():
        import_courses(specs)
        db.session.commit()
        quizzes = {q.key: q for q in db.session.scalars(select(Quiz))}
        exam, module = quizzes["exam"], quizzes["basics"]
        assert exam.attempts_per_day == 3 and exam.review_policy == "after_pass"
        assert exam.draw_rules == [
            {"tags": ["cls"], "count": 4, "section": "Classification", "min_correct": 3},
            {"tags": ["safe"], "count": 2},
        ]
        assert exam.sections is None
        assert module.sections == [{"name": "Classification", "questions": ["cls-1", "cls-2"], "min_correct": 2}]
        assert module.attempts_per_day is None


def _problems(tmp_path, exam: str) -> list[str]:
    _specs, problems = read_courses(_course_folder(tmp_path, exam))
    return [str(p) for p in problems]


def test_bad_section_and_limit_values_are_reported_with_file_and_line(tmp_path):
    over = GOOD_EXAM.replace("min_correct: 3", "min_correct: 5")
    assert any(
        p.endswith("exam.yml:8: 'min_correct' is 5 but section 'Classification' has only 4 questions")
        for p in _problems(tmp_path / "a", over)
    )
    no_section = GOOD_EXAM.replace("    section: Classification\n", "")
    assert any(
        p.endswith("exam.yml:7: 'min_correct' needs a 'section' (the name learners see for these questions)")
        for p in _problems(tmp_path / "b", no_section)
    )
    zero = GOOD_EXAM.replace("attempts_per_day: 3", "attempts_per_day: 0")
    assert any(
        p.endswith("exam.yml:2: 'attempts_per_day' must be a whole number from 1 to 20")
        for p in _problems(tmp_path / "c", zero)
    )
    twice = GOOD_EXAM.replace("    count: 2\n", "    count: 2\n    section: Classification\n")
    assert any(
        p.endswith("exam.yml:11: section 'Classification' is named twice") for p in _problems(tmp_path / "d", twice)
    )
    zero_min = GOOD_EXAM.replace("min_correct: 3", "min_correct: 0")
    assert any(
        p.endswith("exam.yml:8: 'min_correct' must be a whole number of 1 or more")
        for p in _problems(tmp_path / "e", zero_min)
    )
    policy = GOOD_EXAM.replace("review: after_pass", "review: later")
    assert any(
        p.endswith("exam.yml:3: 'review' must be one of: score, correctness, answers, after_pass")
        for p in _problems(tmp_path / "f", policy)
    )


def test_bad_sections_of_a_fixed_list_are_reported_with_file_and_line(tmp_path):
    fixed = """\
title: Final
questions: [cls-1, cls-2, safe-1]
sections:
  - name: Classification
    questions: [cls-1, cls-2, cls-3]
    min_correct: 4
  - name: Safety
    questions: [cls-1]
"""
    shown = _problems(tmp_path / "a", fixed)
    assert any(p.endswith("exam.yml:5: 'cls-3' is not in this quiz's 'questions'") for p in shown)
    assert any(
        p.endswith("exam.yml:6: 'min_correct' is 4 but section 'Classification' has only 3 questions") for p in shown
    )
    assert any(p.endswith("exam.yml:8: 'cls-1' is already in section 'Classification'") for p in shown)
    drawn = GOOD_EXAM + "sections:\n  - name: Safety\n    questions: [safe-1]\n"
    assert any(
        p.endswith("exam.yml:11: 'sections' groups a fixed list of 'questions'; in a draw, give each entry a 'section'")
        for p in _problems(tmp_path / "b", drawn)
    )


def test_the_shipped_exams_limit_attempts_and_show_answers_only_after_a_pass(app):
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "courses"
    for slug in ("winning-work-on-gig-platforms", "digital-work-foundations"):
        specs, problems = read_courses(root / slug)
        assert problems == []
        exam = next(q for q in specs[0].quizzes if q.key == "exam")
        assert exam.review_policy == "after_pass" and exam.attempts_per_day in (2, 3), slug
    text = (root / "_certifications" / "digital-work-foundations.yml").read_text()
    assert re.search(r"course: digital-work-foundations\s+quiz: exam", text)
