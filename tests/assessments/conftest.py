import re

import pytest

from tests.factories import PASSWORD


class Learner:
    """A signed-in, enrolled learner driving quizzes through real HTTP."""

    def __init__(self, app, make, course):
        self.user = make.user()
        self.course = course
        self.client = app.test_client()
        self.client.submit("/account/login", {"email": self.user.email, "password": PASSWORD})
        self.client.submit(f"/courses/{course.slug}/enrol", page=f"/courses/{course.slug}")

    def quiz_url(self, quiz):
        return f"/courses/{self.course.slug}/quizzes/{quiz.key}"

    def start(self, quiz):
        return self.client.submit(f"{self.quiz_url(quiz)}/start", page=self.quiz_url(quiz))

    def attempt_id(self, response) -> int:
        return int(re.search(r"/attempts/(\d+)", response.headers["Location"]).group(1))

    def page(self, attempt_id, page=1) -> str:
        return self.client.get(f"/attempts/{attempt_id}?page={page}").get_data(as_text=True)

    def answer_fields(self, attempt_id, page=1) -> dict:
        """{question text: {choice text: (field name, value)}} as shown on the page."""
        html = self.page(attempt_id, page)
        result = {}
        for section in html.split('<section class="question')[1:]:
            qtext = re.search(r'<div class="qtext"><p>(.*?)</p>', section).group(1)
            options = re.findall(
                r'<input type="(?:radio|checkbox)" name="([^"]+)" value="([^"]+)"[^>]*> <span><p>(.*?)</p>', section
            )
            result[qtext] = {label: (name, value) for name, value, label in options}
        return result

    def submit_page(self, attempt_id, data: dict, *, page=1, action="next"):
        token = self.client.csrf_token("/account/profile")
        form = {"csrf_token": token, "page": str(page), "action": action, **data}
        return self.client.post(f"/attempts/{attempt_id}", data=form)


@pytest.fixture
def learner_for(app, make):
    return lambda course: Learner(app, make, course)
