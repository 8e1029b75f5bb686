"""The studio's certification form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import Form, HiddenField, IntegerField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields import FieldList, FormField
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget


class QuizRuleForm(Form):
    """One quiz a criterion may name: a minimum score makes passing it a criterion."""

    quiz = HiddenField()  # "<course slug>/<quiz key>"
    min_percent = IntegerField(_l("Minimum score (%)"), validators=[Optional(), NumberRange(min=0, max=100)])


class CertificationForm(FlaskForm):
    version = HiddenField()
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    slug = StringField(_l("Short name for links (lower-case, hyphens)"), validators=[InputRequired(), Length(max=60)])
    description = TextAreaField(_l("What the holder can do"), validators=[InputRequired(), Length(max=2000)])
    validity_months = IntegerField(
        _l("Valid for how many months (empty: never expires)"), validators=[Optional(), NumberRange(min=1, max=120)]
    )
    courses = SelectMultipleField(
        _l("Courses that must be complete"),
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    quizzes = FieldList(FormField(QuizRuleForm), max_entries=500)
    badge = FileField(
        _l("Badge image (SVG or PNG)"),
        description=_l(
            "PNG: square, 90 to 2048 pixels wide, at most 256 KB. SVG: plain shapes and text, at most 100 KB."
        ),
        render_kw={"accept": ".svg,.png,image/svg+xml,image/png"},
    )
