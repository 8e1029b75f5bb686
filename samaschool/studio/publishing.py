"""Publishing a course's working copy, and moving courses between the studio and files.

- `publish`: the working copy is written out as a course folder, checked by the same validator
  as `courses validate` and imported by the same importer as `courses import`, all in the
  caller's one transaction: learners see all of the new version or none of it.
- `sync_from_folder`: what `courses import` does for the studio: the folder becomes the working
  copy (and the published version), unless the studio holds edits the files do not have.
- `export_zip` / `import_zip`: a course as a zip in the `courses/` format, both ways.
"""

from __future__ import annotations

import io
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from samaschool import audit
from samaschool.catalog.models import Course
from samaschool.content.checks import Checker
from samaschool.content.course_folder import CourseSpec, read_content, read_course
from samaschool.content.importer import ImportStats, import_courses, import_media
from samaschool.content.yamlfile import Problem
from samaschool.db_types import utcnow
from samaschool.errors import DomainError
from samaschool.extensions import db
from samaschool.media import MediaError
from samaschool.media import services as media_services
from samaschool.permissions import Role
from samaschool.studio import access, files
from samaschool.studio.models import CourseStaff
from samaschool.studio.structure import relative_problems

MAX_ZIP_MEMBERS = files.MAX_FILES + 100
MAX_ZIP_BYTES = 200 * 1024 * 1024  # unpacked; the same as the largest upload
ZIP_TIME = (2026, 1, 1, 0, 0, 0)  # every member's time: the same course gives the same bytes


def publish(course: Course, actor) -> ImportStats:
    """Check the whole working copy and make it what learners see. Raises StudioProblems (with
    file:line for each) and changes nothing when the course does not validate. The caller commits."""
    with tempfile.TemporaryDirectory(prefix="studio-") as tmp:
        folder = files.materialize(course, Path(tmp))
        checker = Checker()
        spec = read_course(folder, checker)
        if checker.problems or spec is None:
            raise files.StudioProblems(relative_problems(checker.problems, folder))
        try:
            # A long sound still waiting for the job worker is made now (lessons are rendered once, here).
            stats = import_courses([spec])
        except MediaError as error:  # one that passed the upload's check but cannot be decoded whole
            raise files.StudioProblems([Problem(error.filename, 1, error.reason)]) from None
    course.is_published = True
    course.published_digest = files.digest(course)
    course.published_at = utcnow()
    audit.record(
        actor,
        "course.publish",
        course,
        after={"lessons": len(spec.lessons), "questions": len(spec.questions), "quizzes": len(spec.quizzes)},
    )
    db.session.flush()
    return stats


# --- courses import ---------------------------------------------------------------------------


@dataclass
class FolderSync:
    spec: CourseSpec
    files: dict
    left_out: list[str]
    course: Course | None
    blocked_by: str | None = None  # why the folder may not replace the studio's working copy


def plan_folder_sync(specs: list[CourseSpec], *, force: bool = False) -> list[FolderSync]:
    """For each checked course folder: its files as a working copy, and whether the studio holds
    edits newer than the files (then importing would lose them, and is refused unless forced)."""
    plans = []
    for spec in specs:
        wanted, left_out = files.folder_files(spec.folder, spec.media)
        course = db.session.scalar(select(Course).where(Course.slug == spec.slug))
        plan = FolderSync(spec, wanted, left_out, course)
        edited = course is not None and not force and files.has_studio_edits(course)
        if edited and files.digest_of(wanted) != files.digest(course):
            plan.blocked_by = _last_editor(course)
        plans.append(plan)
    return plans


def _last_editor(course: Course) -> str:
    row = max(files.rows(course).values(), key=lambda row: row.updated_at, default=None)
    if row is None:
        return "the studio"
    who = row.updated_by.name if row.updated_by is not None else "someone"
    return f"{who}, {row.updated_at:%Y-%m-%d %H:%M} UTC ({row.path})"


def sync_from_folder(plan: FolderSync, course: Course) -> None:
    """After `courses import` imported `plan.spec`: the folder is now the working copy and the
    published version. Media stored before originals were kept get their original now."""
    for use in plan.spec.media:
        media_services.store_original(use.key, Path(use.path).read_bytes())
    files.replace_all(course, plan.files, None)
    course.files_digest = course.published_digest = files.digest(course)
    course.published_at = utcnow()
    db.session.flush()


