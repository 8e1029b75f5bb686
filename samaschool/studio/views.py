"""Studio pages: courses, their outline, lessons, preview, publishing and zips."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from samaschool.errors import DomainError
from samaschool.extensions import db
from samaschool.forms import ActionForm
from samaschool.media import MAX_UPLOAD_BYTES, MediaError, upload_limit
from samaschool.media import services as media_services
from samaschool.permissions import Role, role_required
from samaschool.studio import access, bp, files, publishing, structure
from samaschool.studio.forms import (
    CourseDetailsForm,
    ImportZipForm,
    LessonForm,
    ModuleForm,
    NewCourseForm,
    NewLessonForm,
    NewModuleForm,
)

TABS = (
    ("studio.course", _l("Outline")),
    ("studio.questions", _l("Questions")),
    ("studio.quizzes", _l("Quizzes")),
    ("studio.certifications", _l("Certifications")),
    ("studio.learners", _l("Learners")),
    ("studio.staff", _l("Staff")),
)


@bp.context_processor
def studio_tabs():
    return {"studio_tabs": [(endpoint, label) for endpoint, label in TABS if endpoint in current_app.view_functions]}


@bp.before_request
@login_required
@role_required(Role.TRAINER, Role.ADMIN)
def only_trainers_and_admins():
    """Every studio page and action: trainers and admins only (courses are checked per route)."""


def read_upload(upload) -> bytes:
    """An uploaded file's bytes; its spooled temporary file is closed at once."""
    try:
        return upload.read()
    finally:
        upload.close()


def _outline_or_404(course):
    outline = structure.outline(course)
    if outline is None:
        abort(404)
    return outline


def _conflict_or_problem(error: DomainError) -> None:
    flash(str(error), "error")


@bp.get("/")
def index():
    courses = access.courses_for(current_user)
    drafts = {course.id: files.has_unpublished_changes(course) for course in courses}
    edited = {course.id: files.has_working_copy(course) for course in courses}
    return render_template("studio/index.html", courses=courses, drafts=drafts, edited=edited)


@bp.route("/new", methods=["GET", "POST"])
def new_course():
    form = NewCourseForm()
    if request.method == "GET":
        form.language.data = "en"
        form.estimated_hours.data = 1
    if form.validate_on_submit():
        try:
            course = structure.new_course(
                form.slug.data,
                current_user,
                title=form.title.data.strip(),
                summary=(form.summary.data or "").strip(),
                level=form.level.data,
                language=form.language.data,
                hours=form.estimated_hours.data,
            )
        except DomainError as error:
            form.slug.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Course created. Add its first module."), "success")
            return redirect(url_for("studio.course", slug=course.slug))
    return render_template("studio/new_course.html", form=form), 422 if form.errors else 200


@bp.route("/import", methods=["GET", "POST"])
@upload_limit(MAX_UPLOAD_BYTES)
def import_course():
    form = ImportZipForm()
    problems: list = []
    if form.validate_on_submit():
        upload = form.archive.data
        if not upload or not getattr(upload, "filename", ""):
            form.archive.errors.append(_("Choose a course zip to import."))
        else:
            try:
                result = publishing.import_zip(read_upload(upload), current_user)
            except files.StudioProblems as error:
                db.session.rollback()
                problems = error.problems
                form.archive.errors.append(str(error))
            except (DomainError, MediaError) as error:
                db.session.rollback()
                form.archive.errors.append(str(error))
            else:
                db.session.commit()
                for message in result.messages:
                    flash(message, "info")
                flash(
                    _("Imported into the draft of %(title)s. Check it, then publish it.", title=result.course.title),
                    "success",
                )
                return redirect(url_for("studio.course", slug=result.course.slug))
    status = 422 if form.errors or problems else 200
    return render_template("studio/import.html", form=form, problems=problems), status


@bp.get("/<slug>/")
def course(slug: str):
    return _course_page_with(access.course_for_editing(slug), status=200)


def _course_page_with(course, *, problems=(), module_form=None, lesson_form=None, lesson_module=None, status=422):
    """The outline page: as it is (GET), or again with a form's errors or publishing's problems."""
    outline = structure.outline(course)
    return (
        render_template(
            "studio/course.html",
            course=course,
            outline=outline,
            module_form=module_form or NewModuleForm(formdata=None, version=outline.version if outline else ""),
            lesson_form=lesson_form or NewLessonForm(formdata=None),
            lesson_module=lesson_module,
            action=ActionForm(),
            unpublished=files.has_unpublished_changes(course) if outline else False,
            problems=list(problems),
        ),
        status,
    )


