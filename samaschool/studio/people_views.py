"""Studio pages about people: a course's staff (owners and co-trainers) and its learners."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from samaschool.errors import DomainError
from samaschool.extensions import db
from samaschool.forms import ActionForm
from samaschool.permissions import Role
from samaschool.studio import access, bp, people
from samaschool.studio.people_forms import STAFF_ROLE_NAMES, AddStaffForm
from samaschool.web import page_arg


def _staff_page(course, form: AddStaffForm, status: int = 200):
    is_admin = current_user.role == Role.ADMIN
    if not is_admin:  # owners add co-trainers; owners are for admins to add
        form.role.choices = [("co_trainer", STAFF_ROLE_NAMES["co_trainer"])]
    page = render_template(
        "studio/staff.html",
        course=course,
        staff=people.staff_of(course),
        form=form,
        action=ActionForm(),
        manages=access.can_manage_staff(current_user, course),
        is_admin=is_admin,
        role_names=STAFF_ROLE_NAMES,
    )
    return page, status


@bp.get("/<slug>/staff")
def staff(slug: str):
    """Who owns and co-trains the course: every trainer on its staff may look."""
    course = access.course_for_editing(slug)
    return _staff_page(course, AddStaffForm(formdata=None))


@bp.post("/<slug>/staff")
def add_staff(slug: str):
    course = access.course_for_staff_management(slug)
    form = AddStaffForm()
    if current_user.role != Role.ADMIN:
        form.role.choices = [("co_trainer", STAFF_ROLE_NAMES["co_trainer"])]
    if form.validate_on_submit():
        try:
            outcome = people.add_staff(current_user, course, form.email.data, form.role.data)
        except DomainError as error:
            form.email.errors.append(str(error))
        else:
            db.session.commit()
            email, owner = form.email.data, form.role.data == "owner"
            if outcome == "unchanged":
                if owner:
                    flash(_("%(email)s is already an owner of this course.", email=email), "info")
                else:
                    flash(_("%(email)s is already a co-trainer of this course.", email=email), "info")
            elif owner:
                flash(_("%(email)s is now an owner of this course.", email=email), "success")
            else:
                flash(_("%(email)s is now a co-trainer of this course.", email=email), "success")
            return redirect(url_for("studio.staff", slug=course.slug))
    return _staff_page(course, form, 422)


@bp.post("/<slug>/staff/<int:user_id>/remove")
def remove_staff(slug: str, user_id: int):
    course = access.course_for_staff_management(slug)
    ActionForm().validate_on_submit() or abort(400)
    try:
        removed = people.remove_staff(current_user, course, user_id)
    except DomainError as error:
        flash(str(error), "error")
        return redirect(url_for("studio.staff", slug=course.slug))
    db.session.commit()
    if removed:
        flash(_("Removed from the course's staff."), "success")
    else:
        flash(_("That person was not on the course's staff (any more)."), "info")
    if not access.can_edit(current_user, course):  # an owner who left the course
        return redirect(url_for("studio.index"))
    return redirect(url_for("studio.staff", slug=course.slug))


def _sort_args() -> tuple[str, bool]:
    sort = request.args.get("sort", "name")
    return (sort if sort in people.SORTS else "name"), request.args.get("order") == "desc"


@bp.get("/<slug>/learners")
def learners(slug: str):
    """The course's learners: progress, last activity, quiz results, and where they stop."""
    course = access.course_for_editing(slug)
    sort, descending = _sort_args()
    report = people.learners_report(current_user, course, sort=sort, descending=descending, page=page_arg())
    return render_template("studio/learners.html", course=course, report=report)


@bp.get("/<slug>/learners.csv")
def learners_csv(slug: str):
    course = access.course_for_editing(slug)
    sort, descending = _sort_args()
    return (
        people.learners_csv(current_user, course, sort=sort, descending=descending),
        200,
        {
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{course.slug}-learners.csv"',
            "Cache-Control": "private, no-store",
        },
    )
