"""From sign-up to the first submitted paid task on a phone, counting the learner's taps and the
pages loaded on the way: a course of two modules (two lessons and a quiz each), a two-page exam,
a certificate and the pool it unlocks.

Before each result page led on (issue 9) this took 33 taps and 25 page loads: after each module
quiz "Back to the course" at the bottom of the result, then the next lesson or the exam on the
course page; after the exam "Paid work" in the menu, then "Start working". Now the result's first
action is the next module or the exam, and the exam's result links the pool the certificate
unlocked: 30 taps and 22 page loads. Nine of the taps choose answers (eight in quizzes, one in
the task); the page loads count the first one, of the home page."""

from tests.browser.conftest import follow, screenshot

TAPS, PAGE_LOADS = 30, 22


class Counter:
    """Counts the learner's taps (every click: links, buttons, answers) and the pages loaded."""

    def __init__(self, page):
        self.page, self.taps, self.loads = page, 0, 0
        page.on("framenavigated", self._navigated)

    def _navigated(self, frame):
        if frame == self.page.main_frame:
            self.loads += 1

    def tap(self, locator):
        self.taps += 1
        locator.click()

    def link(self, name: str):
        self.taps += 1
        follow(self.page.get_by_role("link", name=name, exact=True).first)

    def button(self, name: str):
        self.taps += 1
        follow(self.page.get_by_role("button", name=name, exact=True))

    def answer_every_question(self, starting_with: str):
        for question in self.page.locator("section.question").all():
            self.tap(question.locator("label.choice", has_text=starting_with).first)


def _single_choice(key: str) -> dict:
    return {
        "id": key,
        "type": "single_choice",
        "text": f"Question {key}?",
        "choices": [{"text": f"Right {key}", "correct": True}, {"text": f"Wrong {key}"}],
    }


def test_taps_from_sign_up_to_the_first_paid_task(live_server, browser, make):
    course = make.course(title="Data Annotation Essentials", modules=2, lessons_per_module=2)
    make.quiz(course, module=1, title="Module 1 quiz", questions=[_single_choice("m1a"), _single_choice("m1b")])
    make.quiz(course, module=2, title="Module 2 quiz", questions=[_single_choice("m2a"), _single_choice("m2b")])
    exam = make.quiz(
        course,
        module=None,
        key="exam",
        title="Certification exam",
        pass_mark_percent=80,
        questions_per_page=2,
        questions=[_single_choice(f"e{i}") for i in range(1, 5)],
    )
    certification = make.certification(course, quiz=exam, min_percent=80)
    pool = make.pool(certification=certification, name="Product classification")
    make.tasks(pool, 3)

    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    count = Counter(page)
    page.goto(f"{live_server}/")
    count.link("Sign up")
    page.get_by_label("Your name").fill("Akinyi Odhiambo")
    page.get_by_label("Email").fill("akinyi@example.org")
    page.get_by_label("Password").fill("sunrise bicycle market lamp")
    page.get_by_label("Country").select_option("KE")
    count.button("Sign up")
    assert "Welcome, Akinyi Odhiambo" in page.content()

    # The learner came for paid work: the locked pool sends them to the course.
    count.link("Paid work")
    count.link("Go to the course")
    count.button("Enrol in this course")
    for module in (1, 2):
        for lesson in (1, 2):
            assert page.get_by_role("heading", name=f"Lesson {module}.{lesson}").is_visible()
            count.button("Mark complete")
        assert page.get_by_role("heading", name=f"Module {module} quiz").is_visible()
        count.button("Start attempt")
        count.answer_every_question("Right")
        count.button("Submit all answers")
        assert "You passed" in page.content()
        # The result's first action is the way on: the next module, then the exam.
        first_action = page.locator("main a.button").first
        if module == 1:
            assert first_action.inner_text() == "Go on to module 2: Module 2"
        else:
            assert first_action.inner_text() == "Take the final assessment: Certification exam"
        count.tap(first_action)

    count.button("Start attempt")
    count.answer_every_question("Right")
    count.button("Next page →")
    count.answer_every_question("Right")
    count.button("Submit all answers")
    assert "Congratulations! You earned the Data Annotation Certificate." in page.content()
    # The exam result points to the pool the certificate unlocked.
    count.link("Start working: Product classification")
    count.button("Get a task")
    count.tap(page.get_by_label("Electronics > Mobile phones"))
    count.button("Submit answer")
    assert "Answer saved" in page.content()
    screenshot(page, "first-paid-task")
    assert (count.taps, count.loads) == (TAPS, PAGE_LOADS), f"{count.taps} taps, {count.loads} page loads"
    context.close()
