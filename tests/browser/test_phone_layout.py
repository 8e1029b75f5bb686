"""Phone layouts in Chromium: the quiz statistics table becomes one card per question below
480 px, a wide table scrolls by keyboard, and a quote in a quiz question looks as in a lesson."""

from sqlalchemy import select

from samaschool.catalog.models import Lesson
from samaschool.content.markdown import render_markdown
from samaschool.extensions import db
from samaschool.permissions import Role
from tests.browser.conftest import follow, log_in
from tests.factories import PASSWORD

QUOTED = {
    "id": "quoted",
    "type": "single_choice",
    "text": "Which label fits this title?\n\n> Tecno Spark 20, 128 GB, Gravity Black",
    "choices": [{"text": "Mobile phones", "correct": True}, {"text": "Beverages"}],
}


def test_statistics_stack_into_cards_below_480_px(live_server, browser, make, client):
    course = make.course(modules=1, lessons_per_module=1)
    quiz = make.quiz(course, questions=[QUOTED])
    learner = make.user()
    client.submit("/account/login", {"email": learner.email, "password": PASSWORD})
    client.submit(f"/courses/{course.slug}/enrol", page=f"/courses/{course.slug}")
    start = client.submit(f"/courses/{course.slug}/quizzes/{quiz.key}/start", page=f"/courses/{course.slug}")
    client.submit(start.headers["Location"], {"page": "1", "action": "finish"})
    trainer = make.user(Role.TRAINER)
    make.staff(course, trainer)
    context = browser.new_context(viewport={"width": 320, "height": 700})
    page = context.new_page()
    log_in(page, live_server, trainer.email, PASSWORD)
    page.goto(f"{live_server}/courses/{course.slug}/quizzes/{quiz.key}/statistics")

    row = page.locator("table.stack tbody tr").first
    assert row.evaluate("tr => getComputedStyle(tr).display") == "block"
    facility = row.locator("td").nth(2)
    assert facility.evaluate("td => getComputedStyle(td, '::before').content") == '"Facility"'
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.set_viewport_size({"width": 1280, "height": 700})
    assert row.evaluate("tr => getComputedStyle(tr).display") == "table-row"

    # A wide table's box is reached with the Tab key, so a keyboard can scroll it.
    regions = page.locator(".table-wrap[role=region]")
    assert regions.count() == 2
    page.locator("h1").click()
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('table-wrap')"):
            break
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Score distribution"
    context.close()


def test_a_quote_in_a_question_is_styled_as_in_a_lesson(app, live_server, page, make):
    course = make.course(modules=1, lessons_per_module=1)
    quiz = make.quiz(course, questions=[QUOTED])
    with app.app_context():
        lesson = db.session.scalars(select(Lesson).where(Lesson.course_id == course.id)).one()
        lesson.body_html = render_markdown("> A label says what the item **is**.")
        db.session.commit()
    learner = make.user()
    log_in(page, live_server, learner.email, PASSWORD)
    page.goto(f"{live_server}/courses/{course.slug}")
    follow(page.get_by_role("button", name="Enrol in this course"))
    style = "q => ['borderLeft', 'paddingLeft', 'color'].map(p => getComputedStyle(q)[p]).join(' | ')"
    in_lesson = page.locator("article.lesson blockquote").evaluate(style)
    page.goto(f"{live_server}/courses/{course.slug}/quizzes/{quiz.key}")
    follow(page.get_by_role("button", name="Start attempt"))
    in_question = page.locator(".qtext blockquote").evaluate(style)
    assert in_question == in_lesson and in_lesson.startswith("4px solid")
