"""The work every page pays, kept to what the page needs (BENCHMARKS.md, "Round two"): no session
started or cookie re-sent when nothing in the session changed, links and translations looked up
once, no bookkeeping transaction when there is nothing to write down."""

from __future__ import annotations

from flask import render_template_string
from flask_babel import Domain, force_locale
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.routing import MapAdapter

from tests.factories import PASSWORD


def _log_in(client, user):
    response = client.submit("/account/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert "Set-Cookie" in response.headers  # a session changed: its cookie is sent


def test_verify_page_starts_no_session_for_an_anonymous_verifier(client, make):
    course = make.course(modules=1, lessons_per_module=1)
    certificate = make.certificate(make.user(), make.certification(course))
    response = client.get(f"/verify/{certificate.code}")
    assert response.status_code == 200
    assert "Valid certificate" in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers
    assert "Vary" in response.headers and "Cookie" in response.headers["Vary"]


def test_a_signed_in_page_does_not_send_the_unchanged_session_cookie_again(client, make):
    user = make.user()
    course = make.course(modules=1, lessons_per_module=2)
    make.enrolment(user, course)
    _log_in(client, user)
    client.get("/dashboard")  # shows (and so takes out of the session) the welcome message
    for url in ("/dashboard", f"/courses/{course.slug}", f"/courses/{course.slug}/lessons/lesson-1-1", "/courses/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Set-Cookie" not in response.headers, url
    # A change to the session (a flash message) sends the cookie, and the user stays signed in.
    response = client.submit(f"/courses/{course.slug}/lessons/lesson-1-1/complete", {})
    assert response.status_code == 302 and "Set-Cookie" in response.headers
    assert "Lesson complete" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_reading_the_same_lesson_again_opens_no_bookkeeping_transaction(app, client, make):
    user = make.user()
    course = make.course(modules=1, lessons_per_module=2)
    make.enrolment(user, course)
    _log_in(client, user)
    lesson = f"/courses/{course.slug}/lessons/lesson-1-1"
    commits = []

    def count(_session):
        commits.append(1)

    event.listen(Session, "after_commit", count)
    try:
        assert client.get(lesson).status_code == 200  # a new place to remember: written down
        assert commits
        commits.clear()
        assert client.get(lesson).status_code == 200  # the same place, just now: nothing to write
        assert commits == []
        assert client.get(f"/courses/{course.slug}/lessons/lesson-1-2").status_code == 200
        assert commits
    finally:
        event.remove(Session, "after_commit", count)


def test_a_page_looks_its_translations_up_once_and_still_follows_force_locale(app, client, make, monkeypatch):
    course = make.course(modules=3, lessons_per_module=4)
    lookups = []
    original = Domain.get_translations

    def counted(self):
        lookups.append(1)
        return original(self)

    monkeypatch.setattr(Domain, "get_translations", counted)
    response = client.get(f"/courses/{course.slug}", headers={"Accept-Language": "sw"})
    assert response.status_code == 200 and "Kozi" in response.get_data(as_text=True)
    assert len(lookups) <= 3, f"{len(lookups)} translation lookups for one page"

    template = "{{ _('Courses') }}|{% with %}{{ switch() }}{% endwith %}|{{ _('Courses') }}"

    def in_swahili():
        with force_locale("sw"):
            return render_template_string("{{ _('Courses') }}")

    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string(template, switch=in_swahili) == "Courses|Kozi|Courses"


def test_a_page_builds_each_link_once_per_process_and_per_request_root(app, client, make, monkeypatch):
    course = make.course(modules=3, lessons_per_module=4)
    user = make.user()
    make.enrolment(user, course)
    _log_in(client, user)
    page = f"/courses/{course.slug}"
    assert client.get(page).status_code == 200
    builds = []
    original = MapAdapter.build

    def counted(self, *args, **kwargs):
        builds.append(args[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(MapAdapter, "build", counted)
    text = client.get(page).get_data(as_text=True)
    assert f'href="/courses/{course.slug}/lessons/lesson-3-4"' in text
    assert len(builds) <= 1, builds  # the stylesheet's address (asset_url), nothing per lesson
    # Served under a prefix (SCRIPT_NAME), the same page links under it.
    text = client.get(page, environ_overrides={"SCRIPT_NAME": "/school"}).get_data(as_text=True)
    assert f'href="/school/courses/{course.slug}/lessons/lesson-3-4"' in text
    assert f'href="/courses/{course.slug}/lessons/' not in text
    text = client.get(page).get_data(as_text=True)
    assert f'href="/courses/{course.slug}/lessons/lesson-3-4"' in text
