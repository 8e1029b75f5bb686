"""Importing tasks from CSV or JSON Lines, or a zip of one such file and its media: checked in
full first (every row, every media file, every download), then all or nothing.

Media columns (a task type's `media_fields`, e.g. `image`) name a file inside the zip
("photos/shoe.jpg", relative to the task file's folder), an https address to download
(`samaschool.media.fetch`), or the key of a file already stored. A zip is read in memory,
member by member, and never unpacked to disk: its names are only names, "../x" included.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
import re
import struct
import zipfile
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import BinaryIO

from flask_babel import gettext as _
from sqlalchemy import func, select

from samaschool.extensions import db
from samaschool.media import MAX_AUDIO_BYTES, MAX_IMAGE_BYTES, MAX_UPLOAD_BYTES, MediaError
from samaschool.pools.models import Pool, Task
from samaschool.pools.task_types import REGISTRY

MAX_ROWS = 100_000
MAX_DEPTH = 20  # a task is a flat object; deeper JSON is a mistake (or an attack on the parser)
RECOMMENDED_GOLD_SHARE = 0.05

# Zips: what we read from one, at most (a zip bomb is refused before anything is decompressed).
MAX_ZIP_MEMBERS = 10_000
MAX_ZIP_DIRECTORY_BYTES = 4 * 1024 * 1024  # the zip's list of members (about 400 bytes a member)
MAX_ZIP_TOTAL_BYTES = MAX_UPLOAD_BYTES  # the members' uncompressed sizes, added up (200 MB)
MAX_ZIP_MEMBER_BYTES = 50 * 1024 * 1024  # one member, uncompressed (the largest sound we take)
MAX_ZIP_RATIO = 100  # uncompressed / compressed, for members over RATIO_FROM_BYTES
RATIO_FROM_BYTES = 1024 * 1024
MAX_DOWNLOAD_BYTES = MAX_UPLOAD_BYTES  # every download of one import, added up
TASK_FILE_SUFFIXES = (".csv", ".jsonl", ".ndjson")
MEDIA_LIMITS = {"image": MAX_IMAGE_BYTES, "audio": MAX_AUDIO_BYTES}
KEY_RE = re.compile(r"[0-9a-f]{64}")


@dataclass
class ImportReport:
    created: int = 0
    gold: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    media: int = 0  # distinct media files the new tasks use


def _rows(text: str, filename: str):
    """(row number, mapping) for CSV (header row) or JSON Lines, by the file's name."""
    if filename.endswith((".jsonl", ".ndjson", ".json")):
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
                too_deep = _depth(value) > MAX_DEPTH
            except json.JSONDecodeError as error:
                yield number, ValueError(f"not valid JSON ({error.msg})")
                continue
            except RecursionError:
                too_deep = True
            if too_deep:
                yield number, ValueError(f"nested more than {MAX_DEPTH} levels deep")
                continue
            yield number, value if isinstance(value, dict) else ValueError("each line must be a JSON object")
    else:
        reader = csv.DictReader(io.StringIO(text))
        try:
            for row in reader:
                yield reader.line_num, row
        except csv.Error as error:  # e.g. a field over the csv module's size limit
            yield reader.line_num, ValueError(f"not valid CSV ({error})")


