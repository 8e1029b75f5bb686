"""The studio's working copy of a course: its folder's files, kept in the database.

Every studio edit changes these rows; learners see nothing of them until `publishing.publish`
checks them with the same validator as `courses validate` and imports them. The working copy
comes from files (`courses import`, a zip) or from the studio, and goes back to files
(`export_files`): the course folder format stays the one way courses are exchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from flask_babel import gettext as _
from sqlalchemy import select, update

from samaschool.catalog.models import Course
from samaschool.content.media_refs import MEDIA_FOLDER
from samaschool.content.yamlfile import Problem
from samaschool.db_types import utcnow
from samaschool.errors import DomainError
from samaschool.extensions import db
from samaschool.media import services as media_services
from samaschool.studio.models import CourseFile

# Most files one course may hold, and the longest text file: generous for a course, small
# enough that a runaway zip or script cannot fill the database.
MAX_FILES = 2000
MAX_TEXT_BYTES = 512 * 1024


class Conflict(DomainError):
    """Someone saved the file after this form was loaded: nothing was overwritten."""

    def __init__(self, path: str, current: CourseFile | None):
        self.path, self.current = path, current
        who = current.updated_by.name if current is not None and current.updated_by is not None else None
        if current is None:
            message = _("%(path)s was removed by someone else after you opened it. Nothing was saved.", path=path)
        elif who:
            message = _(
                "%(name)s saved %(path)s after you opened it. Nothing was overwritten: your text is below; "
                "compare it with theirs and save again.",
                name=who,
                path=path,
            )
        else:
            message = _(
                "%(path)s was changed after you opened it. Nothing was overwritten: your text is below; "
                "compare it with the saved one and save again.",
                path=path,
            )
        super().__init__(message)


class StudioProblems(DomainError):
    """The folder validator found problems: `problems` name file and line."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(_("Nothing was saved: fix the problems listed below."))


@dataclass(frozen=True)
class MediaRef:
    key: str


def is_media_path(path: str) -> bool:
    return path.startswith(MEDIA_FOLDER + "/")


def safe_path(path: str) -> str | None:
    """`path` as a clean relative POSIX path inside a course folder, or None when it is not one."""
    if not isinstance(path, str) or not path or "\\" in path or "\x00" in path or len(path) > 300:
        return None
    pure = PurePosixPath(path)
    if pure.is_absolute() or any(part in ("", ".", "..") or part.startswith(".") for part in pure.parts):
        return None
    return pure.as_posix()


def rows(course: Course) -> dict[str, CourseFile]:
    """Every file of the course's working copy, by path (one query)."""
    query = select(CourseFile).where(CourseFile.course_id == course.id).order_by(CourseFile.path)
    return {row.path: row for row in db.session.scalars(query)}


def get(course: Course, path: str) -> CourseFile | None:
    return db.session.scalar(select(CourseFile).where(CourseFile.course_id == course.id, CourseFile.path == path))


def has_working_copy(course: Course) -> bool:
    return db.session.scalar(select(CourseFile.id).where(CourseFile.course_id == course.id).limit(1)) is not None


def _digest(entries: Iterable[tuple[str, str | None, str | None]]) -> str:
    listed = sorted([path, text or "", key or ""] for path, text, key in entries)
    return hashlib.sha256(json.dumps(listed, ensure_ascii=False).encode()).hexdigest()


def digest(course: Course) -> str:
    """A fingerprint of the whole working copy: equal digests, equal files."""
    return _digest(
        db.session.execute(
            select(CourseFile.path, CourseFile.text, CourseFile.media_key).where(CourseFile.course_id == course.id)
        ).all()
    )


def digest_of(files: dict[str, str | MediaRef]) -> str:
    return _digest(
        (path, None if isinstance(v, MediaRef) else v, v.key if isinstance(v, MediaRef) else None)
        for path, v in files.items()
    )


def has_unpublished_changes(course: Course) -> bool:
    return course.published_digest != digest(course)


def has_studio_edits(course: Course) -> bool:
    """Whether the working copy changed since it last came from files (or never came from them)."""
    return has_working_copy(course) and course.files_digest != digest(course)


