"""Studio pages of a course's question bank (with GIFT files) and quizzes."""

from __future__ import annotations

import random
import re
from types import SimpleNamespace

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from samaschool.assessments.models import REVIEW_POLICIES
from samaschool.assessments.question_types import REGISTRY
from samaschool.errors import DomainError
from samaschool.extensions import db
from samaschool.forms import ActionForm
from samaschool.media import MAX_AUDIO_BYTES, MAX_IMAGE_BYTES, MediaError, upload_limit
from samaschool.media import services as media_services
from samaschool.permissions import Role, role_required
from samaschool.studio import access, bp, files, structure
from samaschool.studio import questions as bank_service
from samaschool.studio.question_forms import (
    IMAGE_TYPES,
    MORE_ROWS,
    NEW_FILE,
    REVIEW_NAMES,
    SETTING_LIMITS,
    TYPE_DESCRIPTIONS,
    GiftImportForm,
    QuestionEditor,
    QuizEditor,
)

# A question form may carry an image and a sound file at once.
QUESTION_UPLOAD_BYTES = MAX_IMAGE_BYTES + MAX_AUDIO_BYTES + 1024 * 1024
MAX_GIFT_BYTES = 1024 * 1024


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _media_choices(rows) -> dict[str, list[tuple[str, object]]]:
    """The working copy's media files by kind: [(path, MediaFile)]."""
    paths = {path: row.media_key for path, row in rows.items() if files.is_media_path(path) and row.media_key}
    stored = media_services.by_keys(paths.values())
    result: dict[str, list] = {"image": [], "audio": []}
    for path, key in sorted(paths.items()):
        media = stored.get(key)
        if media is not None and media.kind in result:
            result[media.kind].append((path, media))
    return result


def _lesson_choices(outline) -> list[tuple[str, list[tuple[str, str]]]]:
    return bank_service.course_lessons(outline)


def _in_studio(slug: str):
    """The course at `slug` when the current user may author it and it has a working copy (a
    course.yml): nothing may start a working copy of a course by the side door of its bank."""
    course = access.course_for_editing(slug)
    if structure.outline(course) is None:
        abort(404)
    return course


# --- The bank -------------------------------------------------------------------------------------------------------


@bp.get("/<slug>/questions")
@login_required
@role_required(Role.TRAINER, Role.ADMIN)
def questions(slug: str):
    course = access.course_for_editing(slug)
    return _bank_page(course, _gift_form(course, formdata=None))


def _gift_form(course, outline=None, **kwargs) -> GiftImportForm:
    form = GiftImportForm(**kwargs)
    outline = outline or structure.outline(course)
    form.lesson.choices = [("", _("— none —"))] + [
        (slug, f"{module} › {title}") for module, lessons in _lesson_choices(outline) for slug, title in lessons
    ]
    return form


def _bank_page(course, gift_form, report=None, status: int = 200):
    rows = files.rows(course)
    outline = structure.outline(course)
    bank = bank_service.read_bank(course, rows)
    quizzes = bank_service.quiz_entries(course, outline, rows)
    tag, kind = request.args.get("tag", ""), request.args.get("type", "")
    shown = [item for item in bank.items if (not tag or tag in item.tags) and (not kind or item.type == kind)]
    return render_template(
        "studio/questions/bank.html",
        course=course,
        bank=bank,
        shown=shown,
        used=bank_service.usage(bank, quizzes),
        tag=tag,
        kind=kind,
        types=REGISTRY,
        descriptions=TYPE_DESCRIPTIONS,
        gift_form=gift_form,
        gift_losses=bank_service.gift_messages(bank),
        report=report,
        lessons=dict(slug_title for _module, lessons in _lesson_choices(outline) for slug_title in lessons),
        in_studio=outline is not None,
    ), status


@bp.get("/<slug>/questions.gift")
@login_required
@role_required(Role.TRAINER, Role.ADMIN)
def export_gift(slug: str):
    course = access.course_for_editing(slug)
    text, _messages = bank_service.export_gift(course)
    response = make_response(text)
    response.mimetype = "text/plain"
    response.headers["Content-Disposition"] = f'attachment; filename="{course.slug}-questions.gift"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/<slug>/questions/import")
