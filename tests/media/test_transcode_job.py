"""A long sound uploaded in the studio is checked in the request and made small by the job worker
(`transcode_media`): until then the row waits, its URL answers 503 and pages say it is being
prepared; the job is idempotent, retried with backoff when the store fails, gives up on a file it
cannot decode, and a sweep queues again what a dead worker left. Publishing makes a waiting sound
at once; short sounds and images are still made in the request."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta

from flask import render_template, render_template_string
from sqlalchemy import select, update

from samaschool import jobs
from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.jobs import JobEvent
from samaschool.media import services, transform
from samaschool.media.models import MediaFile
from samaschool.media.storage import storage
from samaschool.permissions import Role
from tests import media_samples
from tests.studio.helpers import studio_course

# Seconds: longer than services.BACKGROUND_AUDIO_SECONDS. MP3s, whose 90 s weigh 360 KB: the test
# client leaves a larger upload's temporary file open (a ResourceWarning).
LONG = 90.0
TRANSCRIPT = "A steady tone, ninety seconds long."
PREPARING = "This sound is being prepared…"
FAILED = "This sound could not be prepared for playing."


def _version(html: str) -> str:
    return re.search(r'name="version" (?:type="hidden" )?value="(\d+)"', html).group(1)


def _add_sound(client, slug: str, data: bytes, name: str):
    """The lesson editor's "Add file", then Save with the snippet it inserted."""
    url = f"/studio/{slug}/lessons/first-lesson"
    form = {"title": "First lesson", "minutes": "5", "version": _version(client.get(url).get_data(as_text=True))}
    added = client.submit(
        url,
        {**form, "action": "upload", "body": "Listen:", "media_text": TRANSCRIPT, "media": (io.BytesIO(data), name)},
    )
    assert added.status_code == 200, added.get_data(as_text=True)
    snippet = f"```audio ../media/{name.lower()}\n{TRANSCRIPT}\n```"
    assert snippet in added.get_data(as_text=True)
    saved = client.submit(url, {**form, "action": "save", "body": f"Listen:\n\n{snippet}\n"})
    assert saved.status_code == 302, saved.get_data(as_text=True)


def _row(app, key: str) -> MediaFile:
    with app.app_context():
        row = db.session.scalar(select(MediaFile).where(MediaFile.key == key))
        db.session.expunge(row)
        return row


def _run(queue, task=None, when=None) -> None:
    """What a worker does with the next job (or `task`)."""
    queue.execute(task or queue.dequeue(), when)


def _studio(app, make, auth):
    owner = make.user(Role.TRAINER)
    course = studio_course(app, make, owner)
    auth.login(owner.email)
    return course


def _stored(app, row: MediaFile) -> dict[str, float]:
    """Each variant's file and its modification time."""
    with app.app_context():
        store = storage()
        return {name: (store.root / record["path"]).stat().st_mtime_ns for name, record in row.variants.items()}


def test_a_long_sound_waits_for_the_worker_then_plays(app, client, auth, make, queue):
    course = _studio(app, make, auth)
    data = media_samples.mp3(LONG)
    key = hashlib.sha256(data).hexdigest()
    encodes = transform.ENCODES
    _add_sound(client, course.slug, data, "Tone.mp3")

    # The request only checked it and kept the original: the row waits, and its job is queued.
    row = _row(app, key)
    assert (row.state, row.variants) == ("waiting", {}) and row.duration_ms >= 90_000
    assert transform.ENCODES - encodes == 0
    (task,) = queue.pending()
    assert (task.name, task.args) == ("transcode_media", (key,))
    with app.app_context():
        assert services.read_original(key) == data
    waiting = client.get(f"/media/{key}/opus.ogg")
    assert waiting.status_code == 503 and waiting.headers["Retry-After"] == "30"
    assert waiting.headers["Cache-Control"] == "no-store"
    preview = client.get(f"/studio/{course.slug}/preview/first-lesson").get_data(as_text=True)
    assert PREPARING in preview and "<audio" not in preview

    _run(queue)
    row = _row(app, key)
    assert row.state == "ready" and set(row.variants) == {"opus", "aac"}
    played = client.get(f"/media/{key}/opus.ogg")
    assert played.status_code == 200 and played.mimetype == "audio/ogg"
    preview = client.get(f"/studio/{course.slug}/preview/first-lesson").get_data(as_text=True)
    assert PREPARING not in preview and f'src="/media/{key}/opus.ogg"' in preview

    # A second run (a duplicate job, or one the sweep queued) changes nothing.
    files = _stored(app, row)
    encodes = transform.ENCODES
    with app.app_context():
        jobs.enqueue("transcode_media", key)
    _run(queue)
    with app.app_context():
        assert services.transcode_waiting(key) == 0
        assert db.session.scalars(select(JobEvent)).all() == []
    assert _row(app, key).variants == row.variants and _stored(app, row) == files
    assert transform.ENCODES - encodes == 0

    # A worker that died after storing the variants but before marking the row: the next run
    # encodes nothing (the encode cache) and writes nothing again (the store), and marks it ready.
    with app.app_context():
        db.session.execute(update(MediaFile).where(MediaFile.key == key).values(variants={}, queued_at=utcnow()))
        db.session.commit()
        jobs.enqueue("transcode_media", key)
    _run(queue)
    assert _row(app, key).state == "ready" and _row(app, key).variants == row.variants
    assert _stored(app, row) == files and transform.ENCODES - encodes == 0


