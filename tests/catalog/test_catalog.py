import re

from sqlalchemy import func, select

from samaschool.catalog.models import Enrolment
from samaschool.extensions import db


def test_catalog_lists_published_courses_only(client, make):
    make.course(title="Digital Work Foundations")
    make.course(title="Hidden draft", published=False)
    page = client.get("/courses/").get_data(as_text=True)
    assert "Digital Work Foundations" in page
    assert "Hidden draft" not in page


def test_catalog_filters_by_level_and_language_and_searches_titles(client, make):
    make.course(title="Digital Work Foundations", level="beginner", language="en")
    make.course(title="Advanced Annotation", level="advanced", language="en")
    make.course(title="Kazi za Kidijitali", level="beginner", language="sw")

    def titles(query):
        page = client.get(f"/courses/?{query}").get_data(as_text=True)
        return {t for t in ("Digital Work Foundations", "Advanced Annotation", "Kazi za Kidijitali") if t in page}

    assert titles("level=advanced") == {"Advanced Annotation"}
    assert titles("language=sw") == {"Kazi za Kidijitali"}
    assert titles("q=digital") == {"Digital Work Foundations"}
    assert titles("q=DIGITAL&level=advanced") == set()
    assert titles("q=%25") == set()  # a literal % matches nothing, not everything
    assert "No courses match" in client.get("/courses/?q=zzz").get_data(as_text=True)


def test_catalog_language_filter_offers_every_published_language_filtered_or_not(client, make):
    make.course(title="Digital Work Foundations", level="beginner", language="en")
    make.course(title="Kazi za Kidijitali", level="advanced", language="sw")
    make.course(title="Brouillon", language="fr", published=False)

    def options(query):
        page = client.get(f"/courses/?{query}").get_data(as_text=True)
        return re.findall(r'<option[^>]*value="(\w*)"', page.split('name="language"')[1].split("</select>")[0])

    assert options("") == ["", "en", "sw"]
    assert options("level=beginner") == ["", "en", "sw"]  # the filter still offers the other languages
    assert options("q=kazi") == ["", "en", "sw"]


def test_course_page_shows_modules_lessons_and_time(client, make):
    course = make.course(modules=2, lessons_per_module=3)
    page = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert "Module 1: Module 1" in page and "Module 2: Module 2" in page
    assert "Lesson 2.3" in page
    assert "5 min" in page
    assert "about 2 hours" in page
    assert "Sign up to enrol" in page


def test_unknown_course_is_a_friendly_404(client):
    response = client.get("/courses/no-such-course")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_enrolling_twice_makes_one_enrolment_and_no_error(app, client, auth, make):
    user = make.user()
    course = make.course()
    auth.login(user.email)
    first = client.submit(f"/courses/{course.slug}/enrol", page=f"/courses/{course.slug}")
    assert first.status_code == 302
    assert "/lessons/lesson-1-1" in first.headers["Location"]
    token = client.csrf_token(f"/courses/{course.slug}")
    second = client.post(f"/courses/{course.slug}/enrol", data={"csrf_token": token}, follow_redirects=True)
    assert second.status_code == 200
    assert "already enrolled" in second.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 1


def test_enrolling_needs_login_and_a_post(client, make):
    course = make.course()
    assert client.get(f"/courses/{course.slug}/enrol").status_code == 405
    response = client.submit(f"/courses/{course.slug}/enrol", page="/account/login")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_enrolling_in_an_unknown_or_hidden_course_is_404(client, auth, make):
    user = make.user()
    hidden = make.course(published=False)
    auth.login(user.email)
    assert client.submit("/courses/nope/enrol", page="/courses/").status_code == 404
    assert client.submit(f"/courses/{hidden.slug}/enrol", page="/courses/").status_code == 404


def test_course_page_uses_a_fixed_number_of_queries(app, client, auth, make, count_queries):
    user = make.user()
    small = make.course(modules=1, lessons_per_module=1)
    big = make.course(modules=6, lessons_per_module=8)
    auth.login(user.email)
    for course in (small, big):
        client.submit(f"/courses/{course.slug}/enrol", page=f"/courses/{course.slug}")
    counts = []
    for course in (small, big):
        with count_queries() as queries:
            assert client.get(f"/courses/{course.slug}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[1] <= 8  # user, course, modules, lessons, enrolment, progress, quizzes, certificates