@login_required
@role_required(Role.TRAINER, Role.ADMIN)
def import_gift(slug: str):
    course = _in_studio(slug)
    form = _gift_form(course)
    if not form.validate_on_submit():
        return _bank_page(course, form, status=422)
    upload = form.gift.data
    if not upload or not getattr(upload, "filename", ""):
        form.gift.errors.append(_("Choose a GIFT file to import."))
        return _bank_page(course, form, status=422)
    data = upload.read(MAX_GIFT_BYTES + 1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
    if text is None or len(data) > MAX_GIFT_BYTES:
        form.gift.errors.append(_("The file must be UTF-8 text of at most 1 MB."))
        return _bank_page(course, form, status=422)
    stem = upload.filename.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    name = form.name.data or ""
    path = f"{bank_service.BANK_FOLDER}/{name}.yml" if name else bank_service.free_bank_path(course, stem)
    try:
        report = bank_service.import_gift(
            course,
            current_user,
            text,
            upload.filename,
            path=path,
            lesson=form.lesson.data or None,
            skip_unsupported=form.skip_unsupported.data,
        )
    except bank_service.GiftRefused as error:
        db.session.rollback()
        return _bank_page(course, form, report=error.report, status=422)
    except DomainError as error:
        db.session.rollback()
        form.gift.errors.append(str(error))
        return _bank_page(course, form, status=422)
    db.session.commit()
    if report.already:
        flash(_("These questions are already in %(path)s: nothing was added.", path=report.path), "info")
    else:
        flash(
            ngettext(
                "%(num)d question imported into %(path)s. Check it, then publish.",
                "%(num)d questions imported into %(path)s. Check them, then publish.",
                report.imported,
                path=report.path,
            ),
            "success",
        )
    for problem in (report.skipped + report.notes)[:20]:
        flash(f"{problem.file}:{problem.line}: {problem.message}", "info")
    return redirect(url_for("studio.questions", slug=slug))


# --- One question ---------------------------------------------------------------------------------------------------


def _question_page(course, editor: QuestionEditor, *, key=None, version=None, digest=None, preview=None, **extra):
    rows = files.rows(course)
    bank = bank_service.read_bank(course, rows)
    outline = structure.outline(course)
    media = _media_choices(rows)
    status = extra.pop("status", 422 if (editor.errors or editor.general) else 200)
    return render_template(
        "studio/questions/edit.html",
        course=course,
        editor=editor,
        key=key,
        version=version,
        digest=digest,
        preview=preview,
        bank_files=bank.paths,
        new_file=NEW_FILE,
        lessons=_lesson_choices(outline),
        images=media["image"],
        sounds=media["audio"],
        image_required=editor.kind in IMAGE_TYPES,
        section="studio.questions",
        item=bank.find(key) if key else None,
        quizzes=bank_service.quizzes_naming(course, key, rows) if key else [],
        action=ActionForm(),
        **extra,
    ), status


def _store_uploads(course, editor: QuestionEditor) -> None:
    """Images and sounds chosen in the form go into the course's media/ (they stay there whether or
    not the question is saved: what was uploaded is never lost)."""
    for name, kinds in (("image", ("image",)), ("audio", ("audio",))):
        upload = request.files.get(f"{name}_upload")
        if not upload or not upload.filename:
            continue
        try:
            path = files.put_media(course, upload.read(), upload.filename, current_user, kinds=kinds)
        except MediaError as error:
            db.session.rollback()
            editor.error(name, str(error))
            continue
        db.session.commit()
        editor.values[f"{name}_file"] = path


def _learner_view(course, checked) -> dict:
    """What the attempt page's question template needs to show `checked` as learners get it."""
    kind = REGISTRY[checked.type]
    question = SimpleNamespace(type=checked.type, data=checked.data, text_html=checked.text_html)
    aq = SimpleNamespace(
        id="preview",
        question=question,
        points=checked.points,
        layout=kind.layout(checked.data, random.Random(checked.key), checked.type == "ordering"),
    )
    keys = [checked.data[name]["key"] for name in ("image", "audio") if isinstance(checked.data.get(name), dict)]
    right_choices = [re.sub(r"<[^>]+>", "", c["html"]).strip() for c in checked.data.get("choices", []) if c["correct"]]
    return {
        "aq": aq,
        "media": media_services.by_keys(keys),
        "right_answer": kind.right_answer_text(checked.data) or " / ".join(right_choices),
        "explanation_html": checked.explanation_html,
    }


def _submit(course, editor: QuestionEditor, *, key: str | None):
    """A question form sent: add rows, preview, or save."""
    action = request.form.get("action", "save")
    version, digest = _int(request.form.get("version")), request.form.get("digest") or None
    page = {"key": key, "version": version, "digest": digest}
    _store_uploads(course, editor)
    if editor.errors:
        return _question_page(course, editor, **page)
    if action == "more":
        editor.pad(extra=MORE_ROWS)
        return _question_page(course, editor, **page, status=200)
    if action.startswith("up-"):
        _up, name, index = (action.split("-", 2) + ["", ""])[:3]
        editor.move_up(name, _int(index) or 0)
        return _question_page(course, editor, **page, status=200)
    spec = editor.spec(key)
    target, new_file = editor.target
    if action == "preview":
        try:
            checked = bank_service.preview(course, {**spec, "id": spec["id"] or "preview"}, target)
        except bank_service.QuestionProblems as error:
            editor.add_problems(error.problems)
            return _question_page(course, editor, **page)
        return _question_page(course, editor, **page, preview=_learner_view(course, checked), status=200)
    try:
        saved = bank_service.save_question(
            course, current_user, spec, target=target, new_file=new_file, original=key, version=version, digest=digest
        )
    except bank_service.QuestionProblems as error:
        db.session.rollback()
        editor.add_problems(error.problems)
        return _question_page(course, editor, **page)
    except files.Conflict as error:
        db.session.rollback()
        flash(str(error), "error")
        current = bank_service.read_bank(course).find(key or spec["id"])
        if current is None:  # removed meanwhile: what was typed can be added again as a new question
            editor.values["id"], editor.is_new = key or spec["id"], True
            return _question_page(course, editor, key=None, status=409, removed=True)
        # Saving again now means "mine wins": the form carries the version it conflicted with.
        row = files.get(course, current.path)
        return _question_page(
            course,
            editor,
            key=key,
            version=row.version,
            digest=current.digest,
            status=409,
            conflict=current,
            their_text=bank_service.item_yaml(current.spec),
        )
    except DomainError as error:
        db.session.rollback()
        editor.general.append(str(error))
        return _question_page(course, editor, **page)
    db.session.commit()
    if saved.changed:
        message = _("Question saved in the draft (%(path)s). Learners see it once you publish.", path=saved.path)
        flash(message, "success")
    else:
        flash(_("Nothing changed: the draft already holds this question."), "info")
    return redirect(url_for("studio.edit_question", slug=course.slug, key=saved.key))


@bp.route("/<slug>/questions/new", methods=["GET", "POST"])
@login_required
@role_required(Role.TRAINER, Role.ADMIN)
@upload_limit(QUESTION_UPLOAD_BYTES)
def new_question(slug: str):
    course = _in_studio(slug)
    kind = request.args.get("type", "")
    if not kind:
        return render_template(
            "studio/questions/new.html",
            course=course,
            types=REGISTRY,
            descriptions=TYPE_DESCRIPTIONS,
            section="studio.questions",
        )
    if kind not in REGISTRY:
        abort(404)
    if request.method == "POST":
        return _submit(course, QuestionEditor.from_form(request.form, kind, new=True), key=None)
    bank = bank_service.read_bank(course)
    default = bank.paths[0] if bank.paths else NEW_FILE
    editor = QuestionEditor.new(kind, default)
    if default == NEW_FILE:
        editor.values["new_file"] = "bank"
    return _question_page(course, editor)


@bp.route("/<slug>/questions/<key>", methods=["GET", "POST"])
@login_required
@role_required(Role.TRAINER, Role.ADMIN)
@upload_limit(QUESTION_UPLOAD_BYTES)
def edit_question(slug: str, key: str):
    course = _in_studio(slug)
    rows = files.rows(course)
    item = bank_service.read_bank(course, rows).find(key)
    if request.method == "POST":
        kind = item.type if item is not None else request.form.get("type", "")
        if kind not in REGISTRY:
            abort(404)
        editor = QuestionEditor.from_form(request.form, kind, new=item is None)
        if item is None:  # removed since the form was loaded: keep what was typed, to add it again
            flash(str(files.Conflict(editor.target[0], None)), "error")
            editor.values["id"] = key
            return _question_page(course, editor, status=409, removed=True)
        return _submit(course, editor, key=key)
    if item is None or item.type not in REGISTRY:
        abort(404)
    editor = QuestionEditor.from_spec(item.spec, item.path)
    return _question_page(course, editor, key=key, version=rows[item.path].version, digest=item.digest)


@bp.post("/<slug>/questions/<key>/remove")
@login_required
@role_required(Role.TRAINER, Role.ADMIN)
def remove_question(slug: str, key: str):
    course = _in_studio(slug)
    try:
        removed = bank_service.remove_question(
            course,
            current_user,
            key,
            version=_int(request.form.get("version")),
            digest=request.form.get("digest") or None,
        )
    except DomainError as error:  # named by a quiz, or changed since the page was loaded
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("studio.edit_question", slug=slug, key=key))
    db.session.commit()
    if removed:
        flash(_("Question %(key)s removed from the draft.", key=key), "success")
    else:
        flash(_("Question %(key)s is not in the draft (already removed?).", key=key), "info")
    return redirect(url_for("studio.questions", slug=slug))


