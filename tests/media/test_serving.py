"""Serving media: content-hash URLs cached for a year, the right type, inline, nosniff, Range
requests, no cookie, 404 for anything unknown; and the page's CSP lets audio play."""

from __future__ import annotations

import pytest
from flask import Flask

from samaschool import config, create_app
from samaschool.extensions import db
from samaschool.media import MAX_UPLOAD_BYTES, services, upload_limit
from tests import media_samples as samples


@pytest.fixture
def stored(app):
    with app.app_context():
        image = services.ingest(samples.jpeg(800, 600, seed=31), "photo.jpg")
        sound = services.ingest(samples.speech_wav(3), "speech.wav")
        db.session.commit()
        return {
            "image": image.url("webp360"),
            "jpeg": image.url("jpeg720"),
            "sound": sound.url("opus"),
            "aac": sound.url("aac"),
            "key": image.key,
            "opus_bytes": sound.size_bytes("opus"),
        }


def test_a_variant_is_served_with_long_cache_and_safe_headers(client, stored):
    response = client.get(stored["image"])
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/webp"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"] == "inline"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.data[:4] == b"RIFF" and response.data[8:12] == b"WEBP"
    assert client.get(stored["jpeg"]).headers["Content-Type"] == "image/jpeg"
    assert client.get(stored["sound"]).headers["Content-Type"] == "audio/ogg"
    assert client.get(stored["aac"]).headers["Content-Type"] == "audio/mp4"


def test_the_url_names_the_content(stored):
    assert stored["image"] == f"/media/{stored['key']}/webp360.webp"
    assert stored["sound"].endswith("/opus.ogg") and stored["aac"].endswith("/aac.m4a")


def test_a_range_request_gets_206_and_exactly_those_bytes(client, stored):
    whole = client.get(stored["sound"]).data
    assert len(whole) == stored["opus_bytes"]
    part = client.get(stored["sound"], headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 100-1099/{len(whole)}"
    assert part.data == whole[100:1100]
    tail = client.get(stored["sound"], headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.data == whole[-50:]
    beyond = client.get(stored["sound"], headers={"Range": f"bytes={len(whole) + 10}-"})
    assert beyond.status_code == 416


def test_a_cached_copy_is_revalidated_with_its_etag(client, stored):
    first = client.get(stored["image"])
    again = client.get(stored["image"], headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.data


def test_media_responses_never_carry_a_cookie(client, make, auth, stored):
    user = make.user()
    auth.login(user.email)
    for url in (stored["image"], stored["sound"]):
        response = client.get(url)
        assert response.status_code == 200 and "Set-Cookie" not in response.headers
        assert "Cookie" not in response.headers.get("Vary", "")
    assert client.get("/dashboard").status_code == 200  # still logged in


@pytest.mark.parametrize(
    "path",
    [
        "/media/{zero}/webp360.webp",  # unknown key
        "/media/{key}/webp1080.webp",  # unknown variant
        "/media/{key}/webp360.jpg",  # the wrong extension
        "/media/{key}/jpeg360.webp",
        "/media/{upper}/webp360.webp",  # keys are lower-case hex
        "/media/{short}/webp360.webp",
        "/media/../instance/secret_key",
        "/media/%2e%2e/%2e%2e/samaschool.db",
        "/media/{key}/..%2f..%2fsecret_key.webp",
        "/media/{key}/%2e%2e.webp",
        "/media/{key}/path.webp",
        "/media/{key}/variant.webp",
    ],
)
def test_unknown_files_and_path_tricks_are_not_found(client, stored, path):
    url = path.format(zero="0" * 64, key=stored["key"], upper=stored["key"].upper(), short=stored["key"][:40])
    assert client.get(url).status_code == 404


def test_pages_allow_media_from_this_site_only(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "media-src 'self'" in policy.split("; ")
    assert "img-src 'self' data:" in policy.split("; ")


@pytest.fixture
def upload_app(database_url, tmp_path) -> Flask:
    """An app with two extra routes: one with the media upload limit, one without."""
    app = create_app(config.for_tests(str(tmp_path / "instance"), database_url))
    app.config["WTF_CSRF_ENABLED"] = False

    @app.post("/test-upload")
    @upload_limit(MAX_UPLOAD_BYTES)
    def test_upload():
        from flask import request

        return {"bytes": len(request.files["file"].read())}

    @app.post("/test-plain")
    def test_plain():
        from flask import request

        return {"bytes": len(request.files["file"].read())}

    return app


def _multipart(name: str, filename: str, data: bytes) -> tuple[bytes, str]:
    """A multipart body built here (the test client spools large ones to a file it never closes)."""
    head = f'--x\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n\r\n'.encode()
    return head + data + b"\r\n--x--\r\n", "multipart/form-data; boundary=x"


def test_an_upload_route_takes_more_than_the_app_limit_and_others_do_not(upload_app):
    client = upload_app.test_client()
    body, content_type = _multipart("file", "a.zip", b"\x00" * (3 * 1024 * 1024))
    ok = client.post("/test-upload", data=body, content_type=content_type)
    assert ok.status_code == 200 and ok.json == {"bytes": 3 * 1024 * 1024}
    refused = client.post("/test-plain", data=body, content_type=content_type)
    assert refused.status_code == 413 and "2 MB" in refused.get_data(as_text=True)


def test_an_upload_over_the_route_limit_gets_the_route_limit_named(upload_app):
    client = upload_app.test_client()
    too_big = b"x" * (MAX_UPLOAD_BYTES + 1)
    response = client.post("/test-upload", data=too_big, content_type="multipart/form-data; boundary=x")
    assert response.status_code == 413
    assert "What you sent is larger than 200 MB." in response.get_data(as_text=True)
