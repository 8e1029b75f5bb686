"""From a locked pool, through the course and the certificate, to a task, its approval and earnings."""

from samaschool.permissions import Role
from tests.browser.conftest import follow, log_in, pass_the_exam, screenshot
from tests.factories import PASSWORD


def test_locked_pool_to_course_to_certificate_to_paid_task(live_server, browser, make):
    course = make.course(title="Data Annotation Essentials", modules=1, lessons_per_module=1)
    exam = make.quiz(course, module=None, key="exam", title="Certification exam", pass_mark_percent=80)
    certification = make.certification(course, quiz=exam, min_percent=80)
    pool = make.pool(certification=certification, name="Product classification")
    make.tasks(pool, 3)
    learner = make.user(name="Akinyi Odhiambo")
    admin = make.user(Role.ADMIN)

    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    log_in(page, live_server, learner.email, PASSWORD)
    follow(page.get_by_role("link", name="Paid work"))
    assert "Locked." in page.content() and "You have completed 0 of 1 modules." in page.content()
    follow(page.get_by_role("link", name="Go to the course").first)
    pass_the_exam(page, live_server, course.slug)
    assert "Congratulations! You earned the Data Annotation Certificate." in page.content()

    follow(page.get_by_role("link", name="Paid work"))
    follow(page.get_by_role("link", name="Start working"))
    follow(page.get_by_role("button", name="Get a task"))
    assert "Phone model 1" in page.content()
    page.get_by_label("Electronics > Mobile phones").check()
    screenshot(page, "paid-task")
    follow(page.get_by_role("button", name="Submit answer"))
    assert "Answer saved" in page.content()

    reviewer = browser.new_context(viewport={"width": 1000, "height": 800}).new_page()
    log_in(reviewer, live_server, admin.email, PASSWORD)
    reviewer.goto(f"{live_server}/manage/review")
    reviewer.locator("input[name=ids]").first.check()
    reviewer.get_by_label("Action").select_option("approve")
    follow(reviewer.get_by_role("button", name="Apply to selected"))
    assert "1 submission(s) updated." in reviewer.content()

    page.goto(f"{live_server}/earnings")
    assert "Approved" in page.content() and "Ksh5.00" in page.content()  # a learner in Kenya: en_KE
    screenshot(page, "earnings")
    context.close()
