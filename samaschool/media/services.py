"""Taking in media: check, transform (cached), store, record. Used by lessons, questions and tasks.

Nothing here reads the request: callers pass the bytes and the name the user gave the file.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from samaschool.db_types import utcnow
from samaschool.extensions import db
from samaschool.media.checks import Probe, inspect, not_accepted
from samaschool.media.errors import MediaError, shown_name
from samaschool.media.models import AUDIO_VARIANTS, IMAGE_VARIANTS, MediaFile
from samaschool.media.storage import storage, variant_path
from samaschool.media.transform import Transformed, transform

__all__ = [
    "MediaError",
    "by_keys",
    "get",
    "ingest",
    "ingest_path",
    "make_now",
    "queue_waiting_again",
    "read_original",
    "store",
    "store_original",
    "transcode_waiting",
]

log = logging.getLogger(__name__)

BACKGROUND_AUDIO_SECONDS = 60
"""Sound longer than this, uploaded through a page, is transcoded by the job worker rather than in
the request. Measured on this machine (2 cores, shared, load about 4): encoding costs about a second
of CPU per minute of sound (a 1-minute clip 1.0 s, a 10-minute one, our longest, 8 to 10 s), while
the costliest image we accept takes about as long as one minute of sound (a 14 MB, 12-megapixel PNG
1.4 s with its check; a 40-megapixel JPEG 0.7 s, decoded at reduced scale). So up to a minute of
sound no upload holds a gunicorn worker much longer than the largest image does, and images stay
in the request (every page that shows one may rely on its variants); longer sound, up to ten
times that, waits for the worker."""

REQUEUE_AFTER = timedelta(minutes=15)
"""The sweep queues a waiting file's job again when it was last queued this long ago: longer than
the job's own retries take (1 + 2 + 4 minutes, jobs.JOBS["transcode_media"]) and than a
ten-minute sound takes to encode, so only jobs a dead worker or a lost enqueue left are redone."""


def ingest(
    data: bytes, filename: str, *, kinds: Iterable[str] = ("image", "audio"), background: bool = False
) -> MediaFile:
    """The stored file for `data`: checked from its bytes, made small, stored, recorded. The same
    bytes give the same row (by content hash) and are never encoded twice. Flushes, never commits.
    Raises MediaError ("<filename>: <reason>") when the file is not one we accept.

    With `background` (uploads through a page), a sound longer than BACKGROUND_AUDIO_SECONDS is
    only checked and its original stored: the row is recorded waiting (`queued_at`, no variants)
    and the job `transcode_media` is queued once the transaction commits. Without it (course and
    task imports) every file is made now, including one an earlier upload left waiting."""
    kinds = tuple(kinds)
    key = hashlib.sha256(data).hexdigest()
    existing = get(key)
    if existing is not None and existing.kind in kinds and _complete(existing):
        store_original(key, data)  # files stored before originals were kept get theirs now
        return existing
    probe = inspect(data, filename, kinds)
    if background and probe.kind == "audio" and (probe.duration_ms or 0) > BACKGROUND_AUDIO_SECONDS * 1000:
        return _queue(data, filename, probe, existing)
    made = transform(data, probe, filename)
    variants = store(probe.sha256, made)
    store_original(probe.sha256, data)
    if existing is not None:  # its stored files had gone missing, or it was waiting: they are made now
        existing.variants = variants
        existing.queued_at = None
        existing.transcode_error = None
        db.session.flush()
        return existing
    media = MediaFile(
        key=probe.sha256,
        kind=probe.kind,
        original_name=shown_name(filename),
        source_type=probe.mime[:40],
        width=probe.width,
        height=probe.height,
        duration_ms=probe.duration_ms,
        variants=variants,
    )
    try:
        with db.session.begin_nested():  # someone else may be storing the same bytes right now
            db.session.add(media)
    except IntegrityError:
        media = get(key)
        if media is None:
            raise
    return media


def _queue(data: bytes, filename: str, probe: Probe, existing: MediaFile | None) -> MediaFile:
    """Keep the original and record the file as waiting for the job worker (see `ingest`)."""
    store_original(probe.sha256, data)
    if existing is not None:
        if existing.queued_at is None:  # failed before, or its variants went missing: try again
            existing.queued_at = utcnow()
            existing.transcode_error = None
            db.session.flush()
            _enqueue_after_commit(existing.key)
        return existing  # else already waiting: its job is queued (or the sweep queues it again)
    media = MediaFile(
        key=probe.sha256,
        kind=probe.kind,
        original_name=shown_name(filename),
        source_type=probe.mime[:40],
        duration_ms=probe.duration_ms,
        variants={},
        queued_at=utcnow(),
    )
    try:
        with db.session.begin_nested():  # someone else may be storing the same bytes right now
            db.session.add(media)
    except IntegrityError:
        media = get(probe.sha256)
        if media is None:
            raise
        return media
    _enqueue_after_commit(media.key)
    return media


def make_now(media: MediaFile) -> MediaFile:
    """A file an upload left waiting for the job worker (or that the worker gave up on), made now
    in this transaction from its kept original: for imports, admin actions that already take a
    while, so that what they publish always plays. MediaError when it cannot be made."""
    if media.ready:
        return media
    data = read_original(media.key)
    if data is None:
        from flask_babel import gettext as _

        raise MediaError(media.original_name, _("the file cannot be read"))
    return ingest(data, media.original_name, kinds=(media.kind,))


def _enqueue_after_commit(key: str) -> None:
    from samaschool.jobs import after_commit, enqueue

    after_commit(lambda: enqueue("transcode_media", key))


def transcode_waiting(key: str) -> int:
    """The job `transcode_media`: make the variants of a file left waiting by `ingest`, store them
    and mark the row ready; 1 when it did, 0 when there was nothing to do. Idempotent: a file that
    is ready (or failed, or gone) is left alone, the encode cache and the store skip work already
    done, and the row changes only while it is still waiting. A file the worker cannot decode past
    the check is marked failed (trying again would fail the same way) and recorded in job_events;
    any other error (the store, the machine) raises, and the queue retries with backoff."""
    media = get(key)
    if media is None or media.queued_at is None:
        return 0
    data = read_original(key)
    if data is None:
        return _give_up(media, "the uploaded file is missing from media storage")
    try:
        probe = inspect(data, media.original_name, (media.kind,))
        made = transform(data, probe, media.original_name)
    except MediaError as error:
        return _give_up(media, error.reason)
    variants = store(key, made)
    done = db.session.execute(
        update(MediaFile)
        .where(MediaFile.key == key, MediaFile.queued_at.is_not(None))
        .values(variants=variants, queued_at=None, transcode_error=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(media)
    return done


def _give_up(media: MediaFile, reason: str) -> int:
    from samaschool.jobs import JobEvent

    log.warning("cannot transcode media %s (%s): %s", media.key, media.original_name, reason)
    done = db.session.execute(
        update(MediaFile)
        .where(MediaFile.key == media.key, MediaFile.queued_at.is_not(None))
        .values(queued_at=None, transcode_error=reason[:1000])
        .execution_options(synchronize_session=False)
    ).rowcount
    if done:
        error = f"{media.original_name} ({media.key[:12]}): {reason}"
        db.session.add(JobEvent(job="transcode_media", attempt=1, outcome="failed", error=error[:1000]))
    db.session.expire(media)
    return 0


def queue_waiting_again() -> int:
    """The periodic sweep: queue again the job of every file still waiting REQUEUE_AFTER after its
    job was last queued (a worker died with it, or the queue was unreachable when it was queued).
    The jobs are queued when this transaction commits; returns how many."""
    now = utcnow()
    stale = MediaFile.queued_at < now - REQUEUE_AFTER
    keys = list(db.session.scalars(select(MediaFile.key).where(stale).order_by(MediaFile.queued_at)))
    if not keys:
        return 0
    db.session.execute(
        update(MediaFile)
        .where(MediaFile.key.in_(keys), stale)
        .values(queued_at=now)
        .execution_options(synchronize_session=False)
    )
    for key in keys:
        _enqueue_after_commit(key)
    return len(keys)


def ingest_path(path: Path, shown_name: str | None = None, **kwargs) -> MediaFile:
    """`ingest` for a file on disk (course folders, zips already unpacked); messages name it
    `shown_name` (e.g. "media/cat.png" relative to its course), else its file name."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        from flask_babel import gettext as _

        raise MediaError(shown_name or path.name, _("the file cannot be read")) from error
    return ingest(data, shown_name or path.name, **kwargs)


