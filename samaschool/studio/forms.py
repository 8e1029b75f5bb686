"""Forms of the studio's course, module and lesson pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from samaschool.catalog.models import LEVELS
from samaschool.choices import language_choices
from samaschool.content.checks import SLUG_RE
from samaschool.labels import LEVEL_NAMES

SLUG_HELP = _l(
    "Lower-case letters, digits and hyphens, starting with a letter. It is part of the address and cannot change."
)
SLUG_MESSAGE = _l("Use lower-case letters, digits and hyphens, starting with a letter (at most 60).")


def _slug_field(label):
    return StringField(
        label,
        validators=[InputRequired(), Length(max=60), Regexp(SLUG_RE.pattern, message=SLUG_MESSAGE)],
        description=SLUG_HELP,
    )


class VersionedForm(FlaskForm):
    """Carries the version of the file the page was loaded from (see studio.files.save_text)."""

    version = HiddenField()

    def loaded_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


class CourseDetailsForm(VersionedForm):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    summary = TextAreaField(_l("Summary (what learners will be able to do)"), validators=[Optional(), Length(max=2000)])
    level = SelectField(_l("Level"), choices=[(level, LEVEL_NAMES[level]) for level in LEVELS])
    language = SelectField(_l("Language of the course"), validate_choice=False)
    estimated_hours = IntegerField(
        _l("Estimated hours (lessons and quizzes)"), validators=[InputRequired(), NumberRange(min=1, max=200)]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices()


class NewCourseForm(CourseDetailsForm):
    slug = _slug_field(_l("Short name (for the course's address)"))


class ModuleForm(VersionedForm):
    title = StringField(_l("Module title"), validators=[InputRequired(), Length(max=200)])
    summary = StringField(_l("Summary (optional)"), validators=[Optional(), Length(max=500)])


class NewModuleForm(ModuleForm):
    slug = _slug_field(_l("Short name of the module"))


class NewLessonForm(VersionedForm):
    title = StringField(_l("Lesson title"), validators=[InputRequired(), Length(max=200)])
    slug = _slug_field(_l("Short name of the lesson"))
    minutes = IntegerField(_l("Minutes to read"), validators=[InputRequired(), NumberRange(min=1, max=120)])


class LessonForm(VersionedForm):
    title = StringField(_l("Lesson title"), validators=[InputRequired(), Length(max=200)])
    minutes = IntegerField(_l("Minutes to read"), validators=[InputRequired(), NumberRange(min=1, max=120)])
    body = TextAreaField(_l("Lesson text (Markdown)"), validators=[Length(max=200_000)])
    media = FileField(_l("Image or sound file"))
    media_text = TextAreaField(
        _l("Alt text for an image, or the transcript of a sound"),
        validators=[Optional(), Length(max=5000)],
        description=_l("Required: what someone who cannot see the image or hear the sound needs to know."),
    )


class ImportZipForm(FlaskForm):
    archive = FileField(_l("Course zip"))
