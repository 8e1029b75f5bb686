"""Taking in media: check, transform (cached), store, record. Used by lessons, questions and tasks.

Nothing here reads the request: callers pass the bytes and the name the user gave the file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from samaschool.extensions import db
from samaschool.media.checks import Probe, inspect, not_accepted
from samaschool.media.errors import MediaError, shown_name
from samaschool.media.models import AUDIO_VARIANTS, IMAGE_VARIANTS, MediaFile
from samaschool.media.storage import storage, variant_path
from samaschool.media.transform import Transformed, transform

__all__ = ["MediaError", "by_keys", "get", "ingest", "ingest_path", "read_original", "store", "store_original"]


def ingest(data: bytes, filename: str, *, kinds: Iterable[str] = ("image", "audio")) -> MediaFile:
    """The stored file for `data`: checked from its bytes, made small, stored, recorded. The same
    bytes give the same row (by content hash) and are never encoded twice. Flushes, never commits.
    Raises MediaError ("<filename>: <reason>") when the file is not one we accept."""
    kinds = tuple(kinds)
    key = hashlib.sha256(data).hexdigest()
    existing = get(key)
    if existing is not None and existing.kind in kinds and _complete(existing):
        store_original(key, data)  # files stored before originals were kept get theirs now
        return existing
    probe = inspect(data, filename, kinds)
    made = transform(data, probe, filename)
    variants = store(probe.sha256, made)
    store_original(probe.sha256, data)
    if existing is not None:  # its stored files had gone missing: they are back now
        existing.variants = variants
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
