"""Credentials do not lead strangers to their holders.

The attack: /credentials/revocations listed every revoked credential by its id, which was
`{address}/credentials/{verification code}`; /verify/<code> then showed the holder's name and
why the certificate was taken away. Now new credentials get random ids unrelated to the code,
the list names only those (and no reasons), and the reason is shown to the holder and admins only.
"""

from __future__ import annotations

import base64
import json

from samaschool.certification.credentials import issue_credential
from samaschool.certification.models import Certificate
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.permissions import Role
from tests.certification.conftest import dashed
from tests.certification.test_credentials import earn
from tests.factories import PASSWORD

REASON = "exam taken by someone else"


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _revoke(app, certificate_id: int) -> None:
    with app.app_context():
        row = db.session.get(Certificate, certificate_id)
        row.revoked_at, row.revocation_reason = utcnow(), REASON
        db.session.commit()


def _as_old_credential(app, certificate_id: int, address: str = "http://localhost") -> str:
    """Sign the certificate as it was signed before ids were opaque: its id ends in its code."""
    with app.app_context():
        row = db.session.get(Certificate, certificate_id)
        row.credential_id = f"{address}/credentials/{row.code}"
        issue_credential(row)
        db.session.commit()
        return row.credential_jwt


def _verify(app, token: str) -> dict:
    return app.test_client().post("/verify.json", json={"credential": token}).json


def test_the_revocation_list_leads_to_nobody(app, setup, make):
    _candidate, certificate = earn(setup)
    old_holder = make.user(name="Old Holder")
    old = make.certificate(old_holder, setup[1])
    _as_old_credential(app, old.id)
    _revoke(app, certificate.id)
    _revoke(app, old.id)
    listing = app.test_client().get("/credentials/revocations").json
    assert listing["revokedCredentials"] == [{"id": certificate.credential_id}]  # no reason either
    assert certificate.credential_id.startswith("urn:uuid:")
    with app.app_context():
        codes = [c.code for c in db.session.query(Certificate)]
    text = json.dumps(listing)
    assert not any(code in text for code in codes) and REASON not in text
    # The new credential's own id and salt say nothing of the code either.
    claims = _claims(certificate.credential_jwt)
    assert claims["jti"] == certificate.credential_id and certificate.code not in json.dumps(claims)


def test_credentials_signed_before_opaque_ids_keep_verifying(app, setup):
    _candidate, certificate = earn(setup)
    token = _as_old_credential(app, certificate.id)
    assert _claims(token)["jti"] == f"http://localhost/credentials/{certificate.code}"
    good = _verify(app, token)
    assert good["valid"] is True and good["code"] == certificate.code
    # Even when the row no longer holds that id (signed again since), the credential is found
    # by the code its id ends in, and its revocation is reported, without the reason.
    with app.app_context():
        db.session.get(Certificate, certificate.id).credential_id = "urn:uuid:00000000-0000-4000-8000-000000000000"
        db.session.commit()
    assert _verify(app, token)["valid"] is True
    _revoke(app, certificate.id)
    revoked = _verify(app, token)
    [check] = [c for c in revoked["checks"] if c["check"] == "revocation"]
    assert revoked["valid"] is False and not check["passed"] and REASON not in json.dumps(revoked)
    # Its own id leads to its status, as it always did.
    assert app.test_client().get(f"/credentials/{certificate.code}?format=json").json["status"] == "revoked"


def test_the_reason_is_for_the_holder_and_admins(app, setup, make):
    candidate, certificate = earn(setup)
    _revoke(app, certificate.id)
    url = f"/verify/{dashed(certificate.code)}"
    other, admin = make.user(), make.user(Role.ADMIN)
    visitors = {"anonymous": app.test_client(), "another learner": app.test_client(), "admin": app.test_client()}
    visitors["another learner"].submit("/account/login", {"email": other.email, "password": PASSWORD})
    visitors["admin"].submit("/account/login", {"email": admin.email, "password": PASSWORD})
    visitors["holder"] = candidate.client
    seen = {}
    for who, client in visitors.items():
        page = client.get(url).get_data(as_text=True)
        answer = client.get(url, headers={"Accept": "application/json"}).json
        assert "Revoked on" in page and answer["status"] == "revoked", who
        seen[who] = (REASON in page, answer.get("revocation_reason"))
    assert seen == {
        "anonymous": (False, None),
        "another learner": (False, None),
        "admin": (True, REASON),
        "holder": (True, REASON),
    }
