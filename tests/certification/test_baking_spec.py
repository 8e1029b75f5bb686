"""Baked badges as other Open Badges 3.0 tools read them (spec section 5.3, "Baked Badge").

The readers here are written from the spec text, not from our code: the SVG is parsed with defusedxml and the
credential taken from the ``verify`` attribute of the first ``{https://purl.imsglobal.org/ob/v3p0}credential``
element (5.3.2.1: for a VC-JWT the attribute MUST hold the compact JWS); PNG chunks are walked by hand and the
text taken from the ``iTXt`` chunk with keyword ``openbadgecredential`` (5.3.1: compression MUST NOT be used).
The extracted JWS is then checked against the site's published JWKS, again without our verifier.
"""

import base64
import io
import json
import re
import struct
import zlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from defusedxml.ElementTree import fromstring, iterparse
from PIL import Image

from samaschool.certification.documents import bake_png
from samaschool.certification.models import Certification
from samaschool.extensions import db
from tests.certification.conftest import dashed

OB_NS = "https://purl.imsglobal.org/ob/v3p0"
SVG_NS = "http://www.w3.org/2000/svg"
COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def earn(setup):
    candidate, certification = setup
    candidate.complete_lessons()
    candidate.take_exam(right=True)
    [certificate] = candidate.certificates()
    return candidate, certification, certificate


def b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verify_with_published_keys(app, token: str) -> dict:
    """The JWS checked with the Ed25519 key the site publishes under the header's kid; returns the claims."""
    jwks = app.test_client().get("/.well-known/jwks.json").json
    header_b64, payload_b64, signature_b64 = token.split(".")
    header = json.loads(b64url(header_b64))
    assert header["alg"] == "EdDSA"
    [jwk] = [key for key in jwks["keys"] if key["kid"] == header["kid"]]
    assert (jwk["kty"], jwk["crv"]) == ("OKP", "Ed25519")
    public_key = Ed25519PublicKey.from_public_bytes(b64url(jwk["x"]))
    public_key.verify(b64url(signature_b64), f"{header_b64}.{payload_b64}".encode())  # raises if it does not match
    return json.loads(b64url(payload_b64))


# ------------------------------------------------------------------------------------------- readers from the spec


def svg_credential(data: bytes) -> str:
    """5.3.2.1: the first openbadges:credential element, directly after the <svg> tag, holding the JWS in verify."""
    root = fromstring(data)
    assert root.tag == f"{{{SVG_NS}}}svg"
    credentials = list(root.iter(f"{{{OB_NS}}}credential"))
    assert len(credentials) == 1  # "There MUST be only one <openbadges:credential> tag"
    first = root[0]
    assert first is credentials[0]  # the first child of the root
    assert not (first.text or "").strip() and len(first) == 0  # no CDATA body: that is for embedded proofs
    return first.get("verify")


def root_namespace_declarations(data: bytes) -> dict[str, str]:
    """Prefix -> namespace for the declarations on the root element itself."""
    declared: dict[str, str] = {}
    for event, item in iterparse(io.BytesIO(data), events=("start-ns", "start")):
        if event == "start":
            return declared
        prefix, uri = item
        declared[prefix] = uri
    return declared


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc
        chunks.append((kind, body))
        pos += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    return chunks


def png_credential(data: bytes) -> str:
    """5.3.1: the iTXt chunk with keyword openbadgecredential, uncompressed, its text the compact JWS.

    iTXt layout (PNG spec 11.3.4.5): keyword, NUL, compression flag, compression method, language tag, NUL,
    translated keyword, NUL, text."""
    found = []
    for kind, body in png_chunks(data):
        if kind != b"iTXt":
            continue
        keyword, rest = body.split(b"\x00", 1)
        if keyword != b"openbadgecredential":
            continue
        compression_flag, compression_method, rest = rest[0], rest[1], rest[2:]
        language_tag, rest = rest.split(b"\x00", 1)
        translated_keyword, text = rest.split(b"\x00", 1)
        found.append((compression_flag, compression_method, language_tag, translated_keyword, text))
    assert len(found) == 1  # "MUST NOT appear in a PNG more than once"
    [(compression_flag, compression_method, language_tag, translated_keyword, text)] = found
    assert compression_flag == 0 and compression_method == 0
    assert language_tag == b"" and translated_keyword == b""
    return text.decode("utf-8")


