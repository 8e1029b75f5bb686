"""Worker pages: pools, a task, earnings."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from samaschool.db_types import utcnow
from samaschool.errors import DomainError
from samaschool.extensions import db
from samaschool.forms import ActionForm
from samaschool.pools import eligibility, money, services, work
from samaschool.pools.models import Assignment, EarningEntry, Pool
from samaschool.pools.quality import BATCH_SIZE, shown_accuracies, shown_accuracy
from samaschool.pools.task_types import REGISTRY, InvalidTaskAnswer

bp = Blueprint("pools", __name__)

# Pages of lower features (the exam result, a certificate, the dashboard) point to the paid work
# a certificate unlocked; they cannot import pools, so their templates call this.
bp.add_app_template_global(services.unlocked_pools, "unlocked_pools")


_SHOWN_POOL = select(Pool).where(Pool.slug == bindparam("slug"), Pool.status != "draft")  # built once


def _pool_or_404(slug: str) -> Pool:
    pool = db.session.scalar(_SHOWN_POOL, {"slug": slug})
    if pool is None:
        abort(404)
    return pool


@bp.get("/pools")
@login_required
def index():
    return render_template(
        "pools/index.html",
        cards=services.open_pools_for(current_user),
        needs_payout=services.needs_payout_account(current_user),
        money=money.money,
    )


@bp.get("/pools/<slug>")
@login_required
def pool(slug: str):
    pool = _pool_or_404(slug)
    now = utcnow()
    return render_template(
        "pools/pool.html",
        pool=pool,
        check=eligibility.check(current_user, pool, now),
        claims=work.open_claims(current_user.id, pool.id, now),
        skill=shown_accuracy(current_user.id, pool.id),
        batch_size=BATCH_SIZE,
        needs_payout=services.needs_payout_account(current_user),
        money=money.money,
        form=ActionForm(),
    )


@bp.post("/pools/<slug>/claim")
@login_required
def claim(slug: str):
    pool = _pool_or_404(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        assignment = work.claim_next_task(current_user, pool)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("pools.pool", slug=slug))
    location = url_for("pools.task", assignment_id=assignment.id)  # before the commit expires it
    db.session.commit()
    return redirect(location)


def _own_assignment(assignment_id: int) -> Assignment:
    # With its pool and task, which every caller reads, in the same statement.
    assignment = db.session.get(
        Assignment, assignment_id, options=[joinedload(Assignment.pool), joinedload(Assignment.task)]
    )
    if assignment is None or assignment.worker_id != current_user.id:
        abort(404)
    return assignment


def _still_yours(assignment: Assignment) -> bool:
    return assignment.state == "claimed" and assignment.lease_expires_at > utcnow()


@bp.get("/work/<int:assignment_id>")
@login_required
def task(assignment_id: int):
    assignment = _own_assignment(assignment_id)
    if not _still_yours(assignment):
        flash(_("This task is no longer yours to answer."), "info")
        return redirect(url_for("pools.pool", slug=assignment.pool.slug))
    return _task_page(assignment, error=None)


def _task_page(assignment: Assignment, error: str | None, status: int = 200, *, context=None, draft=None):
    pool, task = assignment.pool, assignment.task
    kind = REGISTRY[pool.task_type]
    context = context or work.task_context(pool, task)
    posted = request.form if request.method == "POST" else None
    return (
        render_template(
            "pools/task.html",
            assignment=assignment,
            pool=pool,
            task=task,
            kind=kind,
            media=context.media,
            draft=draft if draft is not None else kind.draft(posted, pool.labels, context),
            error=error,
            chosen=request.form.getlist("answer") if request.method == "POST" else [],
            form=ActionForm(),
        ),
        status,
    )


@bp.post("/work/<int:assignment_id>")
@login_required
def submit(assignment_id: int):
    assignment = _own_assignment(assignment_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    pool = assignment.pool
    slug = pool.slug
    context = work.task_context(pool, assignment.task)
    try:
        # A drawing step (a tap on the image, Undo) only shows the page again: nothing is stored.
        step = REGISTRY[pool.task_type].step(request.form, pool.labels, context)
    except InvalidTaskAnswer as error:
        return _task_page(assignment, str(error), 422, context=context)
    if step is not None:
        if not _still_yours(assignment):
            flash(_("This task is no longer yours to answer."), "info")
            return redirect(url_for("pools.pool", slug=slug))
        return _task_page(assignment, step.error, 422 if step.error else 200, context=context, draft=step.draft)
    try:
        fresh = work.submit_answer(current_user, assignment, request.form, context=context)
    except InvalidTaskAnswer as error:
        db.session.rollback()
        return _task_page(_own_assignment(assignment_id), str(error), 422)
    except DomainError as error:
        db.session.commit()  # an expired lease is recorded as such
        flash(str(error), "error")
        return redirect(url_for("pools.pool", slug=slug))
    # The message before the commit: after it, choosing its language would read the user again.
    thanks = _("Answer saved. Thank you!") if fresh else None
    db.session.commit()
    if thanks:
        flash(thanks, "success")
    return redirect(url_for("pools.pool", slug=slug))


@bp.get("/earnings")
@login_required
def earnings():
    submissions = list(
        db.session.scalars(
            select(Assignment)
            .where(Assignment.worker_id == current_user.id, Assignment.state == "submitted")
            .order_by(Assignment.submitted_at.desc())
            .limit(100)
        )
    )
    entries = list(
        db.session.scalars(
            select(EarningEntry)
            .where(EarningEntry.worker_id == current_user.id)
            .order_by(EarningEntry.id.desc())
            .limit(50)
        )
    )
    pool_ids = sorted({s.pool_id for s in submissions})
    pools = {p.id: p for p in db.session.scalars(select(Pool).where(Pool.id.in_(pool_ids)))}
    return render_template(
        "pools/earnings.html",
        balances=money.balances(current_user.id),
        summary=services.worker_summary(current_user.id),
        submissions=submissions,
        entries=entries,
        accuracy=shown_accuracies(current_user.id, pool_ids),
        pools=pools,
        payout_lines=services.payout_lines_for(current_user.id),
        needs_payout=services.needs_payout_account(current_user),
        money=money.money,
    )