def test_publishing_makes_a_waiting_sound_at_once(app, client, auth, make, queue):
    course = _studio(app, make, auth)
    data = media_samples.mp3(LONG + 1)
    key = hashlib.sha256(data).hexdigest()
    _add_sound(client, course.slug, data, "tone.mp3")
    assert _row(app, key).state == "waiting"

    published = client.submit(f"/studio/{course.slug}/publish", {}, page=f"/studio/{course.slug}/")
    assert published.status_code == 302, published.get_data(as_text=True)
    assert _row(app, key).state == "ready"
    auth.logout()
    auth.login(make.user().email)
    client.submit(f"/courses/{course.slug}/enrol", {}, page=f"/courses/{course.slug}")
    lesson = client.get(f"/courses/{course.slug}/lessons/first-lesson").get_data(as_text=True)
    assert f'src="/media/{key}/opus.ogg"' in lesson and PREPARING not in lesson
    _run(queue)  # the job queued by the upload finds nothing left to do
    assert _row(app, key).state == "ready"


def test_a_store_that_fails_is_retried_with_backoff_and_recorded(app, client, auth, make, queue):
    course = _studio(app, make, auth)
    data = media_samples.mp3(LONG + 2)
    key = hashlib.sha256(data).hexdigest()
    _add_sound(client, course.slug, data, "tone.mp3")
    with app.app_context():
        opus = storage().root / f"{key[:2]}/{key}/opus.ogg"
    opus.unlink(missing_ok=True)  # stored by an earlier test of this session
    opus.mkdir(parents=True)  # a folder where the file must go: the store cannot write it

    _run(queue)
    (retry,) = queue.scheduled()
    assert (retry.name, retry.args, retry.retries) == ("transcode_media", (key,), 2)
    assert _row(app, key).state == "waiting"
    with app.app_context():
        (event,) = db.session.scalars(select(JobEvent)).all()
        assert (event.job, event.attempt, event.outcome) == ("transcode_media", 1, "retrying")
        assert "IsADirectoryError" in event.error
    assert client.get(f"/media/{key}/opus.ogg").status_code == 503

    opus.rmdir()  # the store is back
    later = utcnow().replace(tzinfo=None) + timedelta(seconds=61)
    (again,) = queue.read_schedule(later)
    _run(queue, again, later)
    assert _row(app, key).state == "ready" and queue.scheduled_count() == 0
    assert client.get(f"/media/{key}/opus.ogg").status_code == 200


def test_a_sound_that_cannot_be_decoded_whole_is_given_up_on(app, client, auth, make, queue):
    course = _studio(app, make, auth)
    data = media_samples.damaged_mp3()
    key = hashlib.sha256(data).hexdigest()
    _add_sound(client, course.slug, data, "broken.mp3")  # its first frames pass the check
    assert _row(app, key).state == "waiting"

    _run(queue)
    row = _row(app, key)
    assert row.state == "failed" and row.queued_at is None and "cannot be played" in row.transcode_error
    assert queue.scheduled_count() == 0  # decoding again would fail again
    with app.app_context():
        (event,) = db.session.scalars(select(JobEvent)).all()
        assert (event.job, event.outcome) == ("transcode_media", "failed") and "broken.mp3" in event.error
    assert client.get(f"/media/{key}/opus.ogg").status_code == 404
    preview = client.get(f"/studio/{course.slug}/preview/first-lesson").get_data(as_text=True)
    assert FAILED in preview and "<audio" not in preview
    refused = client.submit(f"/studio/{course.slug}/publish", {}, page=f"/studio/{course.slug}/")
    assert refused.status_code == 422
    assert "<code>media/broken.mp3:1</code> the sound file is damaged" in refused.get_data(as_text=True)


