from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from samaschool.labels import POOL_STATUS_NAMES as STATUS_NAMES
from samaschool.pools.api_tokens import USER_FIELDS
from samaschool.pools.models import POOL_STATUSES, REVIEW_MODES
from samaschool.pools.task_types import REGISTRY

REVIEW_NAMES = {
    "manual": _l("Manual review"),
    "auto_days": _l("Approve automatically after some days"),
    "auto_gold": _l("Approve automatically when gold accuracy is high enough"),
}


class PoolForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    slug = StringField(
        _l("Short name for links"),
        validators=[
            InputRequired(),
            Regexp(
                r"^[a-z][a-z0-9-]{0,59}$",
                message=_l("Use lower-case letters, digits and hyphens, starting with a letter."),
            ),
        ],
    )
    client = StringField(_l("Client"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("Short description"), validators=[InputRequired(), Length(max=2000)])
    instructions = TextAreaField(
        _l("Instructions for workers (Markdown)"), validators=[InputRequired(), Length(max=50_000)]
    )
    task_type = SelectField(_l("Task type"), choices=[(k, t.label) for k, t in REGISTRY.items()])
    labels = TextAreaField(
        _l("Labels, one per line (classification, tagging and bounding boxes)"), validators=[Optional()]
    )
    reward = StringField(_l("Reward per approved task (e.g. 5.00)"), validators=[InputRequired()])
    currency = StringField(
        _l("Currency (ISO code, e.g. KES, UGX, INR, USD)"),
        validators=[InputRequired(), Regexp(r"^[A-Z]{3}$", message=_l("Three capital letters."))],
    )
    status = SelectField(_l("Status"), choices=[(s, STATUS_NAMES[s]) for s in POOL_STATUSES])
    lease_minutes = IntegerField(
        _l("Minutes a worker may hold a task"), default=30, validators=[InputRequired(), NumberRange(min=1, max=1440)]
    )
    max_concurrent_claims = IntegerField(
        _l("Tasks one worker may hold at once"), default=1, validators=[InputRequired(), NumberRange(min=1, max=50)]
    )
    daily_cap = IntegerField(
        _l("Most tasks per worker per day (empty: no cap)"), validators=[Optional(), NumberRange(min=1, max=100_000)]
    )
    overlap = IntegerField(
        _l("Different workers per task"), default=1, validators=[InputRequired(), NumberRange(min=1, max=9)]
    )
    review_mode = SelectField(_l("Review"), choices=[(m, REVIEW_NAMES[m]) for m in REVIEW_MODES])
    auto_approve_days = IntegerField(
        _l("Days before automatic approval"), validators=[Optional(), NumberRange(min=1, max=60)]
    )
    auto_approve_accuracy = IntegerField(
        _l("Gold accuracy for automatic approval (%)"), validators=[Optional(), NumberRange(min=1, max=100)]
    )
    required_certifications = SelectMultipleField(_l("Certifications workers must hold"), validate_choice=False)
    countries = StringField(_l("Countries (ISO codes separated by spaces; empty: all)"), validators=[Optional()])
    min_skill_percent = IntegerField(
        _l("Minimum pool skill (%) (empty: none)"), validators=[Optional(), NumberRange(min=1, max=100)]
    )
    quality_threshold_percent = IntegerField(
        _l("Suspend below this gold accuracy (%)"),
        default=70,
        validators=[InputRequired(), NumberRange(min=0, max=100)],
    )
    quality_min_gold = IntegerField(
        _l("…after this many gold answers"), default=5, validators=[InputRequired(), NumberRange(min=1, max=1000)]
    )
    suspension_days = IntegerField(
        _l("Suspension length (days)"), default=7, validators=[InputRequired(), NumberRange(min=1, max=365)]
    )
    iou_threshold_percent = IntegerField(
        _l("Bounding boxes: how much a box must overlap the right one to count (%)"),
        default=50,
        validators=[InputRequired(), NumberRange(min=1, max=100)],
    )
    max_error_percent = IntegerField(
        _l("Transcription: most character errors a transcript may have to count as right (%)"),
        default=10,
        validators=[InputRequired(), NumberRange(min=0, max=100)],
    )


class TaskImportForm(FlaskForm):
    file = FileField(_l("Tasks file (.csv, .jsonl, or .zip with media)"), validators=[FileRequired()])


class ReviewForm(FlaskForm):
    action = SelectField(_l("Action"), choices=[("approve", _l("Approve")), ("reject", _l("Reject"))])
    reason = StringField(
        _l("Reason (required to reject; the worker sees it)"), validators=[Optional(), Length(max=500)]
    )


class BatchForm(FlaskForm):
    currency = StringField(_l("Currency"), validators=[InputRequired(), Regexp(r"^[A-Z]{3}$")])
    threshold = StringField(_l("Pay everyone with at least (e.g. 100.00)"), validators=[InputRequired()])


class LineForm(FlaskForm):
    state = SelectField(_l("Result"), choices=[("paid", _l("Paid")), ("failed", _l("Failed"))])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class ScopeForm(FlaskForm):
    """What an API token may read; the choices of `pools` are the pools there are."""

    pools = SelectMultipleField(
        _l("Pools it may read"), coerce=int, widget=ListWidget(prefix_label=False), option_widget=CheckboxInput()
    )
    fields = SelectMultipleField(
        _l("Workers' details it may read"),
        choices=list(USER_FIELDS.items()),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


class TokenForm(ScopeForm):
    name = StringField(_l("What the token is for"), validators=[InputRequired(), Length(max=120)])


class BonusForm(FlaskForm):
    email = StringField(_l("Worker's email"), validators=[InputRequired(), Length(max=254)])
    amount = StringField(_l("Amount (e.g. 50.00)"), validators=[InputRequired()])
    currency = StringField(_l("Currency"), validators=[InputRequired(), Regexp(r"^[A-Z]{3}$")])
    reason = StringField(_l("Reason (the worker sees it)"), validators=[InputRequired(), Length(max=500)])
