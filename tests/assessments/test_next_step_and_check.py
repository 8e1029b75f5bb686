"""Learners on phones: a quiz result leads on (the next module, then the exam) before the 10
screens of reviewed questions; Enter on a quiz page saves and continues, and on the last page it
leads to a check before submitting; each question's answers are a group named by the question."""

import re
from html.parser import HTMLParser

from sqlalchemy import func, select

from samaschool.assessments.models import Attempt
from samaschool.extensions import db


def _pass(learner, quiz) -> int:
    attempt_id = learner.attempt_id(learner.start(quiz))
    data = {}
    for options in learner.answer_fields(attempt_id).values():
        name, value = options[next(text for text in options if text.startswith("Right"))]
        data[name] = value
    assert learner.submit_page(attempt_id, data, action="finish").status_code == 302
    return attempt_id


def _first_action(html: str) -> tuple[str, str]:
    """(href, text) of the first button-styled link in the page's main content."""
    main = html.split('<main id="main">', 1)[1]
    href, text = re.search(r'<a class="button" href="([^"]+)">([^<]+)</a>', main).groups()
    return href, text


def test_a_passed_module_quiz_leads_to_the_next_module_then_to_the_exam(make, learner_for):
    course = make.course(modules=2, lessons_per_module=2)
    quiz_1 = make.quiz(course, module=1, review_policy="answers")
    quiz_2 = make.quiz(course, module=2, key="module-2", review_policy="answers")
    exam = make.quiz(course, module=None, key="exam", title="Certification exam")
    learner = learner_for(course)

    result = learner.client.get(f"/attempts/{_pass(learner, quiz_1)}/review").get_data(as_text=True)
    href, text = _first_action(result)
    assert (href, text) == (f"/courses/{course.slug}/lessons/lesson-2-1", "Go on to module 2: Module 2")
    # It comes before the reviewed questions, not after them.
    assert result.index(text) < result.index("Question 1")

    result = learner.client.get(f"/attempts/{_pass(learner, quiz_2)}/review").get_data(as_text=True)
    href, text = _first_action(result)
    assert (href, text) == (
        f"/courses/{course.slug}/quizzes/{exam.key}",
        "Take the final assessment: Certification exam",
    )

    # After the exam there is no module left (what its certificate unlocks is the next step).
    result = learner.client.get(f"/attempts/{_pass(learner, exam)}/review").get_data(as_text=True)
    assert "Go on to module" not in result and "Take the final assessment" not in result
    # A failed attempt leads back to the quiz, not on.
    other = learner_for(course)
    attempt_id = other.attempt_id(other.start(quiz_1))
    other.submit_page(attempt_id, {}, action="finish")
    result = other.client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "Not passed yet" in result and "Go on to module" not in result


def test_the_exam_result_points_to_the_pool_the_new_certificate_unlocked(app, make, learner_for):
    course = make.course(modules=1, lessons_per_module=1)
    exam = make.quiz(course, module=None, key="exam", title="Certification exam")
    certification = make.certification(course, quiz=exam, min_percent=60)
    pool = make.pool(certification=certification, name="Product classification")
    learner = learner_for(course)
    learner.client.submit(f"/courses/{course.slug}/lessons/lesson-1-1/complete", page=f"/courses/{course.slug}")
    attempt_id = _pass(learner, exam)
    result = learner.client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "Congratulations! You earned the Data Annotation Certificate." in result
    link = f'<a class="button" href="/pools/{pool.slug}">Start working: Product classification</a>'
    assert link in result
    # It is the page's first action, before the reviewed questions.
    main = result.split('<main id="main">', 1)[1]
    assert main.index('class="button"') == main.index(link) + len("<a ")
    assert main.index(link) < main.index("Question 1")