def _depth(value) -> int:
    """How deeply a parsed JSON value nests, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict | list):
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def is_zip(head: bytes) -> bool:
    """Whether a file is a zip, from its first bytes (never its name)."""
    return head[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def import_tasks(pool: Pool, text: str, filename: str) -> ImportReport:
    """Validate every row, then add the tasks in one go; nothing is written on any error.

    Each row needs `external_id` and the type's payload fields (e.g. `title`); `gold_label`
    (or `gold` in JSON) makes a gold task. Rows whose id the pool already has are errors.
    Media columns hold https addresses (downloaded and checked) or keys of stored files.
    """
    return _import(pool, text, filename, None, ImportReport())


def import_zip(pool: Pool, source: bytes | BinaryIO, filename: str) -> ImportReport:
    """`import_tasks` for a zip (its bytes, or a seekable binary file) holding exactly one task
    file (.csv or .jsonl) and the media files its rows name. Nothing is written on any error;
    the caller commits or rolls back."""
    report = ImportReport()
    handle = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        too_many = _directory_too_large(handle)
        archive = None if too_many else zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, struct.error):
        report.errors.append(_("%(name)s: this is not a zip file we can read", name=filename))
        return report
    if archive is None:
        report.errors.append(_too_many_members(filename))
        return report
    with archive:
        bundle = _Zip(archive, filename)
        report.errors.extend(bundle.check())
        if report.errors:
            return report
        task_file, problem = bundle.task_file()
        if problem:
            report.errors.append(problem)
            return report
        try:
            text = bundle.read(task_file).decode("utf-8-sig")
        except UnicodeDecodeError:
            report.errors.append(_("%(name)s: the task file is not UTF-8 text", name=task_file))
            return report
        except _ZipProblem as error:
            report.errors.append(f"{task_file}: {error}")
            return report
        return _import(pool, text, task_file, bundle, report)


def _too_many_members(filename: str) -> str:
    return _("%(name)s: the zip holds more than %(count)s files; split it", name=filename, count=f"{MAX_ZIP_MEMBERS:,}")


def _directory_too_large(handle: BinaryIO) -> bool:
    """Whether the zip's end record declares more members, or a longer list of them, than we
    take. Read before the zip is opened, because opening it lists every member in memory."""
    handle.seek(0, io.SEEK_END)
    size = handle.tell()
    handle.seek(size - min(size, 22 + 0xFFFF + 20))  # the end record, its comment, the zip64 locator
    tail = handle.read()
    handle.seek(0)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return False  # not a zip: opening it says so
    entries, directory_size = struct.unpack("<HL", tail[at + 10 : at + 16])
    if (entries == 0xFFFF or directory_size == 0xFFFFFFFF) and at >= 20 and tail[at - 20 : at - 16] == b"PK\x06\x07":
        (offset,) = struct.unpack("<Q", tail[at - 12 : at - 4])  # zip64: the real figures are elsewhere
        handle.seek(offset)
        record = handle.read(56)
        handle.seek(0)
        if len(record) == 56 and record[:4] == b"PK\x06\x06":
            entries, directory_size = struct.unpack("<QQ", record[32:48])
    return entries > MAX_ZIP_MEMBERS or directory_size > MAX_ZIP_DIRECTORY_BYTES


class _ZipProblem(Exception):
    pass


class _Zip:
    """The members of an uploaded zip, read one at a time into memory and checked on the way."""

    def __init__(self, archive: zipfile.ZipFile, filename: str):
        self.archive = archive
        self.filename = filename
        self.members: dict[str, zipfile.ZipInfo] = {}

    def check(self) -> list[str]:
        """Errors that make the whole zip unusable: too many members, too large in all or in
        part, compressed too well to be honest (a zip bomb), encrypted, names given twice."""
        errors, total = [], 0
        infos = self.archive.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            return [_too_many_members(self.filename)]
        for info in infos:
            if info.is_dir():
                continue
            name = info.filename
            total += info.file_size
            where = f"{self.filename}: {name}"
            if info.flag_bits & 0x1:
                errors.append(_("%(where)s: the file is encrypted; make the zip without a password", where=where))
            elif info.file_size > MAX_ZIP_MEMBER_BYTES:
                errors.append(
                    _("%(where)s: larger than %(size)s MB", where=where, size=MAX_ZIP_MEMBER_BYTES // (1024 * 1024))
                )
            elif info.file_size > RATIO_FROM_BYTES and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
                errors.append(
                    _("%(where)s: compressed far too well to be a real file (a zip bomb?); refused", where=where)
                )
            elif name in self.members:
                errors.append(_("%(where)s: the zip holds two files with this name", where=where))
            self.members[name] = info
        if total > MAX_ZIP_TOTAL_BYTES:
            errors.insert(
                0,
                _(
                    "%(name)s: the files in the zip add up to more than %(size)s MB unpacked",
                    name=self.filename,
                    size=MAX_ZIP_TOTAL_BYTES // (1024 * 1024),
                ),
            )
        return errors

    def task_file(self) -> tuple[str, str | None]:
        """The one task file in the zip, or a problem to report."""
        found = sorted(
            name
            for name in self.members
            if name.lower().endswith(TASK_FILE_SUFFIXES)
            and not name.startswith("__MACOSX/")
            and not posixpath.basename(name).startswith("._")
        )
        if not found:
            return "", _("%(name)s: the zip holds no task file (tasks.csv or tasks.jsonl)", name=self.filename)
        if len(found) > 1:
            shown = ", ".join(found[:5]) + (", …" if len(found) > 5 else "")
            return "", _(
                "%(name)s: the zip holds %(count)d task files (%(names)s); put exactly one in it",
                name=self.filename,
                count=len(found),
                names=shown,
            )
        return found[0], None

    def resolve(self, task_file: str, value: str) -> str:
        """The member a row names: relative to the task file's folder ("photos/a.png")."""
        name = value.replace("\\", "/")
        while name.startswith("./"):
            name = name[2:]
        folder = posixpath.dirname(task_file)
        return posixpath.join(folder, name) if folder else name

    def read(self, name: str) -> bytes:
        """A member's bytes; never more than it declared (and so never more than the caps)."""
        info = self.members[name]
        limit = min(info.file_size, MAX_ZIP_MEMBER_BYTES)
        chunks, total = [], 0
        try:
            with self.archive.open(info) as handle:
                while chunk := handle.read(1024 * 1024):
                    total += len(chunk)
                    if total > limit:
                        raise _ZipProblem(_("the zip is damaged (the file is longer than it says)"))
                    chunks.append(chunk)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as error:
            raise _ZipProblem(_("the zip is damaged and this file cannot be read (%(reason)s)", reason=error)) from None
        return b"".join(chunks)