@bp.get("/<slug>/questions/<key>/preview")
@login_required
@role_required(Role.TRAINER, Role.ADMIN)
def preview_question(slug: str, key: str):
    course = access.course_for_editing(slug)
    item = bank_service.read_bank(course).find(key)
    if item is None:
        abort(404)
    view, problems = None, []
    try:
        checked = bank_service.preview(course, item.spec, item.path)
    except bank_service.QuestionProblems as error:
        problems = [message for _path, message in error.problems]
    else:
        view = _learner_view(course, checked)
    return render_template(
        "studio/questions/preview.html",
        course=course,
        item=item,
        preview=view,
        problems=problems,
        section="studio.questions",
    )


# --- Quizzes --------------------------------------------------------------------------------------------------------


@bp.get("/<slug>/quizzes")
@login_required
@role_required(Role.TRAINER, Role.ADMIN)
def quizzes(slug: str):
    course = access.course_for_editing(slug)
    rows = files.rows(course)
    outline = structure.outline(course)
    return render_template(
        "studio/quizzes/list.html",
        course=course,
        entries=bank_service.quiz_entries(course, outline, rows),
        bank=bank_service.read_bank(course, rows),
        outline=outline,
    )


def _default_title(course, entry) -> str:
    if entry.module is None:
        return _("Final exam: %(course)s", course=course.title)
    return _("Check your understanding: %(module)s", module=entry.module.title)


