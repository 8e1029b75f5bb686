"""A learner signs up, enrols, completes a module and sees the right percent."""

from tests.browser.conftest import follow, screenshot


def test_learner_signs_up_enrols_completes_a_module_and_sees_progress(live_server, page, make):
    course = make.course(title="Digital Work Foundations", modules=2, lessons_per_module=3)

    page.goto(f"{live_server}/")
    follow(page.get_by_role("link", name="Sign up", exact=True).first)
    page.get_by_label("Your name").fill("Achieng Otieno")
    page.get_by_label("Email").fill("achieng@example.org")
    page.get_by_label("Password").fill("sunrise bicycle market lamp")
    page.get_by_label("Country").select_option("KE")
    page.get_by_label("Preferred language").select_option("en")
    follow(page.get_by_role("button", name="Sign up"))
    assert "Welcome, Achieng Otieno" in page.content()

    follow(page.get_by_role("link", name="Digital Work Foundations"))
    follow(page.get_by_role("button", name="Enrol in this course"))
    assert page.get_by_role("heading", name="Lesson 1.1").is_visible()

    for number in (1, 2, 3):
        assert page.get_by_role("heading", name=f"Lesson 1.{number}").is_visible()
        follow(page.get_by_role("button", name="Mark complete"))
    # After the module's last lesson the learner lands on the next module's first lesson.
    assert page.get_by_role("heading", name="Lesson 2.1").is_visible()

    follow(page.get_by_role("link", name="My learning"))
    assert "50% complete (3 of 6 lessons and quizzes)" in page.content()
    assert (
        page.get_by_role("link", name="Continue where you left off")
        .get_attribute("href")
        .endswith(f"/courses/{course.slug}/lessons/lesson-2-1")
    )
    # Usable at 320 px: nothing wider than the screen.
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    screenshot(page, "learner-dashboard")


def test_pages_work_without_javascript(browser, live_server, make):
    make.course(title="Winning Work on Gig Platforms")
    context = browser.new_context(java_script_enabled=False, viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(f"{live_server}/courses/")
    page.get_by_label("Search by title").fill("gig")
    follow(page.get_by_role("button", name="Show courses"))
    assert "Winning Work on Gig Platforms" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    context.close()