@dataclass
class _MediaRef:
    """One media file the import needs, however many rows name it."""

    source: str  # "zip", "url" or "key"
    name: str  # the member, the address or the key
    kind: str  # "image" | "audio"
    uses: list[tuple[str, str]] = field(default_factory=list)  # (row "file:n", the cell as written)
    data: bytes | None = None  # downloads, kept between the check and the ingest
    key: str | None = None
    width: int | None = None  # an image's own pixels, once checked (gold boxes must lie inside)
    height: int | None = None


def _import(pool: Pool, text: str, filename: str, bundle: _Zip | None, report: ImportReport) -> ImportReport:
    kind = REGISTRY[pool.task_type]
    media_fields: dict[str, str] = dict(getattr(kind, "media_fields", None) or {})
    existing = set(db.session.scalars(select(Task.external_id).where(Task.pool_id == pool.id)))
    seen: set[str] = set()
    tasks = []
    refs: dict[tuple[str, str, str], _MediaRef] = {}
    placements: list[tuple[Task, str, _MediaRef]] = []  # (task, payload field, its file)
    golds: list[tuple[Task, object, str, list]] = []  # (task, gold as written, "file:n", its files)
    for number, row in _rows(text, filename):
        where = f"{filename}:{number}"
        if isinstance(row, Exception):
            report.errors.append(f"{where}: {row}")
            continue
        if len(tasks) + len(report.errors) >= MAX_ROWS:
            report.errors.append(f"{where}: more than {MAX_ROWS} rows; split the file")
            break
        external_id = str(row.get("external_id") or "").strip()
        if not external_id:
            report.errors.append(f"{where}: 'external_id' is empty")
            continue
        if len(external_id) > 100:
            report.errors.append(f"{where}: 'external_id' is longer than 100 characters")
            continue
        if "\x00" in external_id:
            report.errors.append(f"{where}: 'external_id' contains a NUL character")
            continue
        if external_id in seen or external_id in existing:
            report.errors.append(f"{where}: task '{external_id}' appears twice (or is already in the pool)")
            continue
        seen.add(external_id)
        payload = {}
        for name in (*kind.payload_fields, *(f for f in media_fields if f not in kind.payload_fields)):
            value = str(row.get(name) or "").strip()
            if not value:
                report.errors.append(f"{where}: '{name}' is empty")
                break
            payload[name] = value
        else:
            row_refs = []
            for name, media_kind in media_fields.items():
                ref_id = _media_ref(payload[name], bundle, filename)
                if ref_id is None:
                    report.errors.append(
                        _(
                            "%(where)s: '%(field)s' must be an https address, or the name of a file in the zip "
                            "(upload a .zip holding the task file and its media)",
                            where=where,
                            field=name,
                        )
                    )
                    break
                ref = refs.setdefault((*ref_id, media_kind), _MediaRef(*ref_id, media_kind))
                ref.uses.append((where, payload[name]))
                row_refs.append((name, ref))
            else:
                gold_raw = row.get("gold") if "gold" in row else row.get("gold_label")
                gold = None
                if gold_raw not in (None, "", []):
                    try:
                        gold = kind.parse_gold(gold_raw, pool.labels)
                    except ValueError as error:
                        report.errors.append(f"{where}: {error}")
                        continue
                task = Task(
                    pool_id=pool.id,
                    external_id=external_id,
                    payload=payload,
                    gold_answer=gold,
                    is_gold=gold is not None,
                )
                tasks.append(task)
                placements.extend((task, name, ref) for name, ref in row_refs)
                if gold is not None and row_refs:
                    golds.append((task, gold_raw, where, row_refs))
    if not tasks and not report.errors:
        report.errors.append(f"{filename}: no tasks found")
    _check_media(list(refs.values()), bundle, report)
    if report.errors:
        return report
    # Now that each image's size is known, gold is checked against it (a gold box outside the
    # picture could never be matched, and every worker would fail it).
    for task, gold_raw, where, row_refs in golds:
        sizes = {name: SimpleNamespace(width=ref.width, height=ref.height) for name, ref in row_refs if ref.width}
        try:
            task.gold_answer = kind.parse_gold(gold_raw, pool.labels, media=sizes)
        except ValueError as error:
            report.errors.append(f"{where}: {error}")
    if report.errors:
        return report
    _ingest_media(list(refs.values()), bundle, report)
    if report.errors:
        return report
    for task, name, ref in placements:
        task.payload[name] = ref.key
    db.session.add_all(tasks)
    db.session.flush()
    report.created = len(tasks)
    report.gold = sum(1 for t in tasks if t.is_gold)
    report.media = len({ref.key for ref in refs.values()})
    total, gold = db.session.execute(
        select(func.count(), func.coalesce(func.sum(func.cast(Task.is_gold, db.Integer)), 0)).where(
            Task.pool_id == pool.id
        )
    ).one()
    if total and gold / total < RECOMMENDED_GOLD_SHARE:
        report.warnings.append(
            f"only {gold} of {total} tasks ({100 * gold / total:.1f}%) are gold; at least 5% is recommended "
            "so that quality can be measured"
        )
    return report


