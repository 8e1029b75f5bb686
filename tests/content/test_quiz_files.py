from sqlalchemy import select

from samaschool.assessments.models import Question, Quiz
from samaschool.content.course_folder import read_courses
from samaschool.content.importer import import_courses
from samaschool.extensions import db
from tests.content.conftest import write

BANK = """
- id: pw-strongest
  type: single_choice
  tags: [passwords]
  text: Which password is hardest to guess?
  choices:
    - text: Nairobi2024
      feedback: Too easy to guess.
    - text: green mango bus window
      correct: true
  explanation: Length beats cleverness.
- id: fee
  type: numeric
  tags: [money]
  text: A client pays 50 and the fee is 10%. What do you get?
  answer: 45
- id: tr-1
  type: transcription
  tags: [money]
  text: Transcribe.
  reference: The delivery is on Tuesday.
  max_error_percent: 10
"""

QUIZ = """
title: Check your understanding
pass_mark_percent: 70
retry_delay_minutes: 10
questions: [pw-strongest, fee]
"""


def _with_quiz(course_dir, bank=BANK, quiz=QUIZ, exam=None):
    course = course_dir / "first-steps"
    write(course / "questions" / "safety.yml", bank)
    write(course / "safety" / "quiz.yml", quiz)
    if exam:
        write(course / "exam.yml", exam)
    return course


def test_quizzes_and_banks_are_checked_and_imported(app, course_dir):
    _with_quiz(course_dir, exam="title: Final\ndraw:\n  - tags: [money]\n    count: 2\n")
    specs, problems = read_courses(course_dir)
    assert problems == []
    with app.app_context():
        import_courses(specs)
        db.session.commit()
        quizzes = {q.key: q for q in db.session.scalars(select(Quiz))}
        assert set(quizzes) == {"safety", "exam"}
        assert quizzes["safety"].module_id is not None and quizzes["exam"].module_id is None
        assert quizzes["safety"].question_keys == ["pw-strongest", "fee"]
        assert quizzes["exam"].draw_rules == [{"tags": ["money"], "count": 2}]
        question = db.session.scalar(select(Question).where(Question.key == "pw-strongest"))
        assert question.explanation_html == "<p>Length beats cleverness.</p>"
        assert question.spec["id"] == "pw-strongest"  # kept for export


def test_question_problems_name_file_and_line(course_dir):
    bad = BANK.replace("      correct: true\n", "").replace("  answer: 45", "  answer: forty-five")
    bad += "- id: pw-strongest\n  type: essay\n  text: Write.\n"
    _with_quiz(course_dir, bank=bad)
    _specs, problems = read_courses(course_dir)
    shown = [str(p) for p in problems]
    assert any(
        "questions/safety.yml:5: question 'pw-strongest': a single_choice question needs exactly one" in p
        for p in shown
    )
    assert any("questions/safety.yml:14: question 'fee': 'answer' must be a number" in p for p in shown)
    assert any("questions/safety.yml:22: question 'pw-strongest': 'type' must be one of" in p for p in shown)
    assert any("safety/quiz.yml:4: no question with id 'pw-strongest'" in p for p in shown)


def test_quiz_problems_name_file_and_line(course_dir):
    quiz = QUIZ.replace("pass_mark_percent: 70", "pass_mark_percent: 170").replace(
        "[pw-strongest, fee]", "[pw-strongest, nope]"
    )
    _with_quiz(course_dir, quiz=quiz, exam="title: Final\ndraw:\n  - tags: [money]\n    count: 5\nreview: always\n")
    _specs, problems = read_courses(course_dir)
    shown = [str(p) for p in problems]
    assert any("safety/quiz.yml:2: 'pass_mark_percent' must be a whole number from 0 to 100" in p for p in shown)
    assert any("safety/quiz.yml:4: no question with id 'nope'" in p for p in shown)
    assert any("exam.yml:4: draws 5 from tags ['money'] but the bank has only 2" in p for p in shown)
    assert any("exam.yml:5: 'review' must be one of: score, correctness, answers" in p for p in shown)


def test_a_question_removed_from_the_folder_is_archived(app, course_dir):
    course = _with_quiz(course_dir)
    specs, _ = read_courses(course_dir)
    with app.app_context():
        import_courses(specs)
        db.session.commit()
    write(course / "questions" / "safety.yml", BANK.split("- id: tr-1")[0])
    specs, problems = read_courses(course_dir)
    assert problems == []
    with app.app_context():
        import_courses(specs)
        db.session.commit()
        archived = db.session.scalar(select(Question).where(Question.key == "tr-1"))
        assert archived.archived_at is not None
