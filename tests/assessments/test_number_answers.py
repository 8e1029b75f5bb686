"""Numbers as people type them: thousands separators and decimal commas (issue 11)."""

import re

from sqlalchemy import select

from samaschool.assessments.models import Attempt
from samaschool.assessments.question_types import parse_number
from samaschool.extensions import db

READ = [
    ("2,000", 2000),  # a single comma and exactly three digits: thousands
    ("1,350,000", 1350000),
    ("2 000", 2000),
    ("2\u00a0000", 2000),  # a no-break space, as phones and spreadsheets copy it
    ("2\u202f000", 2000),
    ("1.350.000", 1350000),
    ("13,50,000", 1350000),  # lakhs, as written in India
    ("2.5", 2.5),
    ("2,5", 2.5),  # a decimal comma
    ("2,50", 2.5),
    ("44,5", 44.5),
    ("0,500", 0.5),  # nobody writes five hundred as 0,500
    ("1,350.50", 1350.5),  # with both signs, the last one is the decimal sign
    ("1.350,50", 1350.5),
    ("2 000,5", 2000.5),
    ("-2,000", -2000),
    ("\u22124", -4),  # a typographic minus
    ("45", 45),
    (" 7 ", 7),
    (".5", 0.5),
]
REFUSED = ["1,2,3", "2 5", "1,5e3", ",", "-", "12,3456,789", "1.2.3", "nan", "1e999", "forty"]


def test_numbers_with_separators_read_right():
    assert {typed: parse_number(typed) for typed, _ in READ} == dict(READ)


def test_what_is_not_a_number_is_refused():
    assert {typed: parse_number(typed) for typed in REFUSED} == dict.fromkeys(REFUSED)


def test_a_learner_typing_thousands_separators_gets_the_mark(app, make, learner_for):
    course = make.course()
    quiz = make.quiz(
        course,
        questions=[
            {"id": "n1", "type": "numeric", "text": "How many shillings?", "answer": 2000},
            {"id": "n2", "type": "numeric", "text": "How many rupees?", "answer": 1350000},
            {"id": "n3", "type": "numeric", "text": "How many hours?", "answer": 2.5},
        ],
    )
    learner = learner_for(course)
    attempt_id = learner.attempt_id(learner.start(quiz))
    names = re.findall(r'inputmode="decimal" id="(q\d+)"', learner.page(attempt_id))
    response = learner.submit_page(attempt_id, dict(zip(names, ["2,000", "1,350,000", "2,5"], strict=True)))
    assert response.status_code == 302
    page = learner.page(attempt_id)
    assert 'value="2000"' in page and 'value="1350000"' in page and 'value="2.5"' in page
    learner.submit_page(attempt_id, dict(zip(names, ["2 000", "1350000", "2.5"], strict=True)), action="finish")
    with app.app_context():
        attempt = db.session.scalar(select(Attempt))
        assert attempt.score_percent == 100
