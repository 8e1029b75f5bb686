from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional


class VerifyForm(FlaskForm):
    credential = TextAreaField(_l("Paste a credential (the long text starting with eyJ)"), validators=[Optional()])
    badge = FileField(_l("Or choose a badge file (PNG or SVG)"))


class RevokeForm(FlaskForm):
    reason = StringField(_l("Reason (the learner sees it)"), validators=[InputRequired(), Length(max=500)])


class CertificateFilterForm(FlaskForm):
    certification = SelectField(_l("Certification"), validate_choice=False)
    status = SelectField(
        _l("Status"),
        choices=[
            ("", _l("Any status")),
            ("valid", _l("Valid")),
            ("expired", _l("Expired")),
            ("revoked", _l("Revoked")),
        ],
    )
    issued_from = StringField(_l("Issued from (YYYY-MM-DD)"))
    issued_to = StringField(_l("Issued until (YYYY-MM-DD)"))


class CertificationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    slug = StringField(_l("Short name for links (lower-case, hyphens)"), validators=[InputRequired(), Length(max=60)])
    description = TextAreaField(_l("What the holder can do"), validators=[InputRequired(), Length(max=2000)])
    validity_months = IntegerField(
        _l("Valid for how many months (empty: never expires)"), validators=[Optional(), NumberRange(min=1, max=120)]
    )
    courses = SelectMultipleField(_l("Courses that must be complete"), validate_choice=False)
    quiz = SelectField(_l("Quiz or exam that must be passed (optional)"), validate_choice=False)
    min_percent = IntegerField(
        _l("Minimum score in that quiz (%)"), validators=[Optional(), NumberRange(min=0, max=100)]
    )
    badge_svg = TextAreaField(_l("Badge image (SVG code)"), validators=[Optional(), Length(max=100_000)])