# --- zips --------------------------------------------------------------------------------------


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, entries[name])
    return out.getvalue()


@dataclass
class Export:
    data: bytes
    notes: list[str] = field(default_factory=list)


def export_zip(course: Course) -> Export:
    """The working copy as `<slug>/…` plus `_certifications/` for the certifications that need
    this course alone. `notes` says what was left out, and why."""
    course_files, missing = files.export_files(course)
    entries = {f"{course.slug}/{path}": data for path, data in course_files.items()}
    notes = [_("%(path)s was left out: it was stored before original files were kept.", path=p) for p in missing]
    from samaschool.studio import certifications

    certification_files, left_out = certifications.export_certifications(course)
    entries.update(certification_files)
    notes.extend(left_out)
    return Export(_zip(entries), notes)


def _unpack(data: bytes, root: Path) -> None:
    """Unpack a zip safely: no paths outside `root`, no links, bounded size and count."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise DomainError(_("This file is not a zip file.")) from error
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_ZIP_MEMBERS:
            raise DomainError(_("The zip holds too many files (at most %(count)s).", count=MAX_ZIP_MEMBERS))
        if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
            raise DomainError(_("The zip is too large once unpacked (at most 200 MB)."))
        for member in members:
            name = files.safe_path(member.filename)
            mode = member.external_attr >> 16
            if name is None or stat.S_ISLNK(mode):
                raise DomainError(
                    _("The zip holds a file named %(name)s, which cannot be unpacked safely.", name=member.filename)
                )
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as source:
                content = source.read(MAX_ZIP_BYTES + 1)
            target.write_bytes(content)


@dataclass
class ZipImport:
    course: Course
    created: bool
    messages: list[str] = field(default_factory=list)


def import_zip(data: bytes, actor) -> ZipImport:
    """A course zip (as `export_zip` makes) into the studio: checked in full first (StudioProblems
    with file:line, nothing written); then it becomes the course's working copy — a draft, which
    its trainers publish when ready. A new course belongs to whoever imported it."""
    with tempfile.TemporaryDirectory(prefix="studio-zip-") as tmp:
        root = Path(tmp)
        _unpack(data, root)
        if (root / "course.yml").is_file():
            raise DomainError(
                _("Put the course in a folder named by its short name inside the zip, as an export does.")
            )
        content = read_content(root)
        if content.problems:
            raise files.StudioProblems(relative_problems(content.problems, root))
        if len(content.courses) != 1:
            raise DomainError(
                _("A zip must hold exactly one course folder; this one holds %(count)s.", count=len(content.courses))
            )
        spec = content.courses[0]
        course = db.session.scalar(select(Course).where(Course.slug == spec.slug))
        created = course is None
        if created:
            course = Course(
                slug=spec.slug,
                title=spec.title,
                summary=spec.summary,
                level=spec.level,
                language=spec.language,
                estimated_hours=spec.estimated_hours,
                is_published=False,
            )
            db.session.add(course)
            db.session.flush()
            if actor.role != Role.ADMIN:
                db.session.add(CourseStaff(course_id=course.id, user_id=actor.id, role="owner"))
        elif not access.can_edit(actor, course):
            raise DomainError(
                _("A course with the short name %(slug)s exists and is not yours to change.", slug=spec.slug)
            )
        import_media(spec.media, ImportStats())  # checked, made small, originals kept
        for use in spec.media:
            media_services.store_original(use.key, Path(use.path).read_bytes())
        wanted, left_out = files.folder_files(spec.folder, spec.media)
        files.replace_all(course, wanted, actor)
        course.files_digest = files.digest(course)
        result = ZipImport(course, created)
        result.messages.extend(_("%(path)s was left out: nothing in the course uses it.", path=p) for p in left_out)
        if content.certifications:
            from samaschool.studio import certifications

            result.messages.extend(certifications.import_certification_specs(content.certifications, actor))
        audit.record(actor, "course.import_zip", course, after={"files": len(wanted), "created": created})
        db.session.flush()
        return result


def problems_text(problems: list[Problem]) -> list[str]:
    return [str(problem) for problem in problems]