def test_the_sweep_queues_again_a_sound_left_waiting(app, client, auth, make, queue):
    course = _studio(app, make, auth)
    data = media_samples.mp3(LONG)
    key = hashlib.sha256(data).hexdigest()
    _add_sound(client, course.slug, data, "tone.mp3")
    queue.storage.flush_all()  # the worker died with the job
    assert app.test_cli_runner().invoke(args=["jobs", "run"]).output.count("0 waiting sound files queued again") == 1
    assert queue.pending_count() == 0  # queued a moment ago: not yet

    with app.app_context():
        long_ago = utcnow() - services.REQUEUE_AFTER - timedelta(seconds=1)
        db.session.execute(update(MediaFile).where(MediaFile.key == key).values(queued_at=long_ago))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["jobs", "run"])
    assert "1 waiting sound files queued again" in result.output, result.output
    (task,) = [task for task in queue.pending() if task.name == "transcode_media"]
    assert task.args == (key,)
    assert _row(app, key).queued_at > long_ago  # not queued again by the next sweep
    assert "0 waiting sound files queued again" in app.test_cli_runner().invoke(args=["jobs", "run"]).output
    _run(queue, task)
    assert _row(app, key).state == "ready"


def test_short_sounds_and_images_are_still_made_in_the_request(app, client, auth, make, queue):
    course = _studio(app, make, auth)
    short = media_samples.mp3(services.BACKGROUND_AUDIO_SECONDS / 2)
    key = hashlib.sha256(short).hexdigest()
    _add_sound(client, course.slug, short, "short.mp3")
    row = _row(app, key)
    assert row.state == "ready" and set(row.variants) == {"opus", "aac"}
    assert queue.pending_count() == 0
    preview = client.get(f"/studio/{course.slug}/preview/first-lesson").get_data(as_text=True)
    assert f'src="/media/{key}/opus.ogg"' in preview

    with app.app_context():  # imports (courses from files, tasks) make even a long sound now
        image = services.ingest(media_samples.jpeg(), "photo.jpg", background=True)
        sound = services.ingest(media_samples.mp3(LONG + 3), "long.mp3")
        assert (image.state, sound.state) == ("ready", "ready") and sound.has_variant("opus")
        db.session.commit()
    assert queue.pending_count() == 0


def test_every_page_that_plays_a_sound_says_a_waiting_one_is_being_prepared(app):
    """The one macro every page plays sound with (lessons, questions, tasks, reviews)."""
    waiting = MediaFile(key="a" * 64, kind="audio", variants={}, queued_at=utcnow())
    failed = MediaFile(key="b" * 64, kind="audio", variants={}, transcode_error="damaged")
    with app.test_request_context("/"):
        macro = '{% from "media/macros.html" import media_audio %}{{ media_audio(media) }}'
        assert PREPARING in render_template_string(macro, media=waiting)
        assert FAILED in render_template_string(macro, media=failed)
        task = render_template("pools/tasks/audio_transcription.html", media={"audio": waiting}, chosen=None)
        assert PREPARING in task and "<audio" not in task and "missing" not in task


def test_a_task_import_naming_a_waiting_sound_by_key_makes_it_at_once(app, make, queue, tmp_path):
    """Task import is an admin action that already takes a while: no claimable task ever waits."""
    make.pool(task_type="audio_transcription", labels=[], slug="voices")
    with app.app_context():
        key = services.ingest(media_samples.mp3(LONG + 4), "long.mp3", background=True).key
        db.session.commit()
    assert _row(app, key).state == "waiting"
    path = tmp_path / "tasks.jsonl"
    path.write_text(f'{{"external_id": "s1", "audio": "{key}"}}\n')
    result = app.test_cli_runner().invoke(args=["pools", "import-tasks", "voices", str(path)])
    assert result.exit_code == 0, result.output
    row = _row(app, key)
    assert row.state == "ready" and set(row.variants) == {"opus", "aac"}
