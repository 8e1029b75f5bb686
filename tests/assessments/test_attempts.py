import re
from datetime import timedelta

from sqlalchemy import func, select

from samaschool.assessments.models import Attempt, AttemptQuestion
from samaschool.extensions import db


def _answer_all(learner, attempt_id, right=True, action="finish"):
    fields = learner.answer_fields(attempt_id)
    data = {}
    for _question, options in fields.items():
        label = next(t for t in options if t.startswith("Right" if right else "Wrong"))
        name, value = options[label]
        data[name] = value
    return learner.submit_page(attempt_id, data, action=action)


def test_learner_passes_a_quiz_and_sees_the_review(app, make, learner_for):
    course = make.course()
    quiz = make.quiz(course, review_policy="answers")
    learner = learner_for(course)
    attempt_id = learner.attempt_id(learner.start(quiz))
    response = _answer_all(learner, attempt_id)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/attempts/{attempt_id}/review")
    review = learner.client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "Attempt 1: 100.0%" in review and "You passed" in review
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.state == "submitted" and attempt.passed and attempt.score_percent == 100


def test_double_submit_and_replay_grade_once(app, make, learner_for):
    course = make.course()
    quiz = make.quiz(course)
    learner = learner_for(course)
    attempt_id = learner.attempt_id(learner.start(quiz))
    fields = learner.answer_fields(attempt_id)
    token = learner.client.csrf_token(f"/attempts/{attempt_id}")
    data = {"csrf_token": token, "page": "1", "action": "finish"}
    for options in fields.values():
        name, value = options[next(t for t in options if t.startswith("Right"))]
        data[name] = value
    first = learner.client.post(f"/attempts/{attempt_id}", data=data)
    with app.app_context():
        submitted_at = db.session.get(Attempt, attempt_id).submitted_at
    wrong = dict(data)
    for options in fields.values():
        name, value = options[next(t for t in options if t.startswith("Wrong"))]
        wrong[name] = value
    second = learner.client.post(f"/attempts/{attempt_id}", data=wrong)
    assert first.status_code == second.status_code == 302
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.score_percent == 100 and attempt.submitted_at == submitted_at
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1


def test_answers_are_saved_per_page_and_an_attempt_resumes(app, make, learner_for):
    course = make.course()
    quiz = make.quiz(course, questions_per_page=2)
    learner = learner_for(course)
    attempt_id = learner.attempt_id(learner.start(quiz))
    fields = learner.answer_fields(attempt_id, 1)
    first_q = next(iter(fields.values()))
    name, value = first_q[next(t for t in first_q if t.startswith("Right"))]
    assert learner.submit_page(attempt_id, {name: value}, page=1, action="next").status_code == 302
    # The connection drops; later the learner comes back through the quiz page.
    again = learner.start(quiz)
    assert learner.attempt_id(again) == attempt_id
    assert again.headers["Location"].endswith("page=2")
    assert f'value="{value}" checked' in learner.page(attempt_id, 1)
    with app.app_context():
        saved = db.session.scalars(select(AttemptQuestion).where(AttemptQuestion.response.is_not(None))).all()
        assert len(saved) == 1


def test_max_attempts_and_retry_delay(app, make, learner_for):
    course = make.course()
    quiz = make.quiz(course, max_attempts=2, retry_delay_minutes=10)
    learner = learner_for(course)
    attempt_id = learner.attempt_id(learner.start(quiz))
    _answer_all(learner, attempt_id, right=False)
    blocked = learner.start(quiz)
    assert blocked.headers["Location"].endswith(learner.quiz_url(quiz))
    assert "You can try again at" in learner.client.get(learner.quiz_url(quiz)).get_data(as_text=True)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        attempt.submitted_at -= timedelta(minutes=11)
        db.session.commit()
    second = learner.attempt_id(learner.start(quiz))
    assert second != attempt_id
    _answer_all(learner, second, right=False)
    page = learner.client.get(learner.quiz_url(quiz)).get_data(as_text=True)
    assert "You have used all 2 attempts." in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 2
    # After the last attempt, review shows everything: the right answers.
    review = learner.client.get(f"/attempts/{second}/review").get_data(as_text=True)
    assert "Right answer:" in review


def test_late_answers_are_not_counted(app, make, learner_for):
    course = make.course()
    quiz = make.quiz(course, time_limit_minutes=5)
    learner = learner_for(course)
    attempt_id = learner.attempt_id(learner.start(quiz))
    fields = learner.answer_fields(attempt_id)
    first = next(iter(fields.values()))
    name, value = first[next(t for t in first if t.startswith("Right"))]
    learner.submit_page(attempt_id, {name: value}, action="save")  # saved in time
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        attempt.deadline_at -= timedelta(minutes=10)
        db.session.commit()
    late = {}
    for options in fields.values():
        n, v = options[next(t for t in options if t.startswith("Right"))]
        late[n] = v
    response = learner.submit_page(attempt_id, late, action="finish")
    assert response.headers["Location"].endswith("/review")
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.state == "submitted"
        assert attempt.score_points == 1  # only the answer saved before the deadline


