"""Certifications in the studio: the form, who may name which course, badges (SVG and PNG, baked),
conflicts, and the `_certifications/` files a course export carries."""

from __future__ import annotations

import io
import re
import struct
import tempfile
import zlib
from datetime import UTC, datetime
from pathlib import Path

import jwt
import pytest
from PIL import Image
from sqlalchemy import select

from samaschool.assessments.models import Quiz
from samaschool.audit import AuditEntry
from samaschool.catalog.models import Course
from samaschool.certification.credentials import issue_credential
from samaschool.certification.models import Certificate, Certification
from samaschool.certification.services import format_code
from samaschool.content.certification_files import read_certifications
from samaschool.content.checks import Checker
from samaschool.content.course_folder import read_content, shown
from samaschool.content.importer import import_certifications
from samaschool.extensions import db
from samaschool.permissions import Role
from samaschool.studio import certifications as studio_certifications
from tests import media_samples
from tests.factories import PASSWORD
from tests.studio.helpers import import_folder, studio_course

SHIPPED = Path(__file__).resolve().parents[2] / "courses"
SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="5"/></svg>'
VERSION_RE = re.compile(r'name="version" type="hidden" value="([^"]*)"')


def log_in(app, user):
    client = app.test_client()
    response = client.submit("/account/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def people(app, make):
    owner = make.user(Role.TRAINER, name="Owner Trainer")
    other = make.user(Role.TRAINER, name="Other Trainer")
    return {
        "owner": owner,
        "other": other,
        "learner": make.user(name="Plain Learner"),
        "admin": make.user(Role.ADMIN, name="Site Admin"),
        "course": studio_course(app, make, owner, slug="kazi-basics"),
        "other_course": studio_course(app, make, other, slug="other-course"),
    }


def certification(app, slug: str, courses: list[str], quizzes=(), **fields) -> Certification:
    with app.app_context():
        row = Certification(
            slug=slug,
            name=fields.pop("name", f"Certificate {slug}"),
            description="Can do the work.",
            criteria={"courses": courses, "quizzes": list(quizzes)},
            validity_months=fields.pop("validity_months", 12),
            badge_svg=fields.pop("badge_svg", SVG),
            source=fields.pop("source", "admin"),
            **fields,
        )
        db.session.add(row)
        db.session.commit()
        db.session.refresh(row)
        db.session.expunge(row)
        return row


def stored(app, slug: str) -> Certification | None:
    with app.app_context():
        row = db.session.scalar(select(Certification).where(Certification.slug == slug))
        if row is not None:
            db.session.expunge(row)
        return row


def new_form(**overrides) -> dict:
    data = {
        "name": "Kazi Basics Certificate",
        "slug": "kazi-basics-cert",
        "description": "The holder can label products.",
        "validity_months": "24",
        "courses": ["kazi-basics"],
        "quizzes-0-quiz": "kazi-basics/basics",
        "quizzes-0-min_percent": "",
        "quizzes-1-quiz": "kazi-basics/exam",
        "quizzes-1-min_percent": "75",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def upload(client, url: str, data: dict, badge: bytes, filename: str):
    form = dict(data, csrf_token=client.csrf_token(url), badge=(io.BytesIO(badge), filename))
    return client.post(url, data=form, content_type="multipart/form-data")


# ----------------------------------------------------------------------------------------------- the pages


def test_the_list_shows_the_courses_certifications_and_links_those_the_trainer_may_change(app, people):
    certification(app, "ours", ["kazi-basics"], name="Only Ours")
    certification(app, "shared", ["kazi-basics", "other-course"], name="Shared One")
    certification(app, "theirs", ["other-course"], name="Only Theirs")
    page = log_in(app, people["owner"]).get("/studio/kazi-basics/certifications").get_data(as_text=True)
    assert "Only Ours" in page and "Shared One" in page and "Only Theirs" not in page
    assert 'href="/studio/kazi-basics/certifications/ours"' in page
    assert 'href="/studio/kazi-basics/certifications/shared"' not in page
    assert "also names courses you do not teach" in page
    assert 'href="/studio/kazi-basics/certifications/new"' in page
    admin_page = log_in(app, people["admin"]).get("/studio/kazi-basics/certifications").get_data(as_text=True)
    assert 'href="/studio/kazi-basics/certifications/shared"' in admin_page


def test_the_new_form_offers_only_the_trainers_courses_and_their_quizzes_including_drafts(app, people):
    page = log_in(app, people["owner"]).get("/studio/kazi-basics/certifications/new").get_data(as_text=True)
    assert 'value="kazi-basics" checked' in page and 'value="other-course"' not in page
    assert 'value="kazi-basics/basics"' in page and 'value="kazi-basics/exam"' in page
    assert "Final exam (Studio Test Course)" in page
    assert "other-course/exam" not in page


def test_bad_input_is_shown_again_with_the_values_and_every_problem(app, people):
    client = log_in(app, people["owner"])
    response = client.submit(
        "/studio/kazi-basics/certifications/new",
        new_form(slug="Bad Slug", description="", validity_months="0", **{"quizzes-1-min_percent": "150"}),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="Kazi Basics Certificate"' in page and 'value="Bad Slug"' in page
    assert 'value="150"' in page and 'value="kazi-basics" checked' in page
    assert "lower-case letters" in page
    assert page.count('class="error"') >= 3  # description, validity, the minimum score
    assert stored(app, "kazi-basics-cert") is None

    nothing = client.submit(
        "/studio/kazi-basics/certifications/new", new_form(courses=None, **{"quizzes-1-min_percent": ""})
    )
    assert nothing.status_code == 422 and "Choose at least one course or a quiz." in nothing.get_data(as_text=True)
    elsewhere = client.submit(
        "/studio/kazi-basics/certifications/new", new_form(slug="new", courses=None, **{"quizzes-1-quiz": "x/y"})
    )
    text = elsewhere.get_data(as_text=True)
    assert elsewhere.status_code == 422 and "This short name is reserved" in text
    assert "You can only name courses you teach; not x." in text


def test_a_trainer_creates_a_certification_saved_directly_and_audited(app, people):
    client = log_in(app, people["owner"])
    response = client.submit("/studio/kazi-basics/certifications/new", new_form())
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/studio/kazi-basics/certifications#cert-kazi-basics-cert")
    saved = stored(app, "kazi-basics-cert")
    assert saved.name == "Kazi Basics Certificate" and saved.validity_months == 24 and saved.source == "admin"
    assert saved.criteria == {
        "courses": ["kazi-basics"],
        "quizzes": [{"course": "kazi-basics", "quiz": "exam", "min_percent": 75}],
    }
    assert saved.badge_svg == "" and saved.badge_png is None
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "certification.saved"))
        assert entry.actor_id == people["owner"].id and entry.target_id == saved.id
    # A replayed POST changes nothing twice: the short name is taken now.
    again = client.submit("/studio/kazi-basics/certifications/new", new_form())
    assert again.status_code == 422 and "Another certification already uses this short name." in again.get_data(
        as_text=True
    )
    # Edited: the short name stays; emptying the validity makes it never expire.
    url = "/studio/kazi-basics/certifications/kazi-basics-cert"
    page = client.get(url).get_data(as_text=True)
    assert 'value="75"' in page and "kazi-basics-cert" in page and 'name="slug"' not in page
    edited = client.submit(
        url,
        new_form(slug=None, name="Renamed", validity_months="", version=VERSION_RE.search(page).group(1)),
    )
    assert edited.status_code == 302
    saved = stored(app, "kazi-basics-cert")
    assert saved.name == "Renamed" and saved.validity_months is None


def test_criteria_naming_another_trainers_course_are_refused(app, people):
    client = log_in(app, people["owner"])
    for data in (
        new_form(courses=["kazi-basics", "other-course"]),
        new_form(**{"quizzes-0-quiz": "other-course/exam", "quizzes-0-min_percent": "50"}),
    ):
        response = client.submit("/studio/kazi-basics/certifications/new", data)
        assert response.status_code == 422
        assert "You can only name courses you teach; not other-course." in response.get_data(as_text=True)
    assert stored(app, "kazi-basics-cert") is None
    # Nor may they change one that names it, by any route.
    certification(app, "shared", ["kazi-basics", "other-course"])
    assert client.get("/studio/kazi-basics/certifications/shared").status_code == 403
    assert (
        client.submit("/studio/kazi-basics/certifications/shared", new_form(), page="/account/profile").status_code
        == 403
    )
    # An admin may name any course.
    admin = log_in(app, people["admin"])
    response = admin.submit("/studio/kazi-basics/certifications/new", new_form(courses=["kazi-basics", "other-course"]))
    assert response.status_code == 302
    assert stored(app, "kazi-basics-cert").criteria["courses"] == ["kazi-basics", "other-course"]


def test_a_criterion_must_name_this_course_and_an_existing_quiz(app, people, make):
    course = make.course(slug="second-course")
    with app.app_context():
        from samaschool.studio.models import CourseStaff

        db.session.add(CourseStaff(course_id=course.id, user_id=people["owner"].id, role="owner"))
        db.session.commit()
    client = log_in(app, people["owner"])
    response = client.submit(
        "/studio/kazi-basics/certifications/new",
        new_form(
            courses=["second-course"],
            **{"quizzes-1-min_percent": "", "quizzes-0-quiz": "kazi-basics/nope", "quizzes-0-min_percent": "50"},
        ),
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The criteria must name this course" not in page  # the made-up quiz names it
    assert "There is no quiz nope in kazi-basics." in page
    response = client.submit(
        "/studio/kazi-basics/certifications/new", new_form(courses=["second-course"], **{"quizzes-1-min_percent": ""})
    )
    assert response.status_code == 422 and "The criteria must name this course" in response.get_data(as_text=True)


# ------------------------------------------------------------------------------------------------- badges


def test_badges_with_scripts_or_that_are_not_images_are_refused(app, people):
    client = log_in(app, people["owner"])
    url = "/studio/kazi-basics/certifications/new"
    php = b"<?php system($_GET['c']); ?>"
    cases = [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "badge.svg", "scripts"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "badge.svg", "scripts"),
        (php, "badge.png", "the badge is not a PNG image"),
        (media_samples.php_as_png(), "shell.png", "the badge is not a PNG image"),
        (media_samples.html_as_png(), "page.png", "the badge is not a PNG image"),
        (php, "badge.svg", "not well-formed SVG"),
        (b"<html><body><script>x()</script></body></html>", "badge.svg", "the badge is not an SVG image"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "badge.gif", "the badge must be an SVG or PNG image"),
        (media_samples.png(120, 80), "wide.png", "the badge must be square"),
        (media_samples.png(64, 64), "small.png", "90 to 2048 pixels wide"),
        (media_samples.png(120, 120)[:-20], "cut.png", "damaged PNG"),
        (media_samples.png(120, 120) + php, "polyglot.png", "has data after its end"),
        (media_samples.jpeg(120, 120), "photo.png", "the badge is not a PNG image"),
        (media_samples.svg_as_png(), "drawing.png", "the badge is not a PNG image"),
    ]
    for data, filename, message in cases:
        response = upload(client, url, new_form(), data, filename)
        page = response.get_data(as_text=True)
        assert response.status_code == 422, filename
        assert message in page, (filename, message)
        assert 'value="Kazi Basics Certificate"' in page  # the other values stay
    assert stored(app, "kazi-basics-cert") is None


def test_a_png_badge_over_256_kb_or_larger_than_2048_pixels_is_refused(app, people):
    client = log_in(app, people["owner"])
    url = "/studio/kazi-basics/certifications/new"
    large = media_samples.photo_png(600, 600)
    assert len(large) > 256 * 1024
    response = upload(client, url, new_form(), large, "large.png")
    assert response.status_code == 422 and "the badge is larger than 256 KB" in response.get_data(as_text=True)
    # Only its header is read: 20000 by 20000 pixels would be a decompression bomb.
    huge = media_samples.png_header(20000, 20000)
    response = upload(client, url, new_form(), huge, "huge.png")
    assert response.status_code == 422 and "90 to 2048 pixels wide" in response.get_data(as_text=True)


def itxt_chunks(png: bytes) -> list[bytes]:
    """The iTXt chunk bodies of a PNG, walked by hand."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    found, position = [], 8
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position : position + 8])
        body = png[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", png[position + 8 + length : position + 12 + length])
        assert zlib.crc32(kind + body) == crc
        if kind == b"iTXt":
            found.append(body)
        position += 12 + length
    return found


def test_a_real_png_badge_is_kept_as_uploaded_and_baked_into_certificates(app, people, make):
    client = log_in(app, people["owner"])
    png = media_samples.png(120, 120, color=(20, 120, 60))
    response = upload(client, "/studio/kazi-basics/certifications/new", new_form(), png, "badge.png")
    assert response.status_code == 302
    saved = stored(app, "kazi-basics-cert")
    assert saved.badge_png == png and saved.badge_svg == ""  # never re-encoded

    public = app.test_client().get("/certifications/kazi-basics-cert/badge.png")
    assert public.status_code == 200 and public.headers["Content-Type"] == "image/png" and public.data == png
    assert "/certifications/kazi-basics-cert/badge.png" in app.test_client().get(
        "/certifications/kazi-basics-cert"
    ).get_data(as_text=True)

    learner = people["learner"]
    certificate = make.certificate(learner, saved)
    with app.app_context():
        row = db.session.get(Certificate, certificate.id)
        issue_credential(row)
        db.session.commit()
        token, code = row.credential_jwt, format_code(row.code)
    holder = log_in(app, learner)
    page = holder.get(f"/certificates/{code}").get_data(as_text=True)
    assert f"/certificates/{code}/badge.png" in page and f"/certificates/{code}/badge.svg" not in page
    baked = holder.get(f"/certificates/{code}/badge.png")
    assert baked.status_code == 200 and baked.headers["Content-Type"] == "image/png"
    [chunk] = itxt_chunks(baked.data)
    # Open Badges 3.0, 5.3.1: keyword, no compression, empty language tag and translated keyword, the JWS.
    assert chunk == b"openbadgecredential\x00\x00\x00\x00\x00" + token.encode()
    assert baked.data.startswith(png[:-12]) and baked.data.endswith(png[-12:])  # IEND last, the image unchanged
    assert Image.open(io.BytesIO(baked.data)).size == (120, 120)
    claims = jwt.decode(token, options={"verify_signature": False})
    image_id = claims["credentialSubject"]["achievement"]["image"]["id"]
    assert image_id.endswith("/certifications/kazi-basics-cert/badge.png")
    # The site's own verifier reads the baked PNG.
    anonymous = app.test_client()
    token = anonymous.csrf_token("/verify")
    checked = anonymous.post(
        "/verify",
        data={"csrf_token": token, "badge": (io.BytesIO(baked.data), "badge.png")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "Valid: every check passed." in checked
    # Someone else's certificate, or one without a PNG badge, has no PNG to bake.
    assert log_in(app, people["other"]).get(f"/certificates/{code}/badge.png").status_code == 404
    svg_certification = certification(app, "svg-one", ["kazi-basics"])
    svg_certificate = make.certificate(learner, svg_certification)
    with app.app_context():
        row = db.session.get(Certificate, svg_certificate.id)
        issue_credential(row)
        db.session.commit()
        svg_code = format_code(row.code)
    assert holder.get(f"/certificates/{svg_code}/badge.png").status_code == 404
    assert holder.get(f"/certificates/{svg_code}/badge.svg").status_code == 200
    # Each badge address leads to the badge the certification has now: credentials keep their image.
    moved = app.test_client().get("/certifications/svg-one/badge.png")
    assert moved.status_code == 302 and moved.location.endswith("/certifications/svg-one/badge.svg")
    moved = app.test_client().get("/certifications/kazi-basics-cert/badge.svg")
    assert moved.status_code == 302 and moved.location.endswith("/certifications/kazi-basics-cert/badge.png")
    certification(app, "bare", ["kazi-basics"], badge_svg="")
    assert app.test_client().get("/certifications/bare/badge.png").status_code == 404


def test_editing_without_a_new_badge_keeps_the_badge_and_an_upload_replaces_it(app, people):
    client = log_in(app, people["owner"])
    png = media_samples.png(100, 100)
    assert upload(client, "/studio/kazi-basics/certifications/new", new_form(), png, "badge.png").status_code == 302
    url = "/studio/kazi-basics/certifications/kazi-basics-cert"
    version = VERSION_RE.search(client.get(url).get_data(as_text=True)).group(1)
    assert client.submit(url, new_form(slug=None, version=version, name="Second")).status_code == 302
    assert stored(app, "kazi-basics-cert").badge_png == png
    version = VERSION_RE.search(client.get(url).get_data(as_text=True)).group(1)
    response = upload(client, url, new_form(slug=None, version=version), SVG.encode(), "badge.svg")
    assert response.status_code == 302
    saved = stored(app, "kazi-basics-cert")
    assert saved.badge_svg == SVG and saved.badge_png is None


def test_the_admin_form_keeps_a_png_badge_a_trainer_uploaded(app, people):
    client = log_in(app, people["owner"])
    png = media_samples.png(100, 100)
    assert upload(client, "/studio/kazi-basics/certifications/new", new_form(), png, "badge.png").status_code == 302
    saved = stored(app, "kazi-basics-cert")
    admin = log_in(app, people["admin"])
    response = admin.submit(
        f"/admin/certifications/{saved.id}/edit",
        {"name": "Admin Named", "slug": saved.slug, "description": "x", "courses": ["kazi-basics"]},
    )
    assert response.status_code == 302
    assert stored(app, "kazi-basics-cert").badge_png == png


# ---------------------------------------------------------------------------------------------- conflicts


def test_a_stale_form_gets_a_conflict_and_overwrites_nothing(app, people, make):
    trainer = make.user(Role.TRAINER, name="Co Trainer")
    with app.app_context():
        from samaschool.studio.models import CourseStaff

        db.session.add(CourseStaff(course_id=people["course"].id, user_id=trainer.id, role="co_trainer"))
        db.session.commit()
    certification(app, "ours", ["kazi-basics"], name="Original")
    url = "/studio/kazi-basics/certifications/ours"
    first, second = log_in(app, people["owner"]), log_in(app, trainer)
    version_first = VERSION_RE.search(first.get(url).get_data(as_text=True)).group(1)
    version_second = VERSION_RE.search(second.get(url).get_data(as_text=True)).group(1)
    assert version_first == version_second
    saved = first.submit(url, new_form(slug=None, name="First Save", version=version_first))
    assert saved.status_code == 302
    stale = second.submit(url, new_form(slug=None, name="Second Save", version=version_second))
    page = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "Someone saved this certification after you opened it. Nothing was overwritten" in page
    assert 'value="Second Save"' in page  # the trainer's own changes are still in the form
    assert stored(app, "ours").name == "First Save"
    # A replay of the first save conflicts too.
    replay = first.submit(url, new_form(slug=None, name="First Save", version=version_first))
    assert replay.status_code == 409
    # Saving the form shown with the conflict replaces the other save, deliberately.
    newer = VERSION_RE.search(page).group(1)
    assert newer != version_second
    assert second.submit(url, new_form(slug=None, name="Second Save", version=newer)).status_code == 302
    assert stored(app, "ours").name == "Second Save"


# ------------------------------------------------------------------------------------------------- who may


def test_every_route_for_every_role(app, people):
    certification(app, "ours", ["kazi-basics"])
    clients = {
        "anonymous": app.test_client(),
        "learner": log_in(app, people["learner"]),
        "other trainer": log_in(app, people["other"]),
        "course trainer": log_in(app, people["owner"]),
        "admin": log_in(app, people["admin"]),
    }
    routes = [
        "/studio/kazi-basics/certifications",
        "/studio/kazi-basics/certifications/new",
        "/studio/kazi-basics/certifications/ours",
    ]
    expected = {"anonymous": "login", "learner": 403, "other trainer": 403, "course trainer": 200, "admin": 200}
    for who, client in clients.items():
        for route in routes:
            response = client.get(route)
            got = (
                "login"
                if response.status_code == 302 and "/account/login" in response.location
                else response.status_code
            )
            assert got == expected[who], (who, "GET", route, response.status_code)
        for route in routes[1:]:
            token = client.csrf_token("/account/login" if who == "anonymous" else "/account/profile")
            response = client.post(route, data={"csrf_token": token})
            allowed = 422  # the empty form's answer
            want = {"anonymous": "login", "learner": 403, "other trainer": 403}.get(who, allowed)
            got = (
                "login"
                if response.status_code == 302 and "/account/login" in response.location
                else response.status_code
            )
            assert got == want, (who, "POST", route, response.status_code)
        # The list route takes no POST.
        assert client.post(routes[0]).status_code in (405, 400)
    assert stored(app, "ours").name == "Certificate ours"
    # A certification that does not name the course is not found under it; an unknown course neither.
    certification(app, "theirs", ["other-course"])
    assert clients["course trainer"].get("/studio/kazi-basics/certifications/theirs").status_code == 404
    assert clients["admin"].get("/studio/no-such-course/certifications").status_code == 404


# ------------------------------------------------------------------------------------- exports and imports


def import_shipped(app, admin):
    with app.app_context():
        import_folder(SHIPPED)
        content = read_content(SHIPPED)
        import_certifications(content.certifications)
        db.session.commit()
        return content


def test_export_and_import_round_trip_identically_on_the_shipped_courses(app, make):
    admin = make.user(Role.ADMIN)
    content = import_shipped(app, admin)
    shipped = {spec.slug: spec for spec in content.certifications}
    with app.app_context():
        actor = db.session.get(type(admin), admin.id)
        courses = list(db.session.scalars(select(Course).order_by(Course.slug)))
        first = {course.slug: studio_certifications.export_certifications(course) for course in courses}
        exported = {name for files, _left_out in first.values() for name in files}
        assert exported == {f"_certifications/{slug}.{ext}" for slug in shipped for ext in ("yml", "svg")}
        assert all(left_out == [] for _files, left_out in first.values())
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            for files, _left_out in first.values():
                for name, data in files.items():
                    (root / name).parent.mkdir(parents=True, exist_ok=True)
                    (root / name).write_bytes(data)
            checker = Checker()
            specs = read_certifications(root, content.courses, shown, checker)
            assert checker.problems == []
        for spec in specs:  # what the files say is what the shipped folder said
            original = shipped[spec.slug]
            assert (spec.name, spec.description, spec.validity_months, spec.criteria, spec.badge_svg) == (
                original.name,
                original.description,
                original.validity_months,
                original.criteria,
                original.badge_svg,
            )
        messages = studio_certifications.import_certification_specs(specs, actor)
        assert sorted(messages) == sorted(f"Certification {slug} is unchanged." for slug in shipped)
        # Changed in the database, then imported back from the export: restored, and exported the same.
        data_annotation = db.session.scalar(select(Certification).where(Certification.slug == "data-annotation"))
        data_annotation.name = "Something Else"
        db.session.flush()
        messages = studio_certifications.import_certification_specs(specs, actor)
        assert "Certification data-annotation updated." in messages
        db.session.commit()
        second = {course.slug: studio_certifications.export_certifications(course) for course in courses}
        assert second == first


def test_export_leaves_out_what_names_other_courses_and_says_why(app, people):
    png = media_samples.png(96, 96)
    certification(app, "alone", ["kazi-basics"], badge_svg="", badge_png=png, validity_months=None)
    certification(app, "shared", ["kazi-basics"], [{"course": "other-course", "quiz": "exam", "min_percent": 50}])
    certification(app, "missing-quiz", [], [{"course": "kazi-basics", "quiz": "gone", "min_percent": 50}])
    certification(app, "retired", ["kazi-basics"], archived_at=datetime.now(UTC))
    with app.app_context():
        course = db.session.get(Course, people["course"].id)
        files, left_out = studio_certifications.export_certifications(course)
        again, _ = studio_certifications.export_certifications(course)
    assert files == again
    assert set(files) == {"_certifications/alone.yml", "_certifications/alone.png"}
    assert files["_certifications/alone.png"] == png
    assert files["_certifications/alone.yml"].decode() == (
        "name: Certificate alone\n"
        "description: Can do the work.\n"
        "badge: alone.png\n"
        "criteria:\n"
        "  courses:\n"
        "    - kazi-basics\n"
    )
    assert left_out == [
        "missing-quiz: its criteria name the quiz gone, which this course does not have",
        "shared: its criteria also name other-course",
    ]


def test_import_upserts_only_what_the_trainer_may_edit_and_archives_nothing(app, people):
    certification(app, "keep-me", ["other-course"], name="Untouched")
    certification(app, "ours", ["kazi-basics"], name="Old Name")
    png = media_samples.png(100, 100)
    with tempfile.TemporaryDirectory() as tmp, app.app_context():
        folder = Path(tmp) / "_certifications"
        folder.mkdir()
        (folder / "ours.yml").write_text(
            "name: New Name\ndescription: Better.\nbadge: ours.png\ncriteria:\n  courses: [kazi-basics]\n"
        )
        (folder / "ours.png").write_bytes(png)
        (folder / "brand-new.svg").write_text(SVG)
        (folder / "brand-new.yml").write_text(
            "name: Brand New\ndescription: Fresh.\nbadge: brand-new.svg\ncriteria:\n  quizzes:\n"
            "    - {course: kazi-basics, quiz: exam, min_percent: 60}\n"
        )
        (folder / "keep-me.yml").write_text(
            "name: Taken Over\ndescription: No.\nbadge: brand-new.svg\ncriteria:\n  courses: [kazi-basics]\n"
        )
        (folder / "sneaky.yml").write_text(
            "name: Sneaky\ndescription: No.\nbadge: brand-new.svg\ncriteria:\n  courses: [other-course]\n"
        )
        import_folder_courses = [
            type("Spec", (), {"slug": slug, "quizzes": [type("Q", (), {"key": "exam"})()]})()
            for slug in ("kazi-basics", "other-course")
        ]
        checker = Checker()
        specs = read_certifications(Path(tmp), import_folder_courses, shown, checker)
        assert checker.problems == []
        owner = db.session.get(type(people["owner"]), people["owner"].id)
        messages = studio_certifications.import_certification_specs(specs, owner)
        db.session.commit()
    assert messages == [
        "Certification brand-new created.",
        "Certification keep-me was not imported: it names other-course, which you do not teach.",
        "Certification ours updated.",
        "Certification sneaky was not imported: it names other-course, which you do not teach.",
    ]
    ours = stored(app, "ours")
    assert ours.name == "New Name" and ours.badge_png == png and ours.badge_svg == ""
    assert stored(app, "brand-new").source == "admin" and stored(app, "sneaky") is None
    kept = stored(app, "keep-me")
    assert kept.name == "Untouched" and kept.archived_at is None


def test_the_folder_format_reads_png_badges_checked_like_uploads(tmp_path):
    folder = tmp_path / "_certifications"
    folder.mkdir()
    (folder / "good.yml").write_text("name: Good\ndescription: x\nbadge: good.png\ncriteria:\n  courses: [c]\n")
    (folder / "good.png").write_bytes(media_samples.png(100, 100))
    (folder / "bad.yml").write_text("name: Bad\ndescription: x\nbadge: bad.png\ncriteria:\n  courses: [c]\n")
    (folder / "bad.png").write_bytes(b"<?php echo 1; ?>")
    courses = [type("Spec", (), {"slug": "c", "quizzes": []})()]
    checker = Checker()
    specs = read_certifications(tmp_path, courses, str, checker)
    assert [spec.slug for spec in specs] == ["good"] and specs[0].badge_png == media_samples.png(100, 100)
    assert [str(problem) for problem in checker.problems] == [f"{folder / 'bad.yml'}:3: the badge is not a PNG image"]


def test_quiz_options_read_titles_from_the_draft(app, people):
    with app.app_context():
        course = db.session.get(Course, people["course"].id)
        options = studio_certifications.quiz_options([course])
        published = set(db.session.scalars(select(Quiz.key).where(Quiz.course_id == course.id)))
    assert [(o.key, o.title) for o in options] == [("basics", "Check the basics"), ("exam", "Final exam")]
    assert published == {"basics", "exam"}
