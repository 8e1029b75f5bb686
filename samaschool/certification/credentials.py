"""Open Badges 3.0 OpenBadgeCredentials (VC data model 2.0), signed as VC-JWT with EdDSA."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import jwt
from flask import current_app

from samaschool.certification import keys
from samaschool.certification.models import Certificate, new_credential_id

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
REVOCATION_TYPE = "1EdTechRevocationList"


def base_url() -> str:
    return current_app.config["SAMASCHOOL_BASE_URL"].rstrip("/")


def issuer_id() -> str:
    return f"{base_url()}/issuer"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def issuer_profile() -> dict:
    return {
        "id": issuer_id(),
        "type": ["Profile"],
        "name": current_app.config["SAMASCHOOL_ISSUER_NAME"],
        "url": f"{base_url()}/",
    }


def criteria_narrative(certification) -> str:
    parts = []
    for slug in certification.criteria.get("courses", []):
        parts.append(f"Complete every lesson and quiz of the course '{slug}'.")
    for rule in certification.criteria.get("quizzes", []):
        parts.append(f"Pass '{rule['quiz']}' of '{rule['course']}' with at least {rule['min_percent']}%.")
    return " ".join(parts)


def badge_name(certification) -> str:
    """The file name of the certification's badge image on the site: its PNG, when it has one."""
    return "badge.png" if certification.badge_png else "badge.svg"


def build_credential(certificate: Certificate, email: str) -> dict:
    certification = certificate.certification
    if not certificate.credential_id:  # not flushed yet: the column default has not run
        certificate.credential_id = new_credential_id()
    # Both from the opaque id, never the verification code: the credential must not lead to it.
    salt = hashlib.sha256(f"{certificate.credential_id}:salt".encode()).hexdigest()[:16]
    credential = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": certificate.credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer_profile(),
        "validFrom": _iso(certificate.issued_at),
        "name": certification.name,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            # The holder is identified by a salted hash of the email, never the email itself.
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": "sha256$" + hashlib.sha256((email.lower() + salt).encode()).hexdigest(),
                    "identityType": "emailAddress",
                    "hashed": True,
                    "salt": salt,
                }
            ],
            "achievement": {
                "id": f"{base_url()}/certifications/{certification.slug}",
                "type": ["Achievement"],
                "name": certification.name,
                "description": certification.description or certification.name,
                "criteria": {"narrative": criteria_narrative(certification)},
                "image": {
                    "id": f"{base_url()}/certifications/{certification.slug}/{badge_name(certification)}",
                    "type": "Image",
                },
            },
        },
        "credentialStatus": {"id": f"{base_url()}/credentials/revocations", "type": REVOCATION_TYPE},
    }
    if certificate.expires_at is not None:
        credential["validUntil"] = _iso(certificate.expires_at)
    return credential


def sign(credential: dict) -> tuple[str, str]:
    """The compact VC-JWT and the id of the key that signed it."""
    kid, private_key = keys.current_key()
    claims = dict(credential)
    claims.update(iss=credential["issuer"]["id"], jti=credential["id"], nbf=_epoch(credential["validFrom"]))
    if "validUntil" in credential:
        claims["exp"] = _epoch(credential["validUntil"])
    token = jwt.encode(claims, private_key, algorithm="EdDSA", headers={"kid": kid, "typ": "vc+jwt"})
    return token, kid


def _epoch(iso: str) -> int:
    return int(datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())


def issue_credential(certificate: Certificate) -> None:
    credential = build_credential(certificate, certificate.user.email)
    certificate.credential_jwt, certificate.key_id = sign(credential)
    certificate.issuer_id = credential["issuer"]["id"]


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class Verification:
    checks: list[Check] = field(default_factory=list)
    credential: dict | None = None
    code: str | None = None

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    @property
    def failed(self) -> Check | None:
        return next((check for check in self.checks if not check.ok), None)


def verify_jwt(token: str, *, now: datetime, lookup: Callable[[str], Certificate | None]) -> Verification:
    """Check a presented VC-JWT: format, signing key, signature, issuer, dates, revocation.

    Every check is reported so a person can see plainly which one failed. `lookup(credential_id)`
    finds the certificate the credential names by its id, the JWT's `jti` (services.get_by_credential_id,
    which also knows the ids of credentials signed before ids were opaque, `…/credentials/{code}`).
    The issuer is this site's current issuer id, or the one the certificate was signed under (the
    site's public address may have changed since). A revocation's reason is not reported: only
    the holder and admins see it, on the certificate's own pages.
    """
    result = Verification()
    token = "".join(token.split())
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        result.checks.append(Check("format", False, "This is not a signed credential (a VC-JWT)."))
        return result
    result.checks.append(Check("format", True))
    public_key = keys.all_public_keys().get(str(header.get("kid", "")))
    if header.get("alg") != "EdDSA" or public_key is None:
        result.checks.append(Check("key", False, "It was not signed with one of our published keys."))
        return result
    result.checks.append(Check("key", True))
    try:
        claims = jwt.decode(
            token,
            public_key,
            algorithms=["EdDSA"],
            options={"verify_exp": False, "verify_nbf": False, "verify_aud": False},
        )
    except jwt.PyJWTError:
        result.checks.append(Check("signature", False, "The signature does not match: the credential was changed."))
        return result
    result.checks.append(Check("signature", True))
    result.credential = claims
    jti = claims.get("jti")
    certificate = lookup(jti) if isinstance(jti, str) and jti else None
    ours = {issuer_id()} | ({certificate.issuer_id} if certificate is not None and certificate.issuer_id else set())
    issuer = claims.get("issuer", {})
    issuer = issuer.get("id") if isinstance(issuer, dict) else issuer
    if claims.get("iss") not in ours or issuer != claims.get("iss"):
        result.checks.append(Check("issuer", False, "It names another issuer."))
        return result
    result.checks.append(Check("issuer", True))
    stamp = now.timestamp()
    if "nbf" in claims and stamp < claims["nbf"]:
        result.checks.append(Check("dates", False, "It is not valid yet."))
    elif "exp" in claims and stamp >= claims["exp"]:
        result.checks.append(Check("dates", False, f"It expired on {claims.get('validUntil', '')[:10]}."))
    else:
        result.checks.append(Check("dates", True))
    result.code = certificate.code if certificate is not None else None
    if certificate is not None and certificate.revoked_at is not None:
        result.checks.append(Check("revocation", False, f"It was revoked on {certificate.revoked_at:%Y-%m-%d}."))
    else:
        result.checks.append(Check("revocation", True))
    return result