def test_review_policy_score_only_hides_answers(app, make, learner_for):
    course = make.course()
    quiz = make.quiz(course, review_policy="score", pass_mark_percent=100)
    learner = learner_for(course)
    attempt_id = learner.attempt_id(learner.start(quiz))
    _answer_all(learner, attempt_id, right=False)
    review = learner.client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "0.0%" in review
    assert "Right answer:" not in review and "Right 1" not in review
    correctness = make.quiz(course, module=2, key="q2", review_policy="correctness", pass_mark_percent=100)
    attempt_id = learner.attempt_id(learner.start(correctness))
    _answer_all(learner, attempt_id, right=False)
    review = learner.client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "Not right" in review and "Right answer:" not in review


def test_no_answer_leaks_on_the_quiz_page(make, learner_for):
    course = make.course()
    quiz = make.quiz(course, shuffle_choices=True)
    learner = learner_for(course)
    attempt_id = learner.attempt_id(learner.start(quiz))
    html = learner.page(attempt_id)
    assert "correct" not in html.lower()
    for section in html.split('<section class="question')[1:]:
        inputs = re.findall(
            r'<label class="choice"><input (type="radio" name="[^"]+") value="[0-9a-f]{10}"( checked)?> <span>', section
        )
        assert len(inputs) == 3 and len(set(inputs)) == 1  # identical markup for every choice


def test_another_learners_attempt_is_404(app, make, learner_for):
    course = make.course()
    quiz = make.quiz(course)
    owner, intruder = learner_for(course), learner_for(course)
    attempt_id = owner.attempt_id(owner.start(quiz))
    assert intruder.client.get(f"/attempts/{attempt_id}").status_code == 404
    assert intruder.client.get(f"/attempts/{attempt_id}/review").status_code == 404
    token = intruder.client.csrf_token(intruder.quiz_url(quiz))
    assert intruder.client.post(f"/attempts/{attempt_id}", data={"csrf_token": token, "page": "1"}).status_code == 404


def test_tampered_answers_are_rejected_and_nothing_is_stored(app, make, learner_for):
    course = make.course()
    two_choices = [{"text": "A", "correct": True}, {"text": "B"}]
    other_quiz = make.quiz(
        course,
        module=2,
        key="other",
        questions=[{"id": "x1", "type": "single_choice", "text": "?", "choices": two_choices}],
    )
    quiz = make.quiz(
        course,
        questions=[
            {"id": "n1", "type": "numeric", "text": "How many?", "answer": 45},
            {
                "id": "s1",
                "type": "single_choice",
                "text": "Which?",
                "choices": [{"text": "Right", "correct": True}, {"text": "Wrong"}],
            },
        ],
    )
    learner = learner_for(course)
    other_attempt = learner.attempt_id(learner.start(other_quiz))
    other_choice = next(iter(learner.answer_fields(other_attempt).values()))["A"]  # a choice from another quiz
    attempt_id = learner.attempt_id(learner.start(quiz))
    html = learner.page(attempt_id)
    numeric_name = re.search(r'inputmode="decimal" id="(q\d+)"', html).group(1)
    single_name = re.search(r'type="radio" name="(q\d+)"', html).group(1)

    not_a_number = learner.submit_page(attempt_id, {numeric_name: "forty five"}, action="save")
    assert not_a_number.status_code == 422
    page = not_a_number.get_data(as_text=True)
    assert "Enter a number" in page and 'value="forty five"' in page  # the typed value is kept
    foreign_choice = learner.submit_page(attempt_id, {single_name: other_choice[1]}, action="save")
    assert foreign_choice.status_code == 422 and "does not belong" in foreign_choice.get_data(as_text=True)
    foreign_question = learner.submit_page(attempt_id, {other_choice[0]: other_choice[1], numeric_name: "45"})
    assert foreign_question.status_code == 422
    with app.app_context():
        saved = db.session.scalars(
            select(AttemptQuestion).where(
                AttemptQuestion.attempt_id == attempt_id, AttemptQuestion.response.is_not(None)
            )
        ).all()
        assert saved == []
    learner.submit_page(attempt_id, {numeric_name: "45"}, action="finish")
    closed = learner.submit_page(attempt_id, {numeric_name: "46"}, action="save")
    assert closed.headers["Location"].endswith("/review")
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).score_points == 1


def test_passing_the_module_quiz_completes_the_module(app, make, learner_for):
    course = make.course(modules=1, lessons_per_module=2)
    quiz = make.quiz(course)
    learner = learner_for(course)
    for slug in ("lesson-1-1", "lesson-1-2"):
        url = f"/courses/{course.slug}/lessons/{slug}"
        response = learner.client.submit(f"{url}/complete", page=url)
    assert response.headers["Location"].endswith(learner.quiz_url(quiz))  # on to the module's quiz
    dashboard = learner.client.get("/dashboard").get_data(as_text=True)
    assert "66% complete (2 of 3 lessons and quizzes)" in dashboard
    attempt_id = learner.attempt_id(learner.start(quiz))
    _answer_all(learner, attempt_id)
    dashboard = learner.client.get("/dashboard").get_data(as_text=True)
    assert "100% complete (3 of 3 lessons and quizzes)" in dashboard and "Course complete" in dashboard
    assert "passed" in learner.client.get(f"/courses/{course.slug}").get_data(as_text=True)


def test_quizzes_need_enrolment(app, make, learner_for):
    course = make.course()
    quiz = make.quiz(course)
    other_course = make.course()
    learner = learner_for(other_course)
    learner.course = course  # enrolled elsewhere, tries this course's quiz
    response = learner.start(quiz)
    assert response.headers["Location"].endswith(f"/courses/{course.slug}")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0
