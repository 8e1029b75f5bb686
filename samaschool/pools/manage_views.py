"""Pool managers and admins: pools, task imports, suspensions, review, payouts, API tokens."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from samaschool.auth.models import User
from samaschool.certification.models import Certification
from samaschool.db_types import utcnow
from samaschool.errors import DomainError
from samaschool.extensions import db
from samaschool.forms import ActionForm
from samaschool.media import MAX_UPLOAD_BYTES, upload_limit
from samaschool.permissions import Role, pool_manager_required, role_required
from samaschool.pools import api_tokens, money, quality, review, services, tasks, work
from samaschool.pools.forms import (
    BatchForm,
    BonusForm,
    LineForm,
    PoolForm,
    ReviewForm,
    ScopeForm,
    TaskImportForm,
    TokenForm,
)
from samaschool.pools.models import ApiToken, Assignment, PayoutBatch, PayoutLine, Pool, Suspension
from samaschool.pools.task_types import REGISTRY
from samaschool.web import int_list, page_arg

bp = Blueprint("pool_admin", __name__, url_prefix="/manage")


@bp.before_request
@pool_manager_required
def _managers_only():
    return None


def _pool_or_404(pool_id: int) -> Pool:
    pool = db.get_or_404(Pool, pool_id)
    return pool


@bp.get("/pools")
def pools():
    items = list(db.session.scalars(select(Pool).order_by(Pool.created_at.desc())))
    return render_template("pools/manage_pools.html", items=items, money=money.money)


@bp.route("/pools/new", methods=["GET", "POST"])
@bp.route("/pools/<int:pool_id>/edit", methods=["GET", "POST"])
def edit_pool(pool_id: int | None = None):
    pool = _pool_or_404(pool_id) if pool_id else None
    form = PoolForm(obj=pool)
    form.required_certifications.choices = [
        (c.slug, c.name) for c in db.session.scalars(select(Certification).where(Certification.archived_at.is_(None)))
    ]
    if request.method == "GET" and pool is not None:
        form.labels.data = "\n".join(pool.labels)
        form.reward.data = money.amount_for_input(pool.reward_minor, pool.currency)
        form.instructions.data = pool.instructions_markdown
        form.countries.data = " ".join(pool.countries)
        form.required_certifications.data = pool.required_certifications
    if form.validate_on_submit():
        try:
            saved = services.save_pool(current_user, pool, form)
        except ValueError as error:
            field, message = error.args
            getattr(form, field).errors.append(message)
        else:
            db.session.commit()
            flash(_("Pool saved."), "success")
            return redirect(url_for(".tasks_page", pool_id=saved.id))
    return render_template("pools/manage_pool_form.html", form=form, pool=pool), 422 if form.errors else 200


@bp.route("/pools/<int:pool_id>/tasks", methods=["GET", "POST"])
@upload_limit(MAX_UPLOAD_BYTES)  # a zip of task media; every other route keeps the 2 MB cap
def tasks_page(pool_id: int):
    pool = _pool_or_404(pool_id)
    form = TaskImportForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        head = upload.stream.read(4)
        upload.stream.seek(0)
        if tasks.is_zip(head):
            report = tasks.import_zip(pool, upload.stream, upload.filename or "tasks.zip")
        else:
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                form.file.errors.append(_("The file is not UTF-8 text."))
            else:
                report = tasks.import_tasks(pool, text, upload.filename or "tasks.csv")
        if report is not None:
            if report.errors:
                db.session.rollback()
            else:
                db.session.commit()
                flash(_("%(n)d tasks added (%(g)d gold).", n=report.created, g=report.gold), "success")
                if report.media:
                    flash(
                        ngettext("%(num)d media file stored.", "%(num)d media files stored.", report.media), "success"
                    )
    suspensions = list(
        db.session.scalars(
            select(Suspension).where(
                Suspension.pool_id == pool.id, Suspension.lifted_at.is_(None), Suspension.ends_at > utcnow()
            )
        )
    )
    status = 422 if form.errors or (report and report.errors) else 200
    return render_template(
        "pools/manage_tasks.html",
        pool=pool,
        form=form,
        report=report,
        suspensions=suspensions,
        action_form=ActionForm(),
        kind=REGISTRY[pool.task_type],
        max_upload_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
    ), status


@bp.post("/suspensions/<int:suspension_id>/lift")
def lift_suspension(suspension_id: int):
    suspension = db.get_or_404(Suspension, suspension_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if suspension.lifted_at is None:
        try:
            quality.lift(current_user, suspension, utcnow())
        except DomainError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("The worker is reinstated."), "success")
    return redirect(url_for(".tasks_page", pool_id=suspension.pool_id))


@bp.route("/review", methods=["GET", "POST"])
def review_queue():
    """Pending (and recent) submissions. Due auto-approvals are a periodic job (`flask jobs run`)."""
    form = ReviewForm()
    if form.validate_on_submit():
        ids = int_list("ids", values=request.form)
        done, problems = 0, []
        for assignment in db.session.scalars(select(Assignment).where(Assignment.id.in_(ids))):
            try:
                if form.action.data == "approve":
                    done += review.approve(current_user, assignment, reason=form.reason.data or "")
                else:
                    done += review.reject(current_user, assignment, form.reason.data or "")
            except DomainError as error:
                problems.append(str(error))
        db.session.commit()
        if problems:
            flash(problems[0], "error")
        flash(_("%(n)d submission(s) updated.", n=done), "success")
        return redirect(url_for(".review_queue", **request.args))
    query = (
        select(Assignment)
        .where(Assignment.state == "submitted")
        .order_by(Assignment.submitted_at)
        .options(selectinload(Assignment.task))  # one query for the page's tasks, not one each
    )
    status = request.args.get("status", "pending")
    if status in ("pending", "approved", "rejected"):
        query = query.where(Assignment.review_state == status)
    if pool_slug := request.args.get("pool"):
        query = query.join(Pool, Pool.id == Assignment.pool_id).where(Pool.slug == pool_slug)
    if worker := request.args.get("worker", "").strip().lower():
        query = query.join(User, User.id == Assignment.worker_id).where(User.email == worker)
    page = db.paginate(query, page=page_arg(), per_page=50, error_out=False)
    pools = list(db.session.scalars(select(Pool).order_by(Pool.name)))
    worker_ids = {assignment.worker_id for assignment in page.items}
    workers = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(worker_ids)))}
    return render_template(
        "pools/review.html",
        page=page,
        form=form,
        pools=pools,
        status=status,
        workers=workers,
        pools_by_id={p.id: p for p in pools},  # each answer is shown as its pool's task type shows it
        media=work.media_of(a.task for a in page.items),
        kinds=REGISTRY,
    )


@bp.route("/payouts", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def payouts():
    form = BatchForm()
    if form.validate_on_submit():
        threshold = _typed_amount(form.threshold, form.currency)
        if threshold is not None:
            batch = money.create_batch(current_user, form.currency.data, threshold)
            db.session.commit()
            if batch is None:
                flash(_("Nobody has that much waiting to be paid."), "info")
                return redirect(url_for(".payouts"))
            return redirect(url_for(".batch", batch_id=batch.id))
    return _payouts_page(form, BonusForm(prefix="bonus"))


def _typed_amount(amount_field, currency_field) -> int | None:
    """The amount typed in `amount_field`, in minor units of the typed currency; or None, with
    the reason added to the field at fault."""
    if not money.is_known_currency(currency_field.data):
        currency_field.errors.append(_("Unknown currency code."))
        return None
    try:
        return money.to_minor(amount_field.data, currency_field.data)
    except money.AmountError as error:
        amount_field.errors.append(str(error))
        return None


def _payouts_page(form: BatchForm, bonus_form: BonusForm):
    batches = list(db.session.scalars(select(PayoutBatch).order_by(PayoutBatch.id.desc()).limit(50)))
    line_counts = dict(
        db.session.execute(
            select(PayoutLine.batch_id, func.count())
            .where(PayoutLine.batch_id.in_([b.id for b in batches]))
            .group_by(PayoutLine.batch_id)
        ).all()
    )
    status = 422 if form.errors or bonus_form.errors else 200
    return render_template(
        "pools/payouts.html", form=form, bonus_form=bonus_form, batches=batches, line_counts=line_counts
    ), status


@bp.post("/bonuses")
@role_required(Role.ADMIN)
def bonus():
    form = BonusForm(prefix="bonus")
    if form.validate_on_submit():
        worker = db.session.scalar(select(User).where(User.email == form.email.data.strip().lower()))
        amount = _typed_amount(form.amount, form.currency)
        if worker is None:
            form.email.errors.append(_("No account has this email."))
        elif amount is not None:
            try:
                money.add_bonus(current_user, worker, amount, form.currency.data, form.reason.data)
            except DomainError as error:
                form.amount.errors.append(str(error))
            else:
                db.session.commit()
                flash(_("Bonus added to %(name)s's earnings.", name=worker.name), "success")
                return redirect(url_for(".payouts"))
    return _payouts_page(BatchForm(formdata=None), form)


@bp.get("/payouts/<int:batch_id>")
@role_required(Role.ADMIN)
def batch(batch_id: int):
    batch = db.get_or_404(PayoutBatch, batch_id)
    return render_template("pools/batch.html", batch=batch, money=money.money, line_form=LineForm())


@bp.get("/payouts/<int:batch_id>.csv")
@role_required(Role.ADMIN)
def batch_csv(batch_id: int):
    batch = db.get_or_404(PayoutBatch, batch_id)
    return (
        money.batch_csv(batch),
        200,
        {
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="payout-{batch.id}.csv"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.post("/payout-lines/<int:line_id>")
@role_required(Role.ADMIN)
def mark_line(line_id: int):
    line = db.get_or_404(PayoutLine, line_id)
    form = LineForm()
    if form.validate_on_submit():
        money.mark_line(current_user, line, form.state.data, form.note.data or "")
        db.session.commit()
    return redirect(url_for(".batch", batch_id=line.batch_id))


def _pool_choices() -> list[tuple[int, str]]:
    return [(pool.id, pool.name) for pool in db.session.scalars(select(Pool).order_by(Pool.name, Pool.id))]


@bp.route("/api-tokens", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def tokens():
    form = TokenForm()
    form.pools.choices = _pool_choices()
    shown = None
    if form.validate_on_submit():
        _token, shown = api_tokens.create(current_user, form.name.data, form.pools.data, form.fields.data)
        db.session.commit()
    items = list(db.session.scalars(select(ApiToken).order_by(ApiToken.id.desc())))
    pool_names = dict(form.pools.choices)
    scopes = {  # by token: the names of its pools and of the details it may read
        t.id: (
            [pool_names[i] for i in t.pool_ids or [] if i in pool_names],
            [str(name) for field, name in api_tokens.USER_FIELDS.items() if field in (t.user_fields or [])],
        )
        for t in items
    }
    response = render_template(
        "pools/tokens.html", form=form, items=items, shown=shown, action_form=ActionForm(), scopes=scopes
    )
    return response, 422 if form.errors else 200, {"Cache-Control": "no-store"}


@bp.route("/api-tokens/<int:token_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def token_scope(token_id: int):
    """What one token may read: its pools and the workers' details."""
    token = db.get_or_404(ApiToken, token_id)
    form = ScopeForm(pools=token.pool_ids, fields=token.user_fields)
    form.pools.choices = _pool_choices()
    if form.validate_on_submit():
        api_tokens.set_scope(current_user, token, form.pools.data, form.fields.data)
        db.session.commit()
        flash(_("What the token may read is saved."), "success")
        return redirect(url_for(".tokens"))
    return render_template("pools/token_scope.html", form=form, token=token), 422 if form.errors else 200


@bp.post("/api-tokens/<int:token_id>/revoke")
@role_required(Role.ADMIN)
def revoke_token(token_id: int):
    token = db.get_or_404(ApiToken, token_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    api_tokens.revoke(current_user, token)
    db.session.commit()
    flash(_("Token revoked."), "success")
    return redirect(url_for(".tokens"))
