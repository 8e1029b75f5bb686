import io

from samaschool.certification.documents import credential_from_svg, qr_svg
from samaschool.content.course_folder import read_content
from samaschool.permissions import Role
from tests.certification.conftest import dashed
from tests.content.conftest import write
from tests.factories import PASSWORD


def earn(setup):
    candidate, _certification = setup
    candidate.complete_lessons()
    candidate.take_exam(right=True)
    [certificate] = candidate.certificates()
    return candidate, certificate


def test_certificate_page_pdf_and_qr(app, setup):
    candidate, certificate = earn(setup)
    code = dashed(certificate.code)
    page = candidate.client.get(f"/certificates/{code}").get_data(as_text=True)
    verify_url = f"http://localhost/verify/{code}"
    assert code in page and verify_url in page
    assert qr_svg(verify_url) in page  # the QR on the page encodes the verification URL
    pdf = candidate.client.get(f"/certificates/{code}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.data.startswith(b"%PDF") and len(pdf.data) < 100_000


def test_baked_badge_round_trips_through_the_verify_upload(app, setup):
    candidate, certificate = earn(setup)
    baked = candidate.client.get(f"/certificates/{dashed(certificate.code)}/badge.svg")
    assert baked.headers["Content-Type"].startswith("image/svg+xml")
    assert credential_from_svg(baked.data) == certificate.credential_jwt
    anonymous = app.test_client()
    token = anonymous.csrf_token("/verify")
    page = anonymous.post(
        "/verify",
        data={"csrf_token": token, "badge": (io.BytesIO(baked.data), "badge.svg")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "Valid: every check passed." in page
    changed = baked.data.replace(b"Data Annotation", b"Data Annotatiom")
    tampered = certificate.credential_jwt[:-6] + (
        "AAAAAA" if not certificate.credential_jwt.endswith("AAAAAA") else "BBBBBB"
    )
    token = anonymous.csrf_token("/verify")
    page = anonymous.post("/verify", data={"csrf_token": token, "credential": tampered}).get_data(as_text=True)
    assert "Not valid" in page
    assert changed  # the badge artwork is not what is signed; the embedded credential is


def test_verify_form_needs_something_to_check(app):
    client = app.test_client()
    response = client.submit("/verify", {"credential": ""})
    assert response.status_code == 422 and "Paste a credential or choose a badge file" in response.get_data(
        as_text=True
    )


def test_admin_certificate_list_filters_and_is_admin_only(app, setup, make):
    earn(setup)
    admin, learner = make.user(Role.ADMIN), make.user()
    client = app.test_client()
    client.submit("/account/login", {"email": learner.email, "password": PASSWORD})
    assert client.get("/admin/certificates").status_code == 403
    client = app.test_client()
    client.submit("/account/login", {"email": admin.email, "password": PASSWORD})
    assert "Achieng Otieno" in client.get("/admin/certificates?status=valid").get_data(as_text=True)
    assert "Achieng Otieno" not in client.get("/admin/certificates?status=revoked").get_data(as_text=True)
    assert "Achieng Otieno" not in client.get("/admin/certificates?issued_to=2000-01-01").get_data(as_text=True)
    bad_date = client.get("/admin/certificates?issued_from=yesterday").get_data(as_text=True)
    assert "Use the form YYYY-MM-DD." in bad_date


def test_admin_creates_a_certification_and_bad_input_keeps_values(app, make):
    course = make.course(title="Kazi Mtandaoni")
    admin = make.user(Role.ADMIN)
    client = app.test_client()
    client.submit("/account/login", {"email": admin.email, "password": PASSWORD})
    bad = client.submit(
        "/admin/certifications/new",
        {
            "name": "Online Work Basics",
            "slug": "Bad Slug",
            "description": "Can work online.",
            "badge_svg": "<svg><script>x</script></svg>",
        },
    )
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'value="Online Work Basics"' in page
    assert "Choose at least one course" in page and "scripts" in page and "lower-case letters" in page
    good = client.submit(
        "/admin/certifications/new",
        {
            "name": "Online Work Basics",
            "slug": "online-work-basics",
            "description": "Can work online.",
            "courses": [course.slug],
        },
    )
    assert good.status_code == 302
    assert "Online Work Basics" in client.get("/admin/certifications").get_data(as_text=True)


def test_certification_files_are_checked_with_lines(tmp_path):
    root = tmp_path / "courses"
    write(
        root / "_certifications" / "bad.yml",
        "name: Bad\ndescription: x\nbadge: bad.svg\ncriteria:\n  courses: [nope]\n",
    )
    write(root / "_certifications" / "bad.svg", '<svg onload="alert(1)"></svg>')
    content = read_content(root)
    shown = [str(p) for p in content.problems]
    assert any("bad.yml:3: the badge contains scripts" in p for p in shown)
    assert any("bad.yml:5: no course 'nope'" in p for p in shown)


def test_shipped_certifications_are_valid():
    from pathlib import Path

    content = read_content(Path(__file__).resolve().parents[2] / "courses")
    assert content.problems == []
    by_slug = {c.slug: c for c in content.certifications}
    assert by_slug["data-annotation"].validity_months == 12
    assert by_slug["data-annotation"].criteria["quizzes"][0]["min_percent"] == 80
    assert by_slug["gig-platform-professional"].criteria["quizzes"][0]["min_percent"] == 70
    assert by_slug["digital-work-foundations"].criteria == {
        "courses": ["digital-work-foundations"],
        "quizzes": [{"course": "digital-work-foundations", "quiz": "exam", "min_percent": 75}],
    }
