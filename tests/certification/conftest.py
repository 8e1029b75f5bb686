import re

import pytest
from sqlalchemy import select

from samaschool.assessments import services as assessments
from samaschool.assessments.models import Quiz
from samaschool.auth.models import User
from samaschool.certification.models import Certificate
from samaschool.extensions import db
from tests.factories import PASSWORD


class Candidate:
    """A learner on the way to a certificate: one lesson, then the exam."""

    def __init__(self, app, make, course, exam):
        self.app, self.course, self.exam = app, course, exam
        self.user = make.user(name="Achieng Otieno")
        self.client = app.test_client()
        self.client.submit("/account/login", {"email": self.user.email, "password": PASSWORD})
        self.client.submit(f"/courses/{course.slug}/enrol", page=f"/courses/{course.slug}")

    def complete_lessons(self):
        url = f"/courses/{self.course.slug}/lessons/lesson-1-1"
        return self.client.submit(f"{url}/complete", page=url)

    def take_exam(self, right: bool):
        """Through the services (the HTTP path is covered by the assessments tests)."""
        with self.app.app_context():
            attempt = assessments.start_attempt(db.session.get(User, self.user.id), db.session.get(Quiz, self.exam.id))
            db.session.flush()
            for aq in attempt.questions:
                pick = next(c for c in aq.question.data["choices"] if c["correct"] == right)
                aq.response = {"choice": pick["id"]}
            assessments.submit_attempt(attempt)
            db.session.commit()

    def certificates(self) -> list[Certificate]:
        with self.app.app_context():
            found = list(db.session.scalars(select(Certificate).where(Certificate.user_id == self.user.id)))
            for certificate in found:
                db.session.expunge(certificate)
            return found


@pytest.fixture
def setup(app, make):
    """A course (1 module, 1 lesson), its exam, a certification needing both, and a learner."""
    course = make.course(modules=1, lessons_per_module=1)
    exam = make.quiz(course, module=None, key="exam", title="Final exam", pass_mark_percent=80)
    certification = make.certification(course, quiz=exam, min_percent=80)
    return Candidate(app, make, course, exam), certification


def dashed(code: str) -> str:
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


CODE_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{13}$")
