"""A live server and a real Chromium (Debian's, driven by Playwright). No skipping: CI installs it."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("SAMASCHOOL_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    assert Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}: run .ci/run or apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A phone-sized page (360 px wide), as most of our learners have."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=True)
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def follow(locator, **click) -> None:
    """Click a link or a submit button and wait until the page it leads to has loaded.

    A click only starts a navigation: reading the page straight after it can see the old
    page or an empty new one.
    """
    with locator.page.expect_navigation():
        locator.click(**click)


def log_in(page, live_server: str, email: str, password: str) -> None:
    page.goto(f"{live_server}/account/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    follow(page.get_by_role("button", name="Log in"))


def answer_every_question(page, starting_with: str) -> None:
    """Tick, in each question on the page, the first choice whose text starts so."""
    for question in page.locator("section.question").all():
        question.locator("label.choice", has_text=starting_with).first.click()


def pass_the_exam(page, live_server: str, course_slug: str) -> None:
    """From the learner's first visit: enrol, finish the (one) lesson, pass the course exam."""
    follow(page.get_by_role("button", name="Enrol in this course"))
    follow(page.get_by_role("button", name="Mark complete"))
    page.goto(f"{live_server}/courses/{course_slug}/quizzes/exam")
    follow(page.get_by_role("button", name="Start attempt"))
    answer_every_question(page, "Right")
    follow(page.get_by_role("button", name="Submit all answers"))