class FirstSubmit(HTMLParser):
    """The attempt form's first submit button (what Enter presses), and the groups of answers:
    each fieldset's legend text and the names of the fields inside it."""

    def __init__(self):
        super().__init__()
        self.first, self.groups, self._legend = None, [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "button" and attrs.get("type") == "submit" and self.first is None:
            self.first = attrs
        if tag == "fieldset":
            self.groups.append({"legend": "", "fields": set()})
        if tag == "legend":
            self._legend = True
        if tag in ("input", "select", "textarea") and attrs.get("type") != "hidden" and self.groups:
            self.groups[-1]["fields"].add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "legend":
            self._legend = False

    def handle_data(self, data):
        if self._legend:
            self.groups[-1]["legend"] += data


def _parse(html: str) -> FirstSubmit:
    form = html.split('<form method="post" action="/attempts/', 1)[1]
    parser = FirstSubmit()
    parser.feed(form)
    return parser


def test_enter_presses_save_and_continue_and_on_the_last_page_the_check(app, make, learner_for):
    course = make.course()
    quiz = make.quiz(course, questions_per_page=1)
    learner = learner_for(course)
    attempt_id = learner.attempt_id(learner.start(quiz))
    for page, action in ((1, "next"), (2, "next"), (3, "review")):
        first = _parse(learner.page(attempt_id, page)).first
        assert (first["name"], first["value"]) == ("action", action), page
        # Out of sight and of the tab order; screen readers use the visible buttons.
        assert first["aria-hidden"] == "true" and first["tabindex"] == "-1" and "sr-only" in first["class"]

    # "review" saves the page and shows the check; nothing is submitted.
    fields = learner.answer_fields(attempt_id, 3)
    name, value = next(iter(fields.values()))["Right 3"]
    response = learner.submit_page(attempt_id, {name: value}, page=3, action="review")
    assert response.status_code == 302 and response.headers["Location"] == f"/attempts/{attempt_id}/submit"
    check = learner.client.get(f"/attempts/{attempt_id}/submit").get_data(as_text=True)
    assert "You answered 1 of 3 questions." in check
    assert f'<a href="/attempts/{attempt_id}?page=1">Question 1</a>' in check
    assert f'<a href="/attempts/{attempt_id}?page=2">Question 2</a>' in check
    assert "Question 3</a>" not in check
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.state == "in_progress" and attempt.questions[2].response == {"choice": value}

    # Submitting from the check grades the attempt once; a replayed post changes nothing.
    first = learner.client.submit(f"/attempts/{attempt_id}/submit")
    assert first.status_code == 302 and first.headers["Location"] == f"/attempts/{attempt_id}/review"
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        submitted_at, score = attempt.submitted_at, attempt.score_percent
    assert attempt.state == "submitted" and round(score) == 33
    token = learner.client.csrf_token("/account/profile")
    replay = learner.client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": token})
    assert replay.status_code == 302 and replay.headers["Location"] == f"/attempts/{attempt_id}/review"
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert (attempt.submitted_at, attempt.score_percent) == (submitted_at, score)
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1
    # The check of a submitted attempt leads to its result.
    assert learner.client.get(f"/attempts/{attempt_id}/submit").headers["Location"].endswith(f"/attempts/{attempt_id}")


def test_the_check_is_the_learners_own_and_needs_a_form_token(app, make, learner_for):
    course = make.course()
    quiz = make.quiz(course)
    owner, stranger = learner_for(course), learner_for(course)
    attempt_id = owner.attempt_id(owner.start(quiz))
    assert stranger.client.get(f"/attempts/{attempt_id}/submit").status_code == 404
    assert stranger.client.submit(f"/attempts/{attempt_id}/submit", page="/account/profile").status_code == 404
    assert owner.client.post(f"/attempts/{attempt_id}/submit").status_code == 400  # no CSRF token
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).state == "in_progress"


def test_each_question_is_a_group_named_by_its_text(make, learner_for):
    course = make.course()
    quiz = make.quiz(
        course,
        questions=[
            {
                "id": "one",
                "type": "single_choice",
                "text": "Pick one?",
                "choices": [{"text": "A", "correct": True}, {"text": "B"}],
            },
            {
                "id": "many",
                "type": "multiple_response",
                "text": "Pick some?",
                "choices": [{"text": "A", "correct": True}, {"text": "B"}],
            },
            {"id": "tf", "type": "true_false", "text": "Is it so?", "answer": True},
            {"id": "short", "type": "short_answer", "text": "Say it?", "answers": ["it"]},
            {
                "id": "match",
                "type": "matching",
                "text": "Match them?",
                "pairs": [{"left": "a", "right": "1"}, {"left": "b", "right": "2"}],
            },
        ],
    )
    learner = learner_for(course)
    attempt_id = learner.attempt_id(learner.start(quiz))
    groups = _parse(learner.page(attempt_id)).groups
    legends = [" ".join(group["legend"].split()) for group in groups]
    assert legends == [
        "Pick one? Choose one answer",
        "Pick some? Choose all that apply",
        "Is it so? True or false",
        "Say it?",
        "Match them?",
    ]
    # Every answer field sits in its question's group, each group holds one question's fields.
    prefixes = [{name.split("-")[0] for name in group["fields"]} for group in groups]
    assert all(len(p) == 1 for p in prefixes) and len(set().union(*prefixes)) == 5
