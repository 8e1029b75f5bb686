"""Media in an S3-compatible object store (SAMASCHOOL_MEDIA_STORAGE=s3), and the filesystem default.

The object store here is moto's standalone server (the `s3_endpoint` fixture, tests/servers.py): an
emulator of the S3 API that runs on this machine, not AWS. It speaks the same HTTP protocol boto3
uses, answers presigned URLs, and honours Range, so the whole path from upload to a browser's
fetch of the signed address runs for real; behaviour only AWS has (IAM policies, real latency)
is not covered.
"""

from __future__ import annotations

import urllib.request
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from samaschool import config
from samaschool.extensions import db
from samaschool.media import services
from samaschool.media.storage import FilesystemStorage, S3Storage, storage
from tests import media_samples as samples

S3_SETTINGS = ("SAMASCHOOL_MEDIA_STORAGE", "SAMASCHOOL_S3_BUCKET", "SAMASCHOOL_S3_PREFIX")
S3_SETTINGS += ("SAMASCHOOL_S3_ENDPOINT_URL", "SAMASCHOOL_S3_REGION", "SAMASCHOOL_S3_URL_SECONDS")


@pytest.fixture
def s3_app(app, s3_endpoint, monkeypatch):
    """The suite's app, keeping its media in a fresh bucket of the emulated object store."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "samaschool-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "samaschool-test-secret")
    bucket = f"samaschool-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(Bucket=bucket)
    saved = {name: app.config[name] for name in S3_SETTINGS}
    app.config.update(
        SAMASCHOOL_MEDIA_STORAGE="s3",
        SAMASCHOOL_S3_BUCKET=bucket,
        SAMASCHOOL_S3_PREFIX="media/",
        SAMASCHOOL_S3_ENDPOINT_URL=s3_endpoint,
        SAMASCHOOL_S3_REGION="us-east-1",
        SAMASCHOOL_S3_URL_SECONDS=120,
    )
    try:
        yield app
    finally:
        app.config.update(saved)
        app.extensions.pop("samaschool_s3_clients", None)


def _objects(app) -> set[str]:
    client = boto3.client("s3", endpoint_url=app.config["SAMASCHOOL_S3_ENDPOINT_URL"], region_name="us-east-1")
    listing = client.list_objects_v2(Bucket=app.config["SAMASCHOOL_S3_BUCKET"])
    return {item["Key"] for item in listing.get("Contents", [])}


def _ingest(app, data: bytes, name: str):
    with app.app_context():
        media = services.ingest(data, name)
        db.session.commit()
        db.session.refresh(media)
        db.session.expunge(media)
        return media


def _url(app, media, name: str) -> str:
    with app.app_context():
        return media.url(name)


def _fetch(url: str, headers: dict | None = None):
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (the emulator's http URL)
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        return answer.status, answer.headers, answer.read()  # headers: case-insensitive


def test_an_image_is_stored_in_the_bucket_and_served_by_a_signed_redirect(s3_app, client):
    media = _ingest(s3_app, samples.jpeg(800, 600, seed=41), "market.jpg")
    path = media.variant("webp360")["path"]
    objects = _objects(s3_app)
    assert f"media/{path}" in objects
    assert f"media/{media.key[:2]}/{media.key}/original.bin" in objects  # the never-served original too
    assert not (Path(s3_app.config["SAMASCHOOL_MEDIA_PATH"]) / media.key[:2] / media.key).exists()  # not on disk

    response = client.get(_url(s3_app, media, "webp360"))
    assert response.status_code == 302
    assert response.headers["Cache-Control"] == "public, max-age=60"  # never longer than the URL lives (120 s)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in response.headers
    target = response.headers["Location"]
    assert target.startswith(s3_app.config["SAMASCHOOL_S3_ENDPOINT_URL"])
    assert parse_qs(urlsplit(target).query)["X-Amz-Expires"] == ["120"]

    status, headers, body = _fetch(target)
    with s3_app.app_context():
        stored = storage().read(path)
    assert status == 200 and body == stored and body[8:12] == b"WEBP"
    assert headers["Content-Type"] == "image/webp"
    assert headers["Content-Disposition"] == "inline"
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    with s3_app.app_context():
        assert services.read_original(media.key) == samples.jpeg(800, 600, seed=41)


def test_range_requests_work_on_the_redirect_target_for_sound(s3_app, client):
    media = _ingest(s3_app, samples.speech_wav(3), "speech.wav")
    response = client.get(_url(s3_app, media, "opus"))
    assert response.status_code == 302
    status, headers, whole = _fetch(response.headers["Location"])
    assert status == 200 and headers["Content-Type"] == "audio/ogg" and len(whole) == media.size_bytes("opus")
    status, headers, part = _fetch(response.headers["Location"], {"Range": "bytes=100-1099"})
    assert status == 206
    assert headers["Content-Range"] == f"bytes 100-1099/{len(whole)}"
    assert part == whole[100:1100]
    aac = client.get(_url(s3_app, media, "aac"))
    assert _fetch(aac.headers["Location"])[1]["Content-Type"] == "audio/mp4"


def test_delete_removes_the_object_and_listing_names_every_stored_path(s3_app, client):
    media = _ingest(s3_app, samples.png(64, 48), "icon.png")
    path = media.variant("webp720")["path"]
    with s3_app.app_context():
        store = storage()
        assert isinstance(store, S3Storage)
        listed = set(store.paths())
        assert listed == {key.removeprefix("media/") for key in _objects(s3_app)}
        assert path in listed and store.size(path) == media.size_bytes("webp720")
        store.delete(path)
        assert not store.exists(path)
        store.delete(path)  # deleting what is gone is fine
    assert f"media/{path}" not in _objects(s3_app)
    assert client.get(_url(s3_app, media, "webp720")).status_code == 404
    assert client.get(_url(s3_app, media, "webp360")).status_code == 302


def test_the_client_is_made_once_per_app_not_per_request(s3_app):
    with s3_app.app_context():
        first = storage()
    with s3_app.app_context():
        second = storage()
    assert first is not second and first.client is second.client


def test_the_filesystem_is_the_default_and_also_deletes_and_lists(app, monkeypatch, tmp_path):
    monkeypatch.delenv("SAMASCHOOL_MEDIA_STORAGE", raising=False)
    assert config.from_env(str(tmp_path))["SAMASCHOOL_MEDIA_STORAGE"] == "filesystem"
    media = _ingest(app, samples.png(64, 48, color=(10, 200, 30)), "dot.png")
    path = media.variant("jpeg360")["path"]
    with app.app_context():
        store = storage()
        assert type(store) is FilesystemStorage
        assert path in set(store.paths()) and f"{media.key[:2]}/{media.key}/original.bin" in set(store.paths())
        store.delete(path)
        assert not store.exists(path) and path not in set(store.paths())
        for name in ("webp720", "webp360", "jpeg720"):
            store.delete(media.variant(name)["path"])
        store.delete(f"{media.key[:2]}/{media.key}/original.bin")
        assert not (Path(app.config["SAMASCHOOL_MEDIA_PATH"]) / media.key[:2] / media.key).exists()


def test_an_unknown_storage_or_a_missing_bucket_is_a_clear_error(app):
    saved = {name: app.config[name] for name in S3_SETTINGS}
    try:
        with app.app_context():
            app.config.update(SAMASCHOOL_MEDIA_STORAGE="s3", SAMASCHOOL_S3_BUCKET="")
            with pytest.raises(RuntimeError, match="SAMASCHOOL_S3_BUCKET"):
                storage()
            app.config.update(SAMASCHOOL_MEDIA_STORAGE="ftp")
            with pytest.raises(RuntimeError, match="filesystem or s3"):
                storage()
    finally:
        app.config.update(saved)
