"""Paid tasks with media in Chromium: bounding boxes drawn by tapping with JavaScript off (and seen
in review), the same dragged with static/js/boxes.js, and an audio task answered."""

from __future__ import annotations

from sqlalchemy import select

from samaschool.extensions import db
from samaschool.media import services as media_services
from samaschool.permissions import Role
from samaschool.pools.models import Assignment, Task
from tests import media_samples
from tests.browser.conftest import follow, log_in, screenshot
from tests.browser.test_axe import blocking_violations
from tests.factories import PASSWORD

SHOE = {"label": "shoe", "x": 100, "y": 100, "w": 400, "h": 300}
BAG = {"label": "bag", "x": 800, "y": 700, "w": 500, "h": 300}


def _pool_with_one_task(app, make, task_type: str, payload: dict):
    course = make.course(modules=1, lessons_per_module=1)
    certification = make.certification(course)
    pool = make.pool(certification=certification, task_type=task_type, labels=["shoe", "bag"], name="Product photos")
    worker = make.user(name="Wanjiru Worker")
    make.certificate(worker, certification)
    with app.app_context():
        db.session.add(Task(pool_id=pool.id, external_id="p1", payload=payload))
        db.session.commit()
    return pool, worker


def _stored(app, data: bytes, name: str) -> str:
    with app.app_context():
        key = media_services.ingest(data, name).key
        db.session.commit()
        return key


def _photo(app) -> str:
    """A 1440 x 1080 image: shown 288 CSS pixels wide, so a CSS pixel is 5 of the image's own."""
    return _stored(app, media_samples.png(1440, 1080, color=(90, 140, 200)), "shelf.png")


def _answer(app):
    with app.app_context():
        return db.session.scalar(select(Assignment.answer).where(Assignment.state == "submitted"))


def _get_a_task(page, live_server, pool, worker):
    log_in(page, live_server, worker.email, PASSWORD)
    page.goto(f"{live_server}/pools/{pool.slug}")
    follow(page.get_by_role("button", name="Get a task"))


def test_boxes_drawn_by_tapping_without_javascript_are_seen_in_review(app, live_server, browser, make):
    pool, worker = _pool_with_one_task(app, make, "bounding_boxes", {"image": _photo(app)})
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    page = context.new_page()
    _get_a_task(page, live_server, pool, worker)
    image = page.locator("input[name=tap]")
    assert image.bounding_box()["width"] == 288  # what the page says it shows: nothing shrinks it

    page.get_by_label("shoe").check()
    follow(image, position={"x": 20, "y": 20})  # each tap posts the form and comes back
    assert "Now tap the opposite corner" in page.content()
    follow(page.locator("input[name=tap]"), position={"x": 100, "y": 80})
    page.get_by_label("bag").check()
    follow(page.locator("input[name=tap]"), position={"x": 260, "y": 200})
    follow(page.locator("input[name=tap]"), position={"x": 160, "y": 140})
    follow(page.locator("input[name=tap]"), position={"x": 10, "y": 200})  # one corner too many…
    follow(page.get_by_role("button", name="Undo"))  # …taken back
    assert page.locator(".box-list li").count() == 2
    screenshot(page, "boxes-no-js")
    follow(page.get_by_role("button", name="Submit answer"))
    page.get_by_text("Answer saved").wait_for()
    assert _answer(app) == [SHOE, BAG]  # in the image's own pixels
    context.close()

    admin = make.user(Role.ADMIN)
    reviewer = browser.new_context(viewport={"width": 1000, "height": 800}).new_page()
    log_in(reviewer, live_server, admin.email, PASSWORD)
    reviewer.goto(f"{live_server}/manage/review")
    figure = reviewer.locator(".boxes-canvas")
    assert figure.locator("img").count() == 1
    assert figure.locator("rect").count() == 4  # two boxes, each drawn twice (light under dark)
    assert reviewer.locator(".box-list li").all_inner_texts()[0].startswith("shoe")
    assert "2 boxes" in reviewer.content()
    screenshot(reviewer, "boxes-review")
    assert blocking_violations(reviewer) == []
    reviewer.context.close()


def test_boxes_dragged_with_the_script(app, live_server, browser, make):
    pool, worker = _pool_with_one_task(app, make, "bounding_boxes", {"image": _photo(app)})
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    _get_a_task(page, live_server, pool, worker)
    assert blocking_violations(page) == []
    page.set_viewport_size({"width": 320, "height": 700})  # the narrowest phones: nothing scrolls sideways
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    image = page.locator("input[name=tap]")
    assert image.bounding_box()["width"] == 288
    image.scroll_into_view_if_needed()

    def drag(start, end):
        box = image.bounding_box()
        page.mouse.move(box["x"] + start[0], box["y"] + start[1])
        page.mouse.down()
        page.mouse.move(box["x"] + end[0], box["y"] + end[1], steps=6)
        page.mouse.up()

    page.get_by_label("shoe").check()
    drag((20, 20), (100, 80))
    page.get_by_label("bag").check()
    drag((260, 200), (160, 140))
    assert page.locator(".box-list li").count() == 2  # drawn here, no request
    assert page.locator("input[name=boxes]").input_value().count('"label"') == 2
    follow(image, position={"x": 40, "y": 40})  # a tap still posts, carrying the dragged boxes along
    assert "Now tap the opposite corner" in page.content()
    page.get_by_role("button", name="Undo").click()
    screenshot(page, "boxes-dragged")
    follow(page.get_by_role("button", name="Submit answer"))
    page.get_by_text("Answer saved").wait_for()
    assert _answer(app) == [SHOE, BAG]
    context.close()


def test_an_audio_task_answered_in_chromium(app, live_server, browser, make):
    key = _stored(app, media_samples.speech_wav(3.0), "voice-note.wav")
    pool, worker = _pool_with_one_task(app, make, "audio_transcription", {"audio": key})
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    _get_a_task(page, live_server, pool, worker)
    audio = page.locator("audio")
    assert audio.get_attribute("preload") == "none" and audio.get_attribute("controls") is not None
    assert page.locator("audio source").count() == 2
    assert page.get_by_text("Listen (").is_visible()  # the size, before anything is downloaded
    assert blocking_violations(page) == []
    page.get_by_label("Your transcript, following the instructions' conventions").fill("Deliver it on Monday.")
    screenshot(page, "audio-task")
    follow(page.get_by_role("button", name="Submit answer"))
    page.get_by_text("Answer saved").wait_for()
    assert _answer(app) == "Deliver it on Monday."
    context.close()
