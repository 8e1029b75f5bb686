from samaschool.assessments import services
from samaschool.assessments.models import Quiz
from samaschool.assessments.statistics import quiz_statistics
from samaschool.auth.models import User
from samaschool.extensions import db
from samaschool.permissions import Role
from tests.factories import PASSWORD


def _attempt(app, user, quiz, right: set[str]):
    """A submitted attempt answering right the questions whose keys are in `right`."""
    with app.app_context():
        attempt = services.start_attempt(db.session.get(User, user.id), db.session.get(Quiz, quiz.id))
        db.session.flush()
        for aq in attempt.questions:
            choices = aq.question.data["choices"]
            pick = next(c for c in choices if c["correct"] == (aq.question.key in right))
            aq.response = {"choice": pick["id"]}
        services.submit_attempt(attempt)
        db.session.commit()


def test_quiz_statistics_facility_discrimination_and_common_wrong_answer(app, make):
    course = make.course()
    quiz = make.quiz(course, pass_mark_percent=60)
    # q1 easy (all right), q2 separates strong from weak, q3 hard.
    plans = [{"q1", "q2", "q3"}, {"q1", "q2"}, {"q1", "q2"}, {"q1"}, {"q1"}]
    for plan in plans:
        _attempt(app, make.user(), quiz, plan)
    with app.app_context():
        stats = quiz_statistics(db.session.get(Quiz, quiz.id))
    assert stats.attempts == 5 and stats.learners == 5
    assert stats.pass_rate_percent == 60.0
    assert sum(count for _label, count in stats.distribution) == 5
    by_key = {s.question.key: s for s in stats.questions}
    assert by_key["q1"].facility_percent == 100.0
    assert by_key["q2"].facility_percent == 60.0
    assert by_key["q3"].facility_percent == 20.0
    assert by_key["q2"].discrimination == 0.41  # worked by hand: 0.2 / sqrt(1.2 * 0.2)
    assert by_key["q1"].discrimination is None  # everyone right: it cannot separate anyone
    assert by_key["q3"].common_wrong_answer == "Wrong 3" and by_key["q3"].common_wrong_count == 4


def test_statistics_page_is_for_trainers_and_admins(app, make):
    course = make.course()
    quiz = make.quiz(course)
    _attempt(app, make.user(), quiz, {"q1"})
    url = f"/courses/{course.slug}/quizzes/{quiz.key}/statistics"
    learner, trainer = make.user(), make.user(Role.TRAINER)
    make.staff(course, trainer, "co_trainer")  # trainers see the statistics of their own courses only
    for user, status in ((learner, 403), (trainer, 200)):
        client = app.test_client()
        client.submit("/account/login", {"email": user.email, "password": PASSWORD})
        response = client.get(url)
        assert response.status_code == status
    page = response.get_data(as_text=True)
    assert "Pass rate" in page and "Most chosen wrong answer" in page and "Wrong 2" in page
