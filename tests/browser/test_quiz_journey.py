"""A learner fails a quiz, waits out the retry delay, passes, and sees the module complete."""

from datetime import timedelta

from sqlalchemy import select

from samaschool.assessments.models import Attempt
from samaschool.extensions import db
from tests.browser.conftest import answer_every_question, follow, log_in, screenshot
from tests.factories import PASSWORD


def test_fail_wait_pass_and_module_complete(app, live_server, page, make):
    course = make.course(title="Data Annotation Essentials", modules=1, lessons_per_module=1)
    make.quiz(course, title="Module 1 quiz", retry_delay_minutes=1, questions_per_page=2, pass_mark_percent=60)
    learner = make.user()
    log_in(page, live_server, learner.email, PASSWORD)
    page.goto(f"{live_server}/courses/{course.slug}")
    follow(page.get_by_role("button", name="Enrol in this course"))
    follow(page.get_by_role("button", name="Mark complete"))  # the last lesson leads to the quiz
    assert page.get_by_role("heading", name="Module 1 quiz").is_visible()

    follow(page.get_by_role("button", name="Start attempt"))
    answer_every_question(page, "Wrong")
    follow(page.get_by_role("button", name="Next page"))
    answer_every_question(page, "Wrong")
    follow(page.get_by_role("button", name="Submit all answers"))
    assert "Not passed yet" in page.content()
    follow(page.get_by_role("link", name="Module 1 quiz"))
    assert "You can try again at" in page.content()

    # The retry delay passes (moved back in time rather than sleeping a minute).
    with app.app_context():
        for attempt in db.session.scalars(select(Attempt)):
            attempt.submitted_at -= timedelta(minutes=2)
        db.session.commit()
    page.reload()
    follow(page.get_by_role("button", name="Try again"))
    answer_every_question(page, "Right")
    follow(page.get_by_role("button", name="Next page"))
    answer_every_question(page, "Right")
    follow(page.get_by_role("button", name="Submit all answers"))
    assert "You passed" in page.content()
    screenshot(page, "quiz-review")

    follow(page.get_by_role("link", name="My learning"))
    assert "100% complete (2 of 2 lessons and quizzes)" in page.content()
    page.goto(f"{live_server}/courses/{course.slug}")
    assert page.locator(".quiz-row .tick", has_text="passed").is_visible()