@bp.route("/<slug>/details", methods=["GET", "POST"])
def details(slug: str):
    course = access.course_for_editing(slug)
    outline = _outline_or_404(course)
    form = CourseDetailsForm()
    if request.method == "GET":
        form.title.data, form.summary.data = outline.title, outline.summary
        form.level.data, form.language.data = outline.level, outline.language or course.language
        form.estimated_hours.data = outline.estimated_hours if isinstance(outline.estimated_hours, int) else None
        form.version.data = outline.version
    if form.validate_on_submit():
        try:
            structure.update_details(
                course,
                form.loaded_version(),
                current_user,
                title=form.title.data.strip(),
                summary=(form.summary.data or "").strip(),
                level=form.level.data,
                language=form.language.data,
                estimated_hours=form.estimated_hours.data,
            )
        except DomainError as error:
            db.session.rollback()
            _conflict_or_problem(error)
            form.version.data = _outline_or_404(course).version
        else:
            db.session.commit()
            flash(_("Saved in the draft. Learners see it once you publish."), "success")
            return redirect(url_for("studio.course", slug=slug))
    return render_template("studio/details.html", course=course, form=form), 422 if request.method == "POST" else 200


@bp.post("/<slug>/modules")
def add_module(slug: str):
    course = access.course_for_editing(slug)
    form = NewModuleForm()
    if form.validate_on_submit():
        try:
            structure.add_module(
                course,
                form.loaded_version(),
                current_user,
                slug=form.slug.data,
                title=form.title.data.strip(),
                summary=(form.summary.data or "").strip(),
            )
        except files.Conflict:
            db.session.rollback()
            flash(_("The outline changed since you loaded this page; nothing was added. Here it is now."), "error")
            return redirect(url_for("studio.course", slug=slug))
        except DomainError as error:
            db.session.rollback()
            form.slug.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Module added."), "success")
            return redirect(url_for("studio.course", slug=slug) + f"#module-{form.slug.data}")
    return _course_page_with(course, module_form=form)


def _structure_change(slug: str, change, done_message: str, anchor: str = ""):
    """A POST that changes the outline from the outline page: version-checked, then back to it."""
    course = access.course_for_editing(slug)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        version = int(request.form.get("version", ""))
    except ValueError:
        abort(400)
    try:
        result = change(course, version)
    except files.Conflict:
        db.session.rollback()
        flash(_("The outline changed since you loaded this page; nothing was changed. Here it is now."), "error")
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        if result is not False:
            flash(done_message, "success")
    return redirect(url_for("studio.course", slug=slug) + anchor)


def _direction() -> str:
    direction = request.form.get("direction", "")
    if direction not in ("up", "down"):
        abort(400)
    return direction


@bp.post("/<slug>/modules/<module_slug>/move")
def move_module(slug: str, module_slug: str):
    return _structure_change(
        slug,
        lambda course, version: structure.move_module(course, version, current_user, module_slug, _direction()),
        _("Module moved."),
        f"#module-{module_slug}",
    )


@bp.post("/<slug>/modules/<module_slug>/archive")
def archive_module(slug: str, module_slug: str):
    return _structure_change(
        slug,
        lambda course, version: structure.archive_module(course, version, current_user, module_slug),
        _("Module removed from the draft. When you publish, its lessons are archived: learners' progress stays."),
    )


@bp.post("/<slug>/lessons/<lesson_slug>/move")
def move_lesson(slug: str, lesson_slug: str):
    return _structure_change(
        slug,
        lambda course, version: structure.move_lesson(course, version, current_user, lesson_slug, _direction()),
        _("Lesson moved."),
        f"#lesson-{lesson_slug}",
    )


@bp.post("/<slug>/lessons/<lesson_slug>/archive")
def archive_lesson(slug: str, lesson_slug: str):
    return _structure_change(
        slug,
        lambda course, version: structure.archive_lesson(course, version, current_user, lesson_slug),
        _("Lesson removed from the draft. When you publish, it is archived: learners' progress stays."),
    )


