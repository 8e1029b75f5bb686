"""The Open Badges 3.0 credential: checked here through a separate code path (raw Ed25519 from
`cryptography` against the published JWK Set), never through the project's own verifier."""

import base64
import json
from datetime import timedelta

import jwt as pyjwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from samaschool.certification import keys
from samaschool.certification.models import Certificate
from samaschool.db_types import utcnow
from samaschool.extensions import db
from tests.certification.conftest import dashed


def b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def independent_verify(token: str, jwks: dict) -> dict:
    header_b64, payload_b64, signature_b64 = token.split(".")
    header = json.loads(b64decode(header_b64))
    assert header["alg"] == "EdDSA"
    jwk = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and "d" not in jwk  # public only
    public_key = Ed25519PublicKey.from_public_bytes(b64decode(jwk["x"]))
    public_key.verify(b64decode(signature_b64), f"{header_b64}.{payload_b64}".encode())  # raises if wrong
    return json.loads(b64decode(payload_b64))


def earn(setup):
    candidate, _certification = setup
    candidate.complete_lessons()
    candidate.take_exam(right=True)
    [certificate] = candidate.certificates()
    return candidate, certificate


def test_credential_is_an_open_badges_3_credential_verifiable_with_the_published_key(app, setup):
    candidate, certificate = earn(setup)
    jwks = app.test_client().get("/.well-known/jwks.json").json
    credential = independent_verify(certificate.credential_jwt, jwks)
    assert credential["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"]["type"] == ["Profile"] and credential["issuer"]["id"] == "http://localhost/issuer"
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["type"] == ["Achievement"] and achievement["criteria"]["narrative"]
    assert credential["credentialSubject"]["type"] == ["AchievementSubject"]
    assert candidate.user.email not in json.dumps(credential)  # the email is only there hashed
    assert credential["validFrom"].endswith("Z") and credential["validUntil"] > credential["validFrom"]
    assert credential["credentialStatus"] == {
        "id": "http://localhost/credentials/revocations",
        "type": "1EdTechRevocationList",
    }
    # An opaque id: neither the credential nor the revocation list leads to the verification code.
    assert credential["id"] == certificate.credential_id and credential["id"].startswith("urn:uuid:")
    assert certificate.code not in json.dumps(credential)
    # The download is the same compact JWT.
    download = candidate.client.get(f"/certificates/{dashed(certificate.code)}/credential.jwt")
    assert download.get_data(as_text=True) == certificate.credential_jwt
    assert "attachment" in download.headers["Content-Disposition"]


def test_private_keys_are_never_served(app, setup):
    earn(setup)
    for path in ("/.well-known/jwks.json", "/issuer", "/credentials/revocations"):
        body = app.test_client().get(path).get_data(as_text=True)
        assert "PRIVATE KEY" not in body and '"d"' not in body


def _verify(app, token):
    return app.test_client().post("/verify.json", json={"credential": token}).json


def test_verify_accepts_a_good_credential_and_names_each_failed_check(app, setup):
    _candidate, certificate = earn(setup)
    good = _verify(app, certificate.credential_jwt)
    assert good["valid"] is True and {c["check"] for c in good["checks"]} >= {
        "signature",
        "issuer",
        "dates",
        "revocation",
    }

    header, payload, signature = certificate.credential_jwt.split(".")
    changed = payload[:-3] + ("A" if payload[-3] != "A" else "B") + payload[-2:]
    tampered = _verify(app, f"{header}.{changed}.{signature}")
    assert tampered["valid"] is False
    assert next(c for c in tampered["checks"] if not c["passed"])["check"] in ("signature", "format")

    claims = json.loads(b64decode(payload))
    forged = pyjwt.encode(
        claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": json.loads(b64decode(header))["kid"]}
    )
    wrong_key = _verify(app, forged)
    assert wrong_key["valid"] is False
    assert next(c for c in wrong_key["checks"] if not c["passed"])["check"] == "signature"

    unknown_key = pyjwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": "not-ours"})
    assert next(c for c in _verify(app, unknown_key)["checks"] if not c["passed"])["check"] == "key"

    assert _verify(app, "hello")["checks"][0] == {
        "check": "format",
        "passed": False,
        "detail": "This is not a signed credential (a VC-JWT).",
    }


def test_expired_and_revoked_credentials_fail_their_checks(app, setup):
    _candidate, certificate = earn(setup)
    with app.app_context():
        row = db.session.get(Certificate, certificate.id)
        row.issued_at = utcnow() - timedelta(days=800)
        row.expires_at = utcnow() - timedelta(days=435)
        from samaschool.certification.credentials import issue_credential

        issue_credential(row)
        db.session.commit()
        token = row.credential_jwt
    expired = _verify(app, token)
    assert expired["valid"] is False
    assert next(c for c in expired["checks"] if not c["passed"])["check"] == "dates"
    with app.app_context():
        row = db.session.get(Certificate, certificate.id)
        row.revoked_at, row.revocation_reason = utcnow(), "fraud"
        db.session.commit()
    revoked = _verify(app, token)
    [check] = [c for c in revoked["checks"] if c["check"] == "revocation"]
    assert not check["passed"] and check["detail"].startswith("It was revoked on ")
    assert "fraud" not in json.dumps(revoked)  # the reason is for the holder and admins only


def test_key_rotation_keeps_old_credentials_verifiable_and_reissue_uses_the_new_key(app, setup, make):
    _candidate, certificate = earn(setup)
    old_kid = json.loads(b64decode(certificate.credential_jwt.split(".")[0]))["kid"]
    result = app.test_cli_runner().invoke(args=["certs", "rotate-key"])
    assert result.exit_code == 0
    jwks = app.test_client().get("/.well-known/jwks.json").json
    assert len(jwks["keys"]) == 2
    independent_verify(certificate.credential_jwt, jwks)
    assert _verify(app, certificate.credential_jwt)["valid"] is True
    from samaschool.permissions import Role

    admin = make.user(Role.ADMIN)
    client = app.test_client()
    client.submit("/account/login", {"email": admin.email, "password": "correct horse battery staple"})
    client.submit(f"/admin/certificates/{certificate.id}/reissue", page="/admin/certificates")
    with app.app_context():
        token = db.session.get(Certificate, certificate.id).credential_jwt
        current_kid, _key = keys.current_key()
    assert json.loads(b64decode(token.split(".")[0]))["kid"] == current_kid != old_kid
    independent_verify(token, jwks)


def test_tampered_signature_fails_the_independent_check_too(app, setup):
    _candidate, certificate = earn(setup)
    jwks = app.test_client().get("/.well-known/jwks.json").json
    header, payload, signature = certificate.credential_jwt.split(".")
    raw = bytearray(b64decode(signature))
    raw[0] ^= 1
    bad = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    try:
        independent_verify(f"{header}.{payload}.{bad}", jwks)
    except InvalidSignature:
        pass
    else:
        raise AssertionError("a changed signature verified")
