"""The sessions page on a small phone without JavaScript: read where you are logged in, and log
out everywhere else."""

from tests.browser.conftest import follow, log_in, screenshot
from tests.factories import PASSWORD


def test_a_learner_logs_out_everywhere_else_at_320_px_without_javascript(browser, live_server, app, make):
    user = make.user(email="wanjiku@example.org")
    cafe = app.test_client()  # a cybercafé computer she forgot to log out of
    cafe.submit("/account/login", {"email": user.email, "password": PASSWORD}, headers={"User-Agent": "Firefox/121.0"})
    context = browser.new_context(java_script_enabled=False, viewport={"width": 320, "height": 640})
    page = context.new_page()
    log_in(page, live_server, user.email, PASSWORD)

    page.goto(f"{live_server}/account/profile")
    follow(page.get_by_role("link", name="Where you are logged in"))
    assert page.get_by_role("heading", name="Where you are logged in").is_visible()
    assert page.get_by_text("This phone or computer").is_visible()
    assert page.get_by_role("heading", name="Firefox").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    screenshot(page, "sessions-320")

    follow(page.get_by_role("button", name="Log out everywhere else"))
    assert page.get_by_text("You are logged out on 1 other phone or computer.").is_visible()
    assert page.get_by_role("heading", name="Firefox").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert cafe.get("/dashboard").status_code == 302  # the cybercafé's session is over
    context.close()