@bp.route("/<slug>/quizzes/<key>", methods=["GET", "POST"])
@login_required
@role_required(Role.TRAINER, Role.ADMIN)
def quiz(slug: str, key: str):
    course = access.course_for_editing(slug)
    rows = files.rows(course)
    outline = structure.outline(course)
    entry = bank_service.find_quiz(course, outline, key, rows) if outline is not None else None
    if entry is None:
        abort(404)
    bank = bank_service.read_bank(course, rows)
    if request.method == "GET":
        editor = QuizEditor.from_entry(entry, _default_title(course, entry))
        return _quiz_page(course, entry, bank, editor, entry.version)
    editor = QuizEditor.from_form(request.form)
    version = _int(request.form.get("version"))
    if request.form.get("action") == "more":
        editor.pad(MORE_ROWS)
        return _quiz_page(course, entry, bank, editor, version)
    try:
        changed = bank_service.save_quiz(
            course, current_user, entry, editor.changes([item.key for item in bank.items]), version=version
        )
    except bank_service.QuizProblems as error:
        db.session.rollback()
        editor.add_problems(error.problems)
        return _quiz_page(course, entry, bank, editor, version, status=422)
    except files.Conflict as error:
        db.session.rollback()
        flash(str(error), "error")
        current = files.get(course, entry.path)
        # Saving again now means "mine wins": the form carries the version it conflicted with.
        return _quiz_page(course, entry, bank, editor, current.version if current else None, status=409, saved=current)
    except DomainError as error:
        db.session.rollback()
        editor.general.append(str(error))
        return _quiz_page(course, entry, bank, editor, version, status=422)
    db.session.commit()
    if changed:
        message = _("Quiz saved in the draft (%(path)s). Learners see it once you publish.", path=entry.path)
        flash(message, "success")
    else:
        flash(_("Nothing changed: the draft already holds this quiz."), "info")
    return redirect(url_for("studio.quiz", slug=slug, key=key))


def _quiz_page(course, entry, bank, editor: QuizEditor, version, *, status: int = 200, saved=None):
    editor.pad(0)
    listed = {item.key for item in bank.items}
    return render_template(
        "studio/quizzes/edit.html",
        course=course,
        entry=entry,
        editor=editor,
        bank=bank,
        missing=[key for key in editor.chosen if key not in listed],
        version=version,
        saved=saved,
        review_names=REVIEW_NAMES,
        review_policies=REVIEW_POLICIES,
        limits=SETTING_LIMITS,
        section="studio.quizzes",
    ), status
