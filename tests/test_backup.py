"""`flask backup create` / `flask backup restore`: backup → wipe → restore gives the same site back
(every table's rows, key tables to the byte, media, signing keys, a credential that still verifies),
on whichever database the suite runs (SQLite, or PostgreSQL with TEST_DATABASE_URL). Restore
refuses a database that holds data without --force, and a damaged backup, changing nothing."""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from pathlib import Path

import boto3
import pytest
from sqlalchemy import inspect, text

from samaschool.auth.models import User
from samaschool.certification.credentials import issue_credential
from samaschool.certification.models import Certificate
from samaschool.extensions import db
from samaschool.media import services
from samaschool.media.storage import storage
from tests import media_samples as samples

KEY_TABLES = ("users", "certificates", "enrolments", "media_files")


@pytest.fixture
def media_of_its_own(app, tmp_path_factory):
    """A media folder for this test alone: the suite's is shared by every test of a worker."""
    shared = app.config["SAMASCHOOL_MEDIA_PATH"]
    app.config["SAMASCHOOL_MEDIA_PATH"] = str(tmp_path_factory.mktemp("media"))
    yield
    app.config["SAMASCHOOL_MEDIA_PATH"] = shared


@pytest.fixture
def site(app, make, media_of_its_own):
    """A small site: accounts, a course with an enrolment, an issued credential, an image and a sound."""
    learner = make.user(name="Amina Otieno")
    make.user(name="Second Learner")
    course = make.course()
    make.enrolment(learner, course)
    certification = make.certification(course)
    certificate = make.certificate(learner, certification)
    with app.app_context():
        row = db.session.get(Certificate, certificate.id)
        issue_credential(row)
        services.ingest(samples.jpeg(640, 480, seed=51), "photo.jpg")
        services.ingest(samples.speech_wav(2), "hello.wav")
        db.session.commit()
        return {"credential": row.credential_jwt}


def _cli(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def _counts(app) -> dict[str, int]:
    with app.app_context(), db.engine.connect() as connection:
        names = inspect(connection).get_table_names()
        quote = connection.dialect.identifier_preparer.quote
        return {name: connection.execute(text(f"SELECT count(*) FROM {quote(name)}")).scalar_one() for name in names}  # noqa: S608


def _digest(app, table: str) -> str:
    with app.app_context(), db.engine.connect() as connection:
        rows = connection.execute(text(f"SELECT * FROM {table} ORDER BY id")).all()  # noqa: S608 (our names)
    return hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()


def _media(app) -> dict[str, bytes]:
    with app.app_context():
        store = storage()
        return {path: store.read(path) for path in store.paths()}


def _keys(app) -> dict[str, bytes]:
    folder = Path(app.config["SAMASCHOOL_KEYS_PATH"])
    if not folder.exists():
        return {}
    return {path.name: path.read_bytes() for path in folder.iterdir() if not path.name.startswith(".")}


def _state(app) -> dict:
    return {
        "counts": _counts(app),
        "digests": {table: _digest(app, table) for table in KEY_TABLES},
        "media": _media(app),
        "keys": _keys(app),
    }


def _verifies(client, credential: str) -> bool:
    answer = client.post("/verify.json", json={"credential": credential})
    assert answer.status_code == 200
    return answer.get_json()["valid"]


def _wipe(app) -> None:
    """Empty every table, delete every media file and the signing keys."""
    tables = db.metadata.sorted_tables
    with app.app_context(), db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(table.name for table in tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                connection.execute(table.delete())
    shutil.rmtree(app.config["SAMASCHOOL_MEDIA_PATH"], ignore_errors=True)
    shutil.rmtree(app.config["SAMASCHOOL_KEYS_PATH"])


def test_backup_wipe_restore_gives_back_the_same_site(app, client, site, tmp_path):
    assert _verifies(client, site["credential"])
    before = _state(app)
    assert before["counts"]["users"] == 2 and before["counts"]["media_files"] == 2
    assert len(before["media"]) == 4 + 2 + 2  # image variants, sound variants, the two originals
    assert any(name.endswith(".pem") for name in before["keys"]) and "current" in before["keys"]

    result = _cli(app, "backup", "create", str(tmp_path / "backup"))
    assert result.exit_code == 0, result.output
    assert f"Backed up to {tmp_path / 'backup'}" in result.output
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["row_counts"] == before["counts"]
    with app.app_context():
        assert manifest["database"]["dialect"] == db.engine.url.get_backend_name()
    assert {name for name in manifest["files"] if name.startswith("media/")} == {f"media/{p}" for p in before["media"]}
    assert (tmp_path / "backup" / "secret_key").read_text() == app.config["SECRET_KEY"]
    for path in [tmp_path / "backup", *(tmp_path / "backup").rglob("*")]:  # it holds secrets: its owner's only
        assert path.stat().st_mode & 0o077 == 0, path

    _wipe(app)
    assert _counts(app)["users"] == 0 and not _media(app)
    assert not _verifies(client, site["credential"])  # without the keys nothing verifies

    result = _cli(app, "backup", "restore", str(tmp_path / "backup"))
    assert result.exit_code == 0, result.output
    assert f"Restored from {tmp_path / 'backup'}" in result.output
    assert "8 media files" in result.output
    assert _state(app) == before
    assert _verifies(client, site["credential"])
    secret_file = Path(app.config["SAMASCHOOL_SECRET_KEY_FILE"])
    assert secret_file.read_text() == app.config["SECRET_KEY"] and str(secret_file) in result.output


def test_restore_refuses_a_database_that_holds_data_unless_forced(app, make, site, tmp_path):
    assert _cli(app, "backup", "create", str(tmp_path / "backup")).exit_code == 0
    backed_up = _state(app)
    newcomer = make.user(name="Arrived After The Backup")
    with app.app_context():
        services.ingest(samples.png(32, 32, color=(1, 2, 3)), "later.png")
        db.session.commit()
    now = _state(app)

    result = _cli(app, "backup", "restore", str(tmp_path / "backup"))
    assert result.exit_code == 1
    assert "The database holds data: restoring would replace all of it. Nothing was restored." in result.output
    assert "--force" in result.output
    assert _state(app) == now  # nothing changed

    result = _cli(app, "backup", "restore", str(tmp_path / "backup"), "--force")
    assert result.exit_code == 0, result.output
    after = _state(app)
    assert after["counts"] == backed_up["counts"] and after["digests"] == backed_up["digests"]  # the backup, no merge
    assert after["keys"] == backed_up["keys"]
    assert set(backed_up["media"]) < set(after["media"])  # a stored file no row names any more is left alone
    with app.app_context():
        assert db.session.get(User, newcomer.id) is None


def test_a_damaged_or_missing_backup_is_refused_and_changes_nothing(app, site, tmp_path):
    backup = tmp_path / "backup"
    assert _cli(app, "backup", "create", str(backup)).exit_code == 0
    _wipe(app)
    wiped = _state(app)
    media_file = next(path for path in (backup / "media").rglob("*") if path.is_file())
    data = bytearray(media_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    media_file.write_bytes(bytes(data))

    result = _cli(app, "backup", "restore", str(backup))
    assert result.exit_code == 1
    name = media_file.relative_to(backup).as_posix()
    assert f"The backup at {backup} is damaged: {name} (its checksum differs). Nothing was restored." in result.output
    assert _state(app) == wiped

    (backup / "keys" / "current").unlink()
    result = _cli(app, "backup", "restore", str(backup), "--force")
    assert result.exit_code == 1 and "keys/current (missing)" in result.output
    assert _state(app) == wiped

    result = _cli(app, "backup", "restore", str(tmp_path / "nowhere"))
    assert result.exit_code == 1 and f"There is no backup at {tmp_path / 'nowhere'}" in result.output
    (backup / "manifest.json").write_text("{not json")
    result = _cli(app, "backup", "restore", str(backup))
    assert result.exit_code == 1 and "the backup is damaged" in result.output
    assert _state(app) == wiped


def test_create_never_overwrites_and_leaves_nothing_half_made(app, site, tmp_path, monkeypatch):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "something").write_text("keep me")
    result = _cli(app, "backup", "create", str(tmp_path / "taken"))
    assert result.exit_code == 1 and "already exists" in result.output
    assert (tmp_path / "taken" / "something").read_text() == "keep me"

    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))  # no pg_dump on PATH
    result = _cli(app, "backup", "create", str(tmp_path / "without-tools"))
    with app.app_context():
        dialect = db.engine.url.get_backend_name()
    if dialect == "postgresql":
        assert result.exit_code == 1 and "pg_dump was not found: install PostgreSQL's client tools" in result.output
        assert sorted(path.name for path in tmp_path.iterdir()) == ["taken"]  # no partial folder left
    else:  # SQLite needs no outside tool
        assert result.exit_code == 0, result.output