@bp.route("/<slug>/modules/<module_slug>/edit", methods=["GET", "POST"])
def edit_module(slug: str, module_slug: str):
    course = access.course_for_editing(slug)
    outline = _outline_or_404(course)
    module = outline.module(module_slug)
    if module is None:
        abort(404)
    form = ModuleForm()
    if request.method == "GET":
        form.title.data, form.summary.data, form.version.data = module.title, module.summary, outline.version
    if form.validate_on_submit():
        try:
            structure.update_module(
                course,
                form.loaded_version(),
                current_user,
                module_slug,
                title=form.title.data.strip(),
                summary=(form.summary.data or "").strip(),
            )
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "error")
            form.version.data = _outline_or_404(course).version
        else:
            db.session.commit()
            flash(_("Module saved."), "success")
            return redirect(url_for("studio.course", slug=slug) + f"#module-{module_slug}")
    status = 422 if request.method == "POST" else 200
    return render_template("studio/module.html", course=course, module=module, form=form), status


@bp.post("/<slug>/modules/<module_slug>/lessons")
def add_lesson(slug: str, module_slug: str):
    course = access.course_for_editing(slug)
    form = NewLessonForm()
    if form.validate_on_submit():
        try:
            structure.add_lesson(
                course,
                form.loaded_version(),
                current_user,
                module_slug,
                slug=form.slug.data,
                title=form.title.data.strip(),
                minutes=form.minutes.data,
            )
        except files.Conflict:
            db.session.rollback()
            flash(_("The outline changed since you loaded this page; nothing was added. Here it is now."), "error")
            return redirect(url_for("studio.course", slug=slug))
        except DomainError as error:
            db.session.rollback()
            form.slug.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Lesson added. Write it here."), "success")
            return redirect(url_for("studio.lesson", slug=slug, lesson_slug=form.slug.data))
    return _course_page_with(course, lesson_form=form, lesson_module=module_slug)


def _media_markdown(path: str, kind: str, text: str) -> str:
    """What the editor adds for an uploaded file, as a lesson in `<module>/` names it."""
    text = " ".join(text.split()) if kind == "image" else text.strip()
    if kind == "image":
        alt = text.replace("[", "(").replace("]", ")")
        return f"![{alt}](../{path})"
    return f"```audio ../{path}\n{text}\n```"


@bp.route("/<slug>/lessons/<lesson_slug>", methods=["GET", "POST"])
@upload_limit(MAX_UPLOAD_BYTES)
def lesson(slug: str, lesson_slug: str):
    """The lesson editor. Save checks and stores the text in the draft; Preview shows it as
    learners will see it without saving; Add file stores an image or sound and adds its Markdown
    to the text (unsaved, like the rest of what is typed)."""
    course = access.course_for_editing(slug)
    outline = _outline_or_404(course)
    module, entry = outline.lesson(lesson_slug)
    if module is None:
        abort(404)
    row = files.get(course, entry.path)
    if row is None:
        abort(404)
    form = LessonForm()
    problems, preview, status = [], None, 200
    if request.method == "GET":
        saved = structure.parse_lesson(row.text)
        form.title.data, form.minutes.data, form.body.data = saved.title, saved.minutes, saved.body
        form.version.data = row.version
    elif form.validate_on_submit():
        action = request.form.get("action", "save")
        body = (form.body.data or "").replace("\r\n", "\n")
        if action == "upload":
            status = _add_media(course, form, body)
        elif action == "preview":
            text = structure.lesson_text(form.title.data.strip(), form.minutes.data, body)
            preview, problems = structure.lesson_preview(course, entry.path, text)
            status = 422 if problems else 200
        else:
            try:
                structure.save_lesson(
                    course,
                    entry.path,
                    form.loaded_version(),
                    current_user,
                    title=form.title.data.strip(),
                    minutes=form.minutes.data,
                    body=body,
                )
            except files.StudioProblems as error:
                db.session.rollback()
                problems = error.problems
                flash(str(error), "error")
                status = 422
            except files.Conflict as error:
                db.session.rollback()
                flash(str(error), "error")
                status = 409
            except DomainError as error:
                db.session.rollback()
                flash(str(error), "error")
                status = 422
            else:
                db.session.commit()
                flash(_("Lesson saved in the draft. Learners see it once you publish."), "success")
                return redirect(url_for("studio.lesson", slug=slug, lesson_slug=lesson_slug))
    else:
        status = 422
    current = files.get(course, entry.path)
    return (
        render_template(
            "studio/lesson.html",
            course=course,
            module=module,
            entry=entry,
            form=form,
            problems=problems,
            preview=preview,
            saved=current,
            conflict=status == 409,
            media_files=[path for path in files.rows(course) if files.is_media_path(path)],
        ),
        status,
    )


