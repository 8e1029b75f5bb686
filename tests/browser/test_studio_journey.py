"""A trainer builds a small course in the studio with JavaScript off — a lesson with an image and
a voice note, a question and a quiz — previews it as a learner, publishes it, and a learner
takes it, also with JavaScript off."""

from __future__ import annotations

from samaschool.permissions import Role
from tests import media_samples
from tests.browser.conftest import follow, log_in, screenshot
from tests.factories import PASSWORD


def _no_js(browser):
    return browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False).new_page()


def _upload(page, name: str, data: bytes, mime: str, text: str) -> None:
    page.get_by_label("Image or sound file").set_input_files({"name": name, "mimeType": mime, "buffer": data})
    page.get_by_label("Alt text for an image, or the transcript of a sound").fill(text)
    follow(page.get_by_role("button", name="Add file"))


def build_course(page, live_server: str) -> None:
    """From the studio's front page to a course with one lesson holding an image and a sound."""
    page.goto(f"{live_server}/studio/")
    follow(page.get_by_role("link", name="New course"))
    page.get_by_label("Title").fill("Tagging Photos of Products")
    page.get_by_label("Short name (for the course's address)").fill("tagging-photos")
    page.get_by_label("Summary (what learners will be able to do)").fill("Tag product photos the way pools expect.")
    page.get_by_label("Estimated hours (lessons and quizzes)").fill("1")
    follow(page.get_by_role("button", name="Create course"))
    assert "Not published yet" in page.content()

    page.get_by_label("Module title").fill("Tags that pools accept")
    page.get_by_label("Short name of the module").fill("tags")
    follow(page.get_by_role("button", name="Add module"))
    page.get_by_text("Add a lesson to this module").click()  # <details> opens without JavaScript
    page.get_by_label("Lesson title").fill("One photo, one main tag")
    page.get_by_label("Short name of the lesson").fill("one-main-tag")
    page.get_by_label("Minutes to read").fill("5")
    follow(page.get_by_role("button", name="Add lesson"))
    assert page.get_by_role("heading", name="Lesson: One photo, one main tag").is_visible()

    page.get_by_label("Lesson text (Markdown)").fill("Give each photo **one** main tag: what the product *is*.")
    _upload(
        page,
        "Shoe.png",
        media_samples.png(1200, 900, color=(30, 90, 200)),
        "image/png",
        "A blue running shoe on a white table",
    )
    _upload(
        page, "voice-note.wav", media_samples.speech_wav(3.0), "audio/wav", "Tag the shoe as footwear, not as a bag."
    )
    body = page.get_by_label("Lesson text (Markdown)").input_value()
    assert "![A blue running shoe on a white table](../media/shoe.png)" in body
    assert "```audio ../media/voice-note.wav\nTag the shoe as footwear, not as a bag.\n```" in body
    follow(page.get_by_role("button", name="Preview"))
    assert page.locator(".preview picture img").get_attribute("alt") == "A blue running shoe on a white table"
    assert page.locator(".preview audio").get_attribute("preload") == "none"
    screenshot(page, "studio-lesson-preview")
    follow(page.get_by_role("button", name="Save"))
    assert "Lesson saved in the draft." in page.content()


def add_question_and_quiz(page) -> None:
    """A single-choice question on the lesson, and the module's quiz made of it."""
    follow(page.get_by_role("link", name="Questions", exact=True))
    follow(page.get_by_role("link", name="Single choice"))
    page.get_by_label("Id", exact=True).fill("main-tag-shoe")
    page.get_by_label("Lesson it assesses").select_option(label="One photo, one main tag")
    page.get_by_label("Question (Markdown)").fill("A photo shows one running shoe. Which main tag fits?")
    page.get_by_label("Choice 1", exact=True).fill("Footwear")
    page.get_by_label("Right answer (Choice 1)").check()
    page.get_by_label("Choice 2", exact=True).fill("Bags")
    page.get_by_label("Name of the new file: questions/….yml").fill("tags")
    follow(page.get_by_role("button", name="Save").last)
    assert "Question saved in the draft (questions/tags.yml)" in page.content()

    follow(page.get_by_role("link", name="Quizzes", exact=True))
    follow(page.locator("tr", has_text="Module: Tags that pools accept").get_by_role("link", name="Add a quiz"))
    page.get_by_label("Pass mark, percent").fill("100")
    page.get_by_role("checkbox", name="main-tag-shoe").check()
    follow(page.get_by_role("button", name="Save").last)
    assert "Quiz saved in the draft (tags/quiz.yml)" in page.content()


def test_a_trainer_builds_publishes_and_a_learner_takes_a_course_without_javascript(live_server, browser, make):
    trainer = make.user(Role.TRAINER, name="Baraka Trainer")
    learner = make.user(name="Akinyi Odhiambo")
    page = _no_js(browser)
    log_in(page, live_server, trainer.email, PASSWORD)
    build_course(page, live_server)
    add_question_and_quiz(page)

    follow(page.get_by_role("link", name="Outline"))
    follow(page.get_by_role("link", name="Preview as a learner"))
    follow(page.get_by_role("link", name="One photo, one main tag"))
    assert page.locator(".lesson-body picture").count() == 1 and page.get_by_text("Listen (").is_visible()
    follow(page.get_by_role("link", name="Outline"))
    follow(page.get_by_role("button", name="Publish"))
    assert "Published: learners now see this version" in page.content()
    screenshot(page, "studio-outline")

    reader = _no_js(browser)
    log_in(reader, live_server, learner.email, PASSWORD)
    reader.goto(f"{live_server}/courses/tagging-photos")
    follow(reader.get_by_role("button", name="Enrol in this course"))
    assert reader.get_by_role("heading", name="One photo, one main tag").is_visible()
    assert reader.locator(".lesson-body picture img").get_attribute("alt") == "A blue running shoe on a white table"
    assert reader.get_by_text("Listen (").is_visible()
    follow(reader.get_by_role("button", name="Mark complete"))  # the last lesson leads to the quiz
    follow(reader.get_by_role("button", name="Start attempt"))
    reader.get_by_label("Footwear").check()
    follow(reader.get_by_role("button", name="Submit all answers"))
    assert "You passed" in reader.content()
    screenshot(reader, "studio-course-taken")