def save_text(course: Course, path: str, text: str, actor, *, expected_version: int | None) -> CourseFile:
    """Create or change one text file. `expected_version` is the version the editor loaded (None:
    the file must not exist yet); when the file has moved on since, raise Conflict and change
    nothing. Flushes; the caller commits."""
    if len(text.encode()) > MAX_TEXT_BYTES:
        raise DomainError(_("%(path)s is too long: at most %(kb)s KB.", path=path, kb=MAX_TEXT_BYTES // 1024))
    text = text.replace("\r\n", "\n")
    row = get(course, path)
    if expected_version is None:
        if row is not None:
            raise Conflict(path, row)
        row = CourseFile(course_id=course.id, path=path, text=text, updated_by_id=getattr(actor, "id", None))
        db.session.add(row)
        db.session.flush()
        return row
    if row is None:
        raise Conflict(path, None)
    if row.text == text and row.version == expected_version:
        return row  # a second click on Save changes nothing
    # Compare-and-set in the database itself: two saves racing cannot both win.
    changed = db.session.execute(
        update(CourseFile)
        .where(CourseFile.id == row.id, CourseFile.version == expected_version)
        .values(
            text=text,
            media_key=None,
            version=CourseFile.version + 1,
            updated_at=utcnow(),
            updated_by_id=getattr(actor, "id", None),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(row)
    if not changed:
        raise Conflict(path, get(course, path))
    return row


def put_media(course: Course, data: bytes, filename: str, actor, *, kinds: Iterable[str]) -> str:
    """Check and store an uploaded image or sound (issue 8's pipeline) and add it to the course's
    media/ folder; returns its path there ("media/shoe.jpg"). The same bytes under the same name
    are one file; a different file under a name already taken gets a new name ("shoe-2.jpg").
    Raises MediaError ("name: reason") for anything that is not an image or sound we accept. A long
    sound is made small by the job worker after the request (media.services.BACKGROUND_AUDIO_SECONDS)."""
    media = media_services.ingest(data, filename, kinds=kinds, background=True)
    stem, _dot, ext = media_name(filename).rpartition(".")
    existing = {row.path: row for row in rows(course).values() if is_media_path(row.path)}
    number = 1
    while True:
        name = f"{stem}.{ext}" if number == 1 else f"{stem}-{number}.{ext}"
        path = f"{MEDIA_FOLDER}/{name}"
        row = existing.get(path)
        if row is None:
            actor_id = getattr(actor, "id", None)
            db.session.add(CourseFile(course_id=course.id, path=path, media_key=media.key, updated_by_id=actor_id))
            db.session.flush()
            return path
        if row.media_key == media.key:
            return path
        number += 1


def media_name(filename: str) -> str:
    """A file name fit for a course folder: lower-case letters, digits and hyphens, one extension."""
    base = os.path.basename((filename or "").replace("\\", "/")).lower()
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, "bin"
    stem = "".join(c if c.isalnum() and c.isascii() else "-" for c in stem).strip("-")
    while "--" in stem:
        stem = stem.replace("--", "-")
    ext = "".join(c for c in ext if c.isalnum() and c.isascii())[:5] or "bin"
    return f"{(stem or 'file')[:50]}.{ext}"


def remove(course: Course, paths: Iterable[str]) -> int:
    """Drop files from the working copy (what they held stays in published lessons until publishing
    archives them). Returns how many were removed."""
    paths = list(paths)
    removed = 0
    for row in rows(course).values():
        if row.path in paths:
            db.session.delete(row)
            removed += 1
    db.session.flush()
    return removed


def materialize(course: Course, root: Path, *, only: Iterable[str] | None = None) -> Path:
    """Write the working copy (or the files `only` names) as a folder `root/<slug>/`, media as the
    bytes that were uploaded; returns the course folder. For the folder validator and exports."""
    folder = root / course.slug
    folder.mkdir(parents=True, exist_ok=True)
    wanted = set(only) if only is not None else None
    for path, row in rows(course).items():
        if wanted is not None and path not in wanted:
            continue
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if row.media_key:
            data = media_services.read_original(row.media_key)
            if data is not None:
                target.write_bytes(data)
        else:
            target.write_text(row.text, encoding="utf-8")
    return folder


def export_files(course: Course) -> tuple[dict[str, bytes], list[str]]:
    """The working copy as file bytes by path, and the media files that could not be given back
    (stored before originals were kept)."""
    files, missing = {}, []
    for path, row in rows(course).items():
        if row.media_key:
            data = media_services.read_original(row.media_key)
            if data is None:
                missing.append(path)
                continue
            files[path] = data
        else:
            files[path] = row.text.encode("utf-8")
    return files, missing


def folder_files(folder: Path, media_uses: Iterable) -> tuple[dict[str, str | MediaRef], list[str]]:
    """What a course folder on disk holds, as a working copy would: every text file by its path,
    and the media files its content uses (`media_uses`, checked by the validator) by content hash.
    Also returns the paths left out (hidden files, unused media, files that are not text)."""
    files: dict[str, str | MediaRef] = {}
    left_out = []
    used = {use.name: use.key for use in media_uses}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if safe_path(relative) is None:
            left_out.append(relative)
            continue
        if is_media_path(relative):
            if relative in used:
                files[relative] = MediaRef(used[relative])
            else:
                left_out.append(relative)
            continue
        try:
            files[relative] = path.read_text(encoding="utf-8").replace("\r\n", "\n")
        except (UnicodeDecodeError, OSError):
            left_out.append(relative)
    return files, left_out


def replace_all(course: Course, files: dict[str, str | MediaRef], actor) -> None:
    """Make the working copy exactly `files` (text, or stored media by key). Unchanged files keep
    their version; changed ones move on, so an editor open on them meets a conflict."""
    if len(files) > MAX_FILES:
        raise DomainError(_("A course may hold at most %(count)s files.", count=MAX_FILES))
    existing = rows(course)
    actor_id = getattr(actor, "id", None)
    for path, value in files.items():
        text, key = (None, value.key) if isinstance(value, MediaRef) else (value.replace("\r\n", "\n"), None)
        row = existing.get(path)
        if row is None:
            db.session.add(CourseFile(course_id=course.id, path=path, text=text, media_key=key, updated_by_id=actor_id))
        elif (row.text, row.media_key) != (text, key):
            row.text, row.media_key = text, key
            row.version += 1
            row.updated_at, row.updated_by_id = utcnow(), actor_id
    for path, row in existing.items():
        if path not in files:
            db.session.delete(row)
    db.session.flush()
