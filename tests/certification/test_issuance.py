import threading
from datetime import timedelta

from sqlalchemy import func, select

from samaschool.assessments.models import Attempt
from samaschool.audit import AuditEntry
from samaschool.auth.models import User
from samaschool.certification import services
from samaschool.certification.models import Certificate, Certification
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.permissions import Role
from tests.certification.conftest import CODE_RE, dashed


def test_certificate_is_issued_the_moment_criteria_become_true(app, setup):
    candidate, _certification = setup
    candidate.complete_lessons()
    assert candidate.certificates() == []  # the exam is still missing
    candidate.take_exam(right=False)
    assert candidate.certificates() == []  # failed
    candidate.take_exam(right=True)
    [certificate] = candidate.certificates()
    assert CODE_RE.match(certificate.code)  # 13 Crockford characters = 65 random bits
    assert certificate.holder_name == "Achieng Otieno" and certificate.cycle == 1
    assert certificate.expires_at - certificate.issued_at > timedelta(days=364)
    assert certificate.credential_jwt.count(".") == 2
    page = candidate.client.get("/dashboard").get_data(as_text=True)
    assert "Congratulations! You earned the Data Annotation Certificate." in page


def test_exactly_once_even_when_two_requests_complete_the_criteria_together(app, setup):
    candidate, certification = setup
    candidate.complete_lessons()
    candidate.take_exam(right=True)
    with app.app_context():
        db.session.execute(Certificate.__table__.delete())
        db.session.commit()
    barrier, results = threading.Barrier(4), []

    def award():
        with app.app_context():
            barrier.wait(timeout=10)
            issued = services.try_award(
                db.session.get(User, candidate.user.id), db.session.get(Certification, certification.id)
            )
            db.session.commit()
            results.append(issued is not None)
            db.session.remove()

    threads = [threading.Thread(target=award) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [False, False, False, True]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1


def test_expiry_is_announced_and_recertification_starts_a_new_cycle(app, setup):
    candidate, _certification = setup
    candidate.complete_lessons()
    candidate.take_exam(right=True)
    [first] = candidate.certificates()
    with app.app_context():
        certificate = db.session.get(Certificate, first.id)
        certificate.expires_at = utcnow() + timedelta(days=10)
        db.session.commit()
    dashboard = candidate.client.get("/dashboard").get_data(as_text=True)
    assert "expires on" in dashboard and "renew it now" in dashboard
    with app.app_context():
        certificate = db.session.get(Certificate, first.id)
        certificate.expires_at = utcnow() - timedelta(days=1)
        certificate.issued_at -= timedelta(days=366)
        for attempt in db.session.scalars(select(Attempt)):  # a year has passed for everything
            attempt.submitted_at -= timedelta(days=366)
        db.session.commit()
    assert "expired on" in candidate.client.get("/dashboard").get_data(as_text=True)
    verify = candidate.client.get(f"/verify/{dashed(first.code)}?format=json").json
    assert verify["status"] == "expired"
    # Progress alone does not renew: a new exam pass is needed.
    with app.app_context():
        assert services.award_earned(candidate.user.id, candidate.course.id) == []
    candidate.take_exam(right=True)
    certificates = sorted(candidate.certificates(), key=lambda c: c.cycle)
    assert [c.cycle for c in certificates] == [1, 2]
    assert certificates[1].code != certificates[0].code
    assert candidate.client.get(f"/verify/{dashed(certificates[1].code)}?format=json").json["status"] == "valid"


def test_revocation_is_audited_and_shown_to_the_learner_and_verifiers(app, setup, make):
    candidate, _certification = setup
    candidate.complete_lessons()
    candidate.take_exam(right=True)
    [certificate] = candidate.certificates()
    admin = make.user(Role.ADMIN)
    client = app.test_client()
    client.submit("/account/login", {"email": admin.email, "password": "correct horse battery staple"})
    missing = client.submit(f"/admin/certificates/{certificate.id}/revoke", {"reason": ""}, page="/admin/certificates")
    assert missing.status_code == 302
    with app.app_context():
        assert db.session.get(Certificate, certificate.id).revoked_at is None
    client.submit(
        f"/admin/certificates/{certificate.id}/revoke",
        {"reason": "exam taken by someone else"},
        page="/admin/certificates",
    )
    with app.app_context():
        revoked = db.session.get(Certificate, certificate.id)
        assert revoked.revoked_at is not None and revoked.revocation_reason == "exam taken by someone else"
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "certificate.revoked"))
        assert entry.actor_id == admin.id and entry.reason == "exam taken by someone else"
    own = candidate.client.get(f"/certificates/{dashed(certificate.code)}").get_data(as_text=True)
    assert "revoked" in own and "exam taken by someone else" in own
    public = app.test_client().get(f"/verify/{dashed(certificate.code)}").get_data(as_text=True)
    assert "Revoked on" in public and "exam taken by someone else" not in public  # holder and admins only
    listing = app.test_client().get("/credentials/revocations").json
    assert listing["revokedCredentials"] == [{"id": certificate.credential_id}]
    # A revoked certification is not silently re-earned.
    candidate.take_exam(right=True)
    assert len(candidate.certificates()) == 1


def test_certificates_are_private_to_their_holder(app, setup, make):
    candidate, _certification = setup
    candidate.complete_lessons()
    candidate.take_exam(right=True)
    [certificate] = candidate.certificates()
    other = make.user()
    client = app.test_client()
    client.submit("/account/login", {"email": other.email, "password": "correct horse battery staple"})
    for suffix in ("", "/certificate.pdf", "/credential.jwt", "/badge.svg"):
        assert client.get(f"/certificates/{dashed(certificate.code)}{suffix}").status_code == 404
    # …while the public verification page works for anyone, without an account.
    assert app.test_client().get(f"/verify/{dashed(certificate.code)}").status_code == 200


def test_verify_pages_for_each_status(app, setup):
    candidate, _certification = setup
    candidate.complete_lessons()
    candidate.take_exam(right=True)
    [certificate] = candidate.certificates()
    anonymous = app.test_client()
    valid = anonymous.get(f"/verify/{certificate.code.lower()}")  # typed in lower case, no dashes
    assert valid.status_code == 200 and "Valid certificate" in valid.get_data(as_text=True)
    assert "Achieng Otieno" in valid.get_data(as_text=True)
    unknown = anonymous.get("/verify/AAAA-BBBB-CCCCC")
    assert unknown.status_code == 404 and "No certificate has the code" in unknown.get_data(as_text=True)
    as_json = anonymous.get(f"/verify/{dashed(certificate.code)}", headers={"Accept": "application/json"})
    assert as_json.json["status"] == "valid" and as_json.json["holder"] == "Achieng Otieno"
    assert anonymous.get("/verify/AAAA-BBBB-CCCCC?format=json").json == {"status": "unknown", "code": "AAAA-BBBB-CCCCC"}


def test_a_typed_code_leads_to_its_verification_page(app, setup):
    candidate, _certification = setup
    candidate.complete_lessons()
    candidate.take_exam(right=True)
    [certificate] = candidate.certificates()
    client = app.test_client()
    typed = f" {certificate.code[:4].lower()} {certificate.code[4:].lower()} "
    page = client.get("/verify", query_string={"code": typed}, follow_redirects=True).get_data(as_text=True)
    assert "Valid certificate" in page
