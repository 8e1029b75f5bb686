import re

from sqlalchemy import func, select

from samaschool.extensions import db
from samaschool.learning.models import LessonProgress


def _enrolled(client, auth, make, **course_kwargs):
    user = make.user()
    course = make.course(**course_kwargs)
    auth.login(user.email)
    client.submit(f"/courses/{course.slug}/enrol", page=f"/courses/{course.slug}")
    return user, course


def _complete(client, course, lesson_slug):
    url = f"/courses/{course.slug}/lessons/{lesson_slug}"
    return client.submit(f"{url}/complete", page=url)


def test_lesson_page_has_previous_next_and_mark_complete(client, auth, make):
    _user, course = _enrolled(client, auth, make)
    page = client.get(f"/courses/{course.slug}/lessons/lesson-1-3").get_data(as_text=True)
    assert "Lesson 1.3 text." in page
    assert f'rel="prev" href="/courses/{course.slug}/lessons/lesson-1-2"' in page
    assert f'rel="next" href="/courses/{course.slug}/lessons/lesson-2-1"' in page
    assert "Mark complete" in page
    assert "Lesson 3 of 6" in page


def test_marking_complete_moves_on_and_counts_once(app, client, auth, make):
    _user, course = _enrolled(client, auth, make)
    response = _complete(client, course, "lesson-1-1")
    assert response.headers["Location"].endswith("/lessons/lesson-1-2")
    _complete(client, course, "lesson-1-1")  # a second click
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LessonProgress)) == 1
    page = client.get(f"/courses/{course.slug}/lessons/lesson-1-1").get_data(as_text=True)
    assert "You completed this lesson." in page


def test_dashboard_shows_percent_and_continue_where_left_off(client, auth, make):
    _user, course = _enrolled(client, auth, make, modules=2, lessons_per_module=2)
    _complete(client, course, "lesson-1-1")
    client.get(f"/courses/{course.slug}/lessons/lesson-1-2")  # opened, not finished
    page = client.get("/dashboard").get_data(as_text=True)
    assert "25% complete (1 of 4 lessons and quizzes)" in page
    link = re.search(r'href="([^"]+)">Continue where you left off', page).group(1)
    assert link.endswith("/lessons/lesson-1-2")
    for slug in ("lesson-1-2", "lesson-2-1", "lesson-2-2"):
        _complete(client, course, slug)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "100% complete (4 of 4 lessons and quizzes)" in page
    assert "Course complete" in page


def test_continue_skips_to_the_next_unfinished_lesson(client, auth, make):
    _user, course = _enrolled(client, auth, make, modules=1, lessons_per_module=3)
    _complete(client, course, "lesson-1-1")
    client.get(f"/courses/{course.slug}/lessons/lesson-1-1")
    page = client.get("/dashboard").get_data(as_text=True)
    assert re.search(r'href="([^"]+)">Continue where you left off', page).group(1).endswith("lesson-1-2")


def test_lessons_need_enrolment_and_login(client, auth, make):
    course = make.course()
    anonymous = client.get(f"/courses/{course.slug}/lessons/lesson-1-1")
    assert anonymous.status_code == 302 and "/account/login" in anonymous.headers["Location"]
    user = make.user()
    auth.login(user.email)
    not_enrolled = client.get(f"/courses/{course.slug}/lessons/lesson-1-1")
    assert not_enrolled.status_code == 302
    assert not_enrolled.headers["Location"].endswith(f"/courses/{course.slug}")


def test_unknown_lesson_is_404(client, auth, make):
    _user, course = _enrolled(client, auth, make)
    assert client.get(f"/courses/{course.slug}/lessons/nope").status_code == 404
    assert client.submit(f"/courses/{course.slug}/lessons/nope/complete", page="/courses/").status_code == 404


def test_mark_complete_without_csrf_changes_nothing(app, client, auth, make):
    _user, course = _enrolled(client, auth, make)
    response = client.post(f"/courses/{course.slug}/lessons/lesson-1-1/complete")
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LessonProgress)) == 0


def test_lesson_page_uses_a_fixed_number_of_queries(client, auth, make, count_queries):
    user = make.user()
    small = make.course(modules=1, lessons_per_module=2)
    big = make.course(modules=8, lessons_per_module=10)
    auth.login(user.email)
    counts = []
    for course in (small, big):
        client.submit(f"/courses/{course.slug}/enrol", page=f"/courses/{course.slug}")
        _complete(client, course, "lesson-1-1")
        with count_queries() as queries:
            assert client.get(f"/courses/{course.slug}/lessons/lesson-1-2").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[1] <= 8


def test_dashboard_uses_a_fixed_number_of_queries(client, auth, make, count_queries):
    user = make.user()
    auth.login(user.email)
    counts = []
    for _ in range(3):
        course = make.course(modules=3, lessons_per_module=4)
        client.submit(f"/courses/{course.slug}/enrol", page=f"/courses/{course.slug}")
        with count_queries() as queries:
            client.get("/dashboard")
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2]


def test_course_page_progress_counts_own_lessons_and_live_quizzes_passed_in_this_course(app, client, auth, make):
    """The version, enrolment and progress come in one statement: only this learner's lessons of
    this course, and only the quizzes passed that are still live in it, count."""
    from samaschool.assessments.models import Attempt, Quiz
    from samaschool.db_types import utcnow

    user, course = _enrolled(client, auth, make, modules=2, lessons_per_module=2)  # 4 lessons, 2 quizzes
    other_course = make.course(modules=1, lessons_per_module=2)
    make.enrolment(user, other_course)
    quizzes = [make.quiz(course, module=1), make.quiz(course, module=2, key="second"), make.quiz(other_course)]
    other = make.user()
    make.enrolment(other, course)
    _complete(client, course, "lesson-1-1")
    _complete(client, other_course, "lesson-1-1")
    _complete(client, other_course, "lesson-1-2")
    with app.app_context():
        lessons = {lesson.id for lesson in db.session.scalars(select(LessonProgress))}
        assert len(lessons) == 3
        quiz_ids = [
            db.session.scalar(select(Quiz.id).where(Quiz.key == quiz.key, Quiz.course_id == quiz.course_id))
            for quiz in quizzes
        ]
        for number, (user_id, quiz_id) in enumerate(
            [
                (user.id, quiz_ids[0]),
                (user.id, quiz_ids[0]),
                (user.id, quiz_ids[1]),
                (user.id, quiz_ids[2]),
                (other.id, quiz_ids[0]),
            ]
        ):
            db.session.add(
                Attempt(
                    quiz_id=quiz_id,
                    user_id=user_id,
                    number=number + 1,
                    state="submitted",
                    submitted_at=utcnow(),
                    score_points=1,
                    max_points=1,
                    score_percent=100,
                    passed=True,
                )
            )
        db.session.commit()
    page = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert "(3 of 6 lessons and quizzes done)" in page  # lesson 1.1, both quizzes (passed twice: once)
    with app.app_context():
        db.session.get(Quiz, quiz_ids[1]).archived_at = utcnow()  # moves the course's version
        db.session.commit()
    page = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert "(2 of 5 lessons and quizzes done)" in page  # the archived quiz's pass no longer counts
    assert client.get(f"/courses/{course.slug}/lessons/lesson-1-2").status_code == 200
