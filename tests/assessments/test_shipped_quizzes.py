"""Every quiz we ship can be taken: each page renders every question type, and submits."""

import re
from pathlib import Path

from samaschool.content.course_folder import read_courses
from samaschool.content.importer import import_courses
from samaschool.extensions import db
from tests.factories import PASSWORD

COURSES = Path(__file__).resolve().parents[2] / "courses"


def test_every_shipped_quiz_renders_and_submits(app, make):
    with app.app_context():
        specs, problems = read_courses(COURSES)
        assert problems == []
        import_courses(specs)
        db.session.commit()
    user = make.user()
    client = app.test_client()
    client.submit("/account/login", {"email": user.email, "password": PASSWORD})
    types_seen = set()
    for spec in specs:
        client.submit(f"/courses/{spec.slug}/enrol", page=f"/courses/{spec.slug}")
        for quiz in spec.quizzes:
            quiz_url = f"/courses/{spec.slug}/quizzes/{quiz.key}"
            start = client.submit(f"{quiz_url}/start", page=quiz_url)
            attempt_url = re.search(r"(/attempts/\d+)", start.headers["Location"]).group(1)
            page_number = 1
            while True:
                html = client.get(f"{attempt_url}?page={page_number}").get_data(as_text=True)
                assert 'class="question' in html
                last = "Submit all answers" in html
                token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
                response = client.post(
                    attempt_url,
                    data={"csrf_token": token, "page": str(page_number), "action": "finish" if last else "next"},
                )
                assert response.status_code == 302, (quiz.key, page_number)
                if last:
                    break
                page_number += 1
            review = client.get(f"{attempt_url}/review")
            assert review.status_code == 200 and "Attempt 1: 0.0%" in review.get_data(as_text=True)
    for spec in specs:
        for question in spec.questions:
            types_seen.add(question.type)
    assert {
        "single_choice",
        "multiple_response",
        "true_false",
        "short_answer",
        "numeric",
        "ordering",
        "matching",
        "transcription",
    } <= types_seen