def check(data: bytes, filename: str, *, kinds: Iterable[str] = ("image", "audio")) -> Probe:
    """Only the checks (for validators that must not write anything)."""
    return inspect(data, filename, tuple(kinds))


def store(key: str, made: Transformed) -> dict[str, dict]:
    """Put each variant in the store (skipping those already there) and describe them for the row."""
    store_ = storage()
    variants = {}
    for name, variant in made.variants.items():
        path = variant_path(key, name, variant.ext)
        if not (store_.exists(path) and store_.size(path) == len(variant.data)):
            store_.put(path, variant.data)
        variants[name] = {
            "path": path,
            "type": variant.type,
            "bytes": len(variant.data),
            "width": variant.width,
            "height": variant.height,
        }
    return variants


def _original_path(key: str) -> str:
    return variant_path(key, "original", "bin")


def store_original(key: str, data: bytes) -> None:
    """Keep the uploaded bytes too: course exports give them back unchanged (so an exported
    course imports to the same content hashes). Never served: only the small copies are, and only
    they are stripped of metadata such as GPS positions."""
    store_ = storage()
    path = _original_path(key)
    if not store_.exists(path):
        store_.put(path, data)


def read_original(key: str) -> bytes | None:
    """The bytes that were uploaded for `key`, or None for files stored before originals were kept."""
    store_ = storage()
    path = _original_path(key)
    return store_.read(path) if store_.exists(path) else None


def _complete(media: MediaFile) -> bool:
    if not media.ready:
        return False
    names = IMAGE_VARIANTS if media.kind == "image" else AUDIO_VARIANTS
    store_ = storage()
    return all(name in media.variants and store_.exists(media.variants[name]["path"]) for name in names)


def get(key: str) -> MediaFile | None:
    if not isinstance(key, str) or len(key) != 64:
        return None
    return db.session.scalar(select(MediaFile).where(MediaFile.key == key))


def by_keys(keys: Iterable[str]) -> dict[str, MediaFile]:
    """Every stored file among `keys`, by key, in one query (unknown keys are left out)."""
    wanted = {key for key in keys if isinstance(key, str) and len(key) == 64}
    if not wanted:
        return {}
    return {media.key: media for media in db.session.scalars(select(MediaFile).where(MediaFile.key.in_(wanted)))}


def refuse_kind(media: MediaFile, filename: str, kinds: Iterable[str]) -> None:
    """For callers holding a row: MediaError unless it is one of `kinds`."""
    if media.kind not in tuple(kinds):
        raise not_accepted(filename, b"", tuple(kinds))
