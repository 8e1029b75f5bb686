"""Quiz pages on a phone keyboard: Enter (the phone's Go key) in an answer saves and goes on, never
back a page, and on the last page it shows the check before submitting instead of submitting.
Each question's answers are a group named by the question, as screen readers announce it."""

from sqlalchemy import select

from samaschool.assessments.models import Attempt
from samaschool.extensions import db
from tests.browser.conftest import follow, log_in
from tests.factories import PASSWORD

QUESTIONS = [
    {
        "id": "label",
        "type": "single_choice",
        "text": "Which label fits a Tecno Spark 20?",
        "choices": [{"text": "Mobile phones", "correct": True}, {"text": "Beverages"}],
    },
    {"id": "pdf", "type": "short_answer", "text": "What three letters end a PDF file's name?", "answers": ["pdf"]},
    {"id": "fee", "type": "numeric", "text": "USD 50 less a 10% fee is how many dollars?", "answer": 45},
]


def test_enter_saves_and_continues_and_never_submits_the_attempt(app, live_server, page, make):
    course = make.course(modules=1, lessons_per_module=1)
    make.quiz(course, title="Module 1 quiz", questions=QUESTIONS, questions_per_page=1)
    learner = make.user()
    log_in(page, live_server, learner.email, PASSWORD)
    page.goto(f"{live_server}/courses/{course.slug}")
    follow(page.get_by_role("button", name="Enrol in this course"))
    page.goto(f"{live_server}/courses/{course.slug}/quizzes/module-1")
    follow(page.get_by_role("button", name="Start attempt"))

    # Screen readers name each group of answers by its question.
    group = page.get_by_role("group", name="Which label fits a Tecno Spark 20?")
    group.get_by_role("radio", name="Mobile phones").check()
    follow(page.get_by_role("button", name="Next page"))
    assert "Page 2 of 3" in page.content()
    assert (
        page.get_by_role("group", name="What three letters end a PDF file's name?")
        .get_by_label("Your answer")
        .is_visible()
    )

    # Page 2 has "Previous page" before "Next page": Enter still goes on, and keeps the answer.
    page.get_by_label("Your answer").fill("pdf")
    with page.expect_navigation():
        page.get_by_label("Your answer").press("Enter")
    assert "Page 3 of 3" in page.content()
    follow(page.get_by_role("button", name="Previous page"))
    assert page.get_by_label("Your answer").input_value() == "pdf"
    with page.expect_navigation():
        page.get_by_label("Your answer").press("Enter")
    assert "Page 3 of 3" in page.content()

    # The last page: Enter saves and shows the check; the attempt stays open.
    page.get_by_label("Your answer (a number)").fill("45")
    with page.expect_navigation():
        page.get_by_label("Your answer (a number)").press("Enter")
    assert page.get_by_role("heading", name="Check your answers").is_visible()
    assert "You answered 3 of 3 questions." in page.content()
    with app.app_context():
        attempt = db.session.scalar(select(Attempt))
        assert attempt.state == "in_progress"
        assert [aq.response for aq in attempt.questions][1:] == [{"text": "pdf"}, {"value": 45.0}]

    follow(page.get_by_role("button", name="Submit all answers"))
    assert "You passed" in page.content()