def _add_media(course, form: LessonForm, body: str) -> int:
    upload = form.media.data
    text = (form.media_text.data or "").strip()
    if not upload or not getattr(upload, "filename", ""):
        form.media.errors.append(_("Choose an image or a sound file to add."))
        return 422
    if not text:
        form.media_text.errors.append(
            _("Describe the image, or type what the sound says: learners who cannot see or hear it need this.")
        )
        return 422
    try:
        path = files.put_media(course, read_upload(upload), upload.filename, current_user, kinds=("image", "audio"))
    except MediaError as error:
        db.session.rollback()
        form.media.errors.append(str(error))
        return 422
    kind = media_services.get(files.get(course, path).media_key).kind
    db.session.commit()
    snippet = _media_markdown(path, kind, text)
    form.body.data = (body.rstrip("\n") + "\n\n" + snippet + "\n").lstrip("\n")
    form.media_text.data = ""
    flash(
        _(
            "Added at the end of the text: %(snippet)s — move it where it belongs, then save.",
            snippet=snippet.split("\n")[0],
        ),
        "success",
    )
    return 200


@bp.get("/<slug>/preview")
def preview_course(slug: str):
    """The draft's outline as a learner would meet it."""
    course = access.course_for_editing(slug)
    outline = _outline_or_404(course)
    return render_template("studio/preview_course.html", course=course, outline=outline)


@bp.get("/<slug>/preview/<lesson_slug>")
def preview_lesson(slug: str, lesson_slug: str):
    course = access.course_for_editing(slug)
    outline = _outline_or_404(course)
    module, entry = outline.lesson(lesson_slug)
    row = files.get(course, entry.path) if entry else None
    if row is None:
        abort(404)
    html, problems = structure.lesson_preview(course, entry.path, row.text)
    slugs = outline.lesson_slugs
    index = slugs.index(lesson_slug)
    return render_template(
        "studio/preview_lesson.html",
        course=course,
        module=module,
        entry=entry,
        html=html,
        problems=problems,
        position=index + 1,
        total=len(slugs),
        previous=slugs[index - 1] if index > 0 else None,
        next=slugs[index + 1] if index + 1 < len(slugs) else None,
    )


@bp.post("/<slug>/publish")
def publish(slug: str):
    course = access.course_for_editing(slug)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    if not files.has_unpublished_changes(course) and course.is_published:
        flash(_("Nothing to publish: learners already see this version."), "info")
        return redirect(url_for("studio.course", slug=slug))
    try:
        stats = publishing.publish(course, current_user)
    except files.StudioProblems as error:
        db.session.rollback()
        return _course_page_with(course, problems=error.problems)
    db.session.commit()
    flash(
        _(
            "Published: learners now see this version (%(new)d new and %(updated)d changed lessons, "
            "%(archived)d archived).",
            new=stats.lessons_created,
            updated=stats.lessons_updated,
            archived=stats.lessons_archived,
        ),
        "success",
    )
    return redirect(url_for("studio.course", slug=slug))


@bp.get("/<slug>/export.zip")
def export(slug: str):
    import io

    course = access.course_for_editing(slug)
    if not files.has_working_copy(course):
        abort(404)
    exported = publishing.export_zip(course)
    response = send_file(
        io.BytesIO(exported.data), mimetype="application/zip", as_attachment=True, download_name=f"{course.slug}.zip"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<slug>/export")
def export_page(slug: str):
    """What an export holds and leaves out, before downloading it."""
    course = access.course_for_editing(slug)
    if not files.has_working_copy(course):
        abort(404)
    exported = publishing.export_zip(course)
    from samaschool.media.formatting import format_size

    return render_template(
        "studio/export.html", course=course, notes=exported.notes, size_text=format_size(len(exported.data))
    )
