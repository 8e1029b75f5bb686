"""Trainers watch and help only the learners of the courses they own or co-train: quiz statistics,
the links to them, and password reset links. Admins keep everything."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from samaschool.audit import AuditEntry
from samaschool.auth import services as auth_services
from samaschool.auth.models import PasswordResetToken, User
from samaschool.errors import NotAllowed
from samaschool.extensions import db
from samaschool.permissions import Role
from tests.factories import PASSWORD


@pytest.fixture
def two_courses(app, make):
    """Course A taught by `trainer_a` (owner); course B owned by `owner_b` and co-trained by `co_b`;
    a learner enrolled in each, and one enrolled in nothing."""
    people = {
        "trainer_a": make.user(Role.TRAINER, name="Trainer of A"),
        "owner_b": make.user(Role.TRAINER, name="Owner of B"),
        "co_b": make.user(Role.TRAINER, name="Co-trainer of B"),
        "learner_a": make.user(name="Learner of A"),
        "learner_b": make.user(name="Learner of B"),
        "loner": make.user(name="Enrolled nowhere"),
        "admin": make.user(Role.ADMIN),
    }
    course_a = make.course(modules=1, lessons_per_module=1)
    course_b = make.course(modules=1, lessons_per_module=1)
    make.staff(course_a, people["trainer_a"], "owner")
    make.staff(course_b, people["owner_b"], "owner")
    make.staff(course_b, people["co_b"], "co_trainer")
    make.enrolment(people["learner_a"], course_a)
    make.enrolment(people["learner_b"], course_b)
    quizzes = {"a": make.quiz(course_a), "b": make.quiz(course_b)}
    return people, {"a": course_a, "b": course_b}, quizzes


def client_for(app, user):
    client = app.test_client()
    if user is not None:
        assert client.submit("/account/login", {"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def test_quiz_statistics_only_for_the_courses_a_trainer_teaches(app, make, two_courses):
    people, courses, quizzes = two_courses
    url = f"/courses/{courses['b'].slug}/quizzes/{quizzes['b'].key}/statistics"
    expected = {"trainer_a": 403, "learner_b": 403, "owner_b": 200, "co_b": 200, "admin": 200}
    for who, status in expected.items():
        assert client_for(app, people[who]).get(url).status_code == status, who
    assert "/account/login" in client_for(app, None).get(url).headers["Location"]
    own = f"/courses/{courses['a'].slug}/quizzes/{quizzes['a'].key}/statistics"
    assert client_for(app, people["trainer_a"]).get(own).status_code == 200
    # A trainer dropped from the course's staff loses the statistics with it.
    with app.app_context():
        from samaschool.studio.models import CourseStaff

        db.session.execute(CourseStaff.__table__.delete().where(CourseStaff.user_id == people["co_b"].id))
        db.session.commit()
    assert client_for(app, people["co_b"]).get(url).status_code == 403


def test_the_course_page_links_to_statistics_only_for_its_trainers_and_admins(app, two_courses):
    people, courses, quizzes = two_courses
    page = f"/courses/{courses['b'].slug}"
    link = f"/courses/{courses['b'].slug}/quizzes/{quizzes['b'].key}/statistics"
    for who, shown in (("trainer_a", False), ("learner_b", False), ("co_b", True), ("admin", True)):
        assert (link in client_for(app, people[who]).get(page).get_data(as_text=True)) is shown, who
    assert link not in client_for(app, None).get(page).get_data(as_text=True)


def _reset_tokens(app, user) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).where(PasswordResetToken.user_id == user.id))


def _reset_link_audits(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).where(AuditEntry.action == "user.reset_link_created"))


def test_a_trainer_cannot_make_a_reset_link_for_another_courses_learner(app, two_courses):
    """The attack: the trainer of course A asks for a reset link for a learner of course B, to take
    over her account (and her earnings). Refused, and nothing is written."""
    people, _courses, _quizzes = two_courses
    attacker = client_for(app, people["trainer_a"])
    response = attacker.submit("/account/reset-links/new", {"email": people["learner_b"].email})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "You can make reset links only for learners enrolled in a course you own or co-train." in page
    assert "/account/reset/" not in page
    assert "You can make links for the learners enrolled in the courses you own or co-train." in page
    assert _reset_tokens(app, people["learner_b"]) == 0 and _reset_link_audits(app) == 0
    # The rule is the service's, not only the page's.
    with app.app_context():
        trainer = db.session.get(User, people["trainer_a"].id)
        with pytest.raises(NotAllowed):
            auth_services.create_reset_link_for(trainer, db.session.get(User, people["learner_b"].id))
        with pytest.raises(NotAllowed):
            auth_services.create_reset_link_for(trainer, db.session.get(User, people["loner"].id))
    # A learner enrolled in none of the trainer's courses is refused as well.
    loner = attacker.submit("/account/reset-links/new", {"email": people["loner"].email})
    assert loner.status_code == 422 and _reset_tokens(app, people["loner"]) == 0


def test_trainers_make_reset_links_for_their_own_learners_and_admins_for_anyone(app, make, two_courses):
    people, courses, _quizzes = two_courses
    for who, target in (("trainer_a", "learner_a"), ("co_b", "learner_b"), ("owner_b", "learner_b")):
        response = client_for(app, people[who]).submit("/account/reset-links/new", {"email": people[target].email})
        assert response.status_code == 200, who
        assert re.search(r"http://localhost/account/reset/\S+", response.get_data(as_text=True)), who
    # A learner of B is out of trainer A's reach until she enrols in course A too.
    trainer_a = client_for(app, people["trainer_a"])
    assert trainer_a.submit("/account/reset-links/new", {"email": people["learner_b"].email}).status_code == 422
    make.enrolment(people["learner_b"], courses["a"])
    assert trainer_a.submit("/account/reset-links/new", {"email": people["learner_b"].email}).status_code == 200
    admin = client_for(app, people["admin"])
    assert admin.submit("/account/reset-links/new", {"email": people["loner"].email}).status_code == 200
    assert _reset_link_audits(app) == 5
    # Still never for another trainer, even one of the same course.
    refused = client_for(app, people["owner_b"]).submit("/account/reset-links/new", {"email": people["co_b"].email})
    assert refused.status_code == 422
    assert "You cannot make a reset link for this account." in refused.get_data(as_text=True)