# ---------------------------------------------------------------------------------------------------------- tests


def test_downloaded_svg_badge_holds_the_jws_in_verify(app, setup):
    candidate, _certification, certificate = earn(setup)
    response = candidate.client.get(f"/certificates/{dashed(certificate.code)}/badge.svg")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("image/svg+xml")

    assert root_namespace_declarations(response.data).get("openbadges") == OB_NS
    assert re.search(rb'<svg\b[^>]*\sxmlns:openbadges="https://purl\.imsglobal\.org/ob/v3p0"', response.data)
    token = svg_credential(response.data)
    assert COMPACT_JWS.fullmatch(token)
    assert token == certificate.credential_jwt
    claims = verify_with_published_keys(app, token)
    assert claims["jti"] == certificate.credential_id and certificate.code not in claims["jti"]
    assert "OpenBadgeCredential" in claims["type"]


def test_downloaded_svg_badge_verifies_through_the_upload(app, setup):
    candidate, _certification, certificate = earn(setup)
    baked = candidate.client.get(f"/certificates/{dashed(certificate.code)}/badge.svg").data
    anonymous = app.test_client()
    page = anonymous.post(
        "/verify",
        data={"csrf_token": anonymous.csrf_token("/verify"), "badge": (io.BytesIO(baked), "badge.svg")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "Valid: every check passed." in page
    answer = anonymous.post(
        "/verify.json", data={"badge": (io.BytesIO(baked), "badge.svg")}, content_type="multipart/form-data"
    ).json
    assert answer["valid"] is True and answer["code"] == certificate.code


def test_baked_png_holds_the_jws_in_an_uncompressed_itxt_chunk(app, setup):
    candidate, _certification, certificate = earn(setup)
    token = candidate.client.get(f"/certificates/{dashed(certificate.code)}/credential.jwt").get_data(as_text=True)
    artwork = io.BytesIO()
    Image.new("RGB", (32, 32), (29, 78, 216)).save(artwork, format="PNG")

    baked = bake_png(artwork.getvalue(), token)

    extracted = png_credential(baked)
    assert extracted == token == certificate.credential_jwt
    verify_with_published_keys(app, extracted)
    Image.open(io.BytesIO(baked)).load()  # still an image other tools can open
    answer = (
        app.test_client()
        .post("/verify.json", data={"badge": (io.BytesIO(baked), "badge.png")}, content_type="multipart/form-data")
        .json
    )
    assert answer["valid"] is True


def test_old_form_svg_badge_still_verifies(app, setup):
    """Badges downloaded before the spec form: JWS in the CDATA body, the verify URL in the verify attribute."""
    candidate, certification, certificate = earn(setup)
    code = dashed(certificate.code)
    token = candidate.client.get(f"/certificates/{code}/credential.jwt").get_data(as_text=True)
    artwork = certification.badge_svg
    root_end = re.search(r"<svg\b[^>]*?(/?)>", artwork)
    assert root_end.group(1) == ""  # the factory's badge has content
    old_form = (
        artwork[: root_end.end() - 1]
        + f' xmlns:openbadges="{OB_NS}">'
        + f'<openbadges:credential verify="http://localhost/verify/{code}"><![CDATA[{token}]]></openbadges:credential>'
        + artwork[root_end.end() :]
    ).encode()
    assert fromstring(old_form)[0].get("verify") == f"http://localhost/verify/{code}"

    anonymous = app.test_client()
    page = anonymous.post(
        "/verify",
        data={"csrf_token": anonymous.csrf_token("/verify"), "badge": (io.BytesIO(old_form), "badge.svg")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "Valid: every check passed." in page
    answer = anonymous.post(
        "/verify.json", data={"badge": (io.BytesIO(old_form), "badge.svg")}, content_type="multipart/form-data"
    ).json
    assert answer["valid"] is True and answer["code"] == certificate.code


def test_a_certification_without_a_badge_image_still_gets_a_baked_badge(app, setup):
    candidate, certification, certificate = earn(setup)
    with app.app_context():
        db.session.get(Certification, certification.id).badge_svg = ""
        db.session.commit()
    response = candidate.client.get(f"/certificates/{dashed(certificate.code)}/badge.svg")
    assert response.status_code == 200
    assert svg_credential(response.data) == certificate.credential_jwt