def test_database_backup_is_now_a_full_backup(app, site):
    result = _cli(app, "database", "backup")
    assert result.exit_code == 0, result.output
    made = [
        path for path in Path(app.config["SAMASCHOOL_BACKUPS_PATH"]).iterdir() if path.name.startswith("samaschool-")
    ]
    assert any(str(path) in result.output and (path / "manifest.json").is_file() for path in made)


def test_media_in_an_object_store_is_backed_up_and_restored(app, site, s3_endpoint, monkeypatch, tmp_path):
    """S3 media (moto's server: an S3 emulator on this machine) go into the backup and back into the bucket."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "samaschool-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "samaschool-test-secret")
    bucket = f"samaschool-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    on_disk = _media(app)
    settings = (
        "SAMASCHOOL_MEDIA_STORAGE",
        "SAMASCHOOL_S3_BUCKET",
        "SAMASCHOOL_S3_ENDPOINT_URL",
        "SAMASCHOOL_S3_REGION",
    )
    saved = {name: app.config[name] for name in settings}
    app.config.update(
        SAMASCHOOL_MEDIA_STORAGE="s3",
        SAMASCHOOL_S3_BUCKET=bucket,
        SAMASCHOOL_S3_ENDPOINT_URL=s3_endpoint,
        SAMASCHOOL_S3_REGION="us-east-1",
    )
    try:
        with app.app_context():
            store = storage()
            for path, data in on_disk.items():
                store.put(path, data)
        assert _cli(app, "backup", "create", str(tmp_path / "backup")).exit_code == 0
        for path in on_disk:
            s3.delete_object(Bucket=bucket, Key=app.config["SAMASCHOOL_S3_PREFIX"] + path)
        assert _media(app) == {}
        result = _cli(app, "backup", "restore", str(tmp_path / "backup"), "--force")
        assert result.exit_code == 0, result.output
        assert _media(app) == on_disk
    finally:
        app.config.update(saved)
        app.extensions.pop("samaschool_s3_clients", None)