def _media_ref(value: str, bundle: _Zip | None, task_file: str) -> tuple[str, str] | None:
    """(source, name) for a media cell, or None when it cannot name a file."""
    from samaschool.media.fetch import is_url

    if is_url(value):
        return "url", value
    if KEY_RE.fullmatch(value):
        return "key", value
    if bundle is not None:
        return "zip", bundle.resolve(task_file, value)
    return None


def _row_errors(ref: _MediaRef, reason: str) -> list[str]:
    return [f"{where}: {written}: {reason}" for where, written in ref.uses]


def _check_media(refs: list[_MediaRef], bundle: _Zip | None, report: ImportReport) -> None:
    """Check every file the rows name, once each, writing nothing: members of the zip are read
    and inspected, addresses downloaded and inspected, keys looked up."""
    from samaschool.media import checks, services
    from samaschool.media.fetch import FetchError, fetch, shown_name

    stored = services.by_keys(ref.name for ref in refs if ref.source == "key")
    downloaded = 0
    for ref in refs:
        if ref.source == "key":
            media = stored.get(ref.name)
            if media is None:
                report.errors.extend(_row_errors(ref, _("no stored file has this key")))
            elif media.kind != ref.kind:
                if ref.kind == "image":
                    report.errors.extend(_row_errors(ref, _("this stored file is not an image")))
                else:
                    report.errors.extend(_row_errors(ref, _("this stored file is not a sound")))
            else:
                ref.key = media.key
                ref.width, ref.height = media.width, media.height
            continue
        if ref.source == "zip":
            if bundle is None or ref.name not in bundle.members:
                report.errors.extend(_row_errors(ref, _("there is no such file in the zip")))
                continue
            try:
                probe = checks.inspect(bundle.read(ref.name), ref.name, (ref.kind,))
                ref.width, ref.height = probe.width, probe.height
            except _ZipProblem as error:
                report.errors.extend(_row_errors(ref, str(error)))
            except MediaError as error:
                report.errors.extend(_row_errors(ref, error.reason))
            continue
        if downloaded > MAX_DOWNLOAD_BYTES:
            report.errors.extend(
                _row_errors(
                    ref,
                    _(
                        "not downloaded: the downloads add up to more than %(size)s MB; import the rest separately",
                        size=MAX_DOWNLOAD_BYTES // (1024 * 1024),
                    ),
                )
            )
            continue
        try:
            data = fetch(ref.name, max_bytes=MEDIA_LIMITS.get(ref.kind, MAX_IMAGE_BYTES))
            downloaded += len(data)
            probe = checks.inspect(data, shown_name(ref.name), (ref.kind,))
            ref.width, ref.height = probe.width, probe.height
        except FetchError as error:
            report.errors.extend(f"{where}: {error}" for where, _written in ref.uses)
        except MediaError as error:
            report.errors.extend(_row_errors(ref, error.reason))
        else:
            ref.data = data


def _ingest_media(refs: list[_MediaRef], bundle: _Zip | None, report: ImportReport) -> None:
    """Store every checked file (once, however many rows name it) and note its key."""
    from samaschool.media import services
    from samaschool.media.fetch import shown_name

    stored = services.by_keys(ref.key for ref in refs if ref.key is not None)
    for ref in refs:
        if ref.key is not None:  # named by key: a sound still waiting for the job worker is made now
            try:
                services.make_now(stored[ref.key])
            except MediaError as error:
                report.errors.extend(_row_errors(ref, error.reason))
            continue
        try:
            if ref.source == "zip":
                media = services.ingest(bundle.read(ref.name), ref.name, kinds=(ref.kind,))
            else:
                media = services.ingest(ref.data, shown_name(ref.name), kinds=(ref.kind,))
        except _ZipProblem as error:
            report.errors.extend(_row_errors(ref, str(error)))
        except MediaError as error:
            report.errors.extend(_row_errors(ref, error.reason))
        else:
            ref.key = media.key
            ref.data = None
