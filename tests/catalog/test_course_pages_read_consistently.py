"""The course page counts lessons as the lesson pages do, and the course lists keep heading order."""

import re
from itertools import pairwise

from tests.factories import PASSWORD


def test_the_course_page_counts_the_lessons_the_lesson_pages_count(client, make):
    course = make.course(modules=2, lessons_per_module=3)
    make.quiz(course, module=1)
    make.quiz(course, module=None, key="exam")
    learner = make.user()
    client.submit("/account/login", {"email": learner.email, "password": PASSWORD})
    client.submit(f"/courses/{course.slug}/enrol", page=f"/courses/{course.slug}")
    outline = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    lesson = client.get(f"/courses/{course.slug}/lessons/lesson-1-1").get_data(as_text=True)
    assert "Lesson 1 of 6" in lesson
    assert "6 lessons</p>" in outline and "8 lessons</p>" not in outline
    # Progress counts lessons and quizzes, and says so.
    assert "0 of 8 lessons and quizzes done" in outline


def _headings(html: str) -> list[int]:
    return [int(level) for level in re.findall(r"<h([1-6])[\s>]", html.split('<main id="main">', 1)[1])]


def test_course_lists_do_not_skip_heading_levels(client, make):
    make.course(title="Digital Work Foundations")
    make.course(title="Winning Work on Gig Platforms")
    for page in ("/courses/", "/"):
        levels = _headings(client.get(page).get_data(as_text=True))
        assert levels[0] == 1, page
        assert all(after - before <= 1 for before, after in pairwise(levels)), (page, levels)
