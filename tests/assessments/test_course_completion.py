"""An enrolment remembers when its course was first completed: the statistics count from it."""

from __future__ import annotations

from sqlalchemy import select

from samaschool.catalog.models import Enrolment
from samaschool.extensions import db
from tests.assessments.test_attempts import _answer_all


def _completed_at(app, learner):
    with app.app_context():
        return db.session.scalar(
            select(Enrolment.completed_at).where(
                Enrolment.user_id == learner.user.id, Enrolment.course_id == learner.course.id
            )
        )


def test_the_last_lesson_and_the_quiz_complete_the_course_once(app, make, learner_for):
    course = make.course(modules=1, lessons_per_module=2)
    quiz = make.quiz(course)
    learner = learner_for(course)
    for lesson in ("lesson-1-1", "lesson-1-2"):
        url = f"/courses/{course.slug}/lessons/{lesson}"
        learner.client.submit(f"{url}/complete", page=url)
    assert _completed_at(app, learner) is None  # the quiz is not passed yet

    _answer_all(learner, learner.attempt_id(learner.start(quiz)), right=False)
    assert _completed_at(app, learner) is None  # failed
    attempt_id = learner.attempt_id(learner.start(quiz))
    _answer_all(learner, attempt_id)
    first = _completed_at(app, learner)
    assert first is not None
    _answer_all(learner, learner.attempt_id(learner.start(quiz)))  # passing again changes nothing
    assert _completed_at(app, learner) == first
