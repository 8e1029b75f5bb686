from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import Email, EqualTo, InputRequired, Length, NumberRange, Optional, ValidationError

from samaschool.auth.passwords import password_problem
from samaschool.choices import GENDERS, country_choices, language_choices

MIN_AGE = 13


def strip(value):
    """Phone keyboards often add a trailing space; it is never part of an email or name."""
    return value.strip() if isinstance(value, str) else value


class NewPassword:
    """Field validator: our password rules, with the form's email and name in view."""

    def __call__(self, form, field):
        email = form.email.data if hasattr(form, "email") else ""
        name = form.name.data if hasattr(form, "name") else ""
        if problem := password_problem(field.data or "", email=email or "", name=name or ""):
            raise ValidationError(str(problem))


class SignUpForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[InputRequired(), Length(max=120)], filters=[strip])
    email = EmailField(_l("Email"), validators=[InputRequired(), Email(), Length(max=254)], filters=[strip])
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(), NewPassword()],
        description=_l("At least 10 characters. A few unrelated words are strong and easy to remember."),
    )
    country = SelectField(_l("Country"), validators=[InputRequired()])
    preferred_language = SelectField(_l("Preferred language"), validators=[InputRequired()])
    gender = SelectField(_l("Gender (optional)"), choices=GENDERS, validators=[Optional()])
    birth_year = IntegerField(
        _l("Year of birth (optional)"),
        validators=[Optional()],
        description=_l("Gender and year of birth are optional. We use them only for anonymous impact statistics."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = [("", _l("Choose your country"))] + country_choices()
        self.preferred_language.choices = language_choices()

    def validate_birth_year(self, field):
        if field.data is None:
            return
        this_year = date.today().year
        if not (this_year - 100 <= field.data <= this_year - MIN_AGE):
            raise ValidationError(
                _l(
                    "Enter a year between %(low)d and %(high)d. You must be at least %(age)d.",
                    low=this_year - 100,
                    high=this_year - MIN_AGE,
                    age=MIN_AGE,
                )
            )


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[InputRequired(), Length(max=254)], filters=[strip])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=256)])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[InputRequired()])
    new_password = PasswordField(_l("New password"), validators=[InputRequired()])
    confirm = PasswordField(
        _l("New password again"),
        validators=[InputRequired(), EqualTo("new_password", message=_l("The two new passwords differ."))],
    )


class EndOtherSessionsForm(FlaskForm):
    """Only the CSRF token: the button that logs out everywhere else."""


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[InputRequired(), Email(), Length(max=254)], filters=[strip])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[InputRequired()])
    confirm = PasswordField(
        _l("New password again"),
        validators=[InputRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )


class ResetLinkForm(FlaskForm):
    email = EmailField(_l("Learner's email"), validators=[InputRequired(), Length(max=254)], filters=[strip])


class ProfileForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[InputRequired(), Length(max=120)], filters=[strip])
    certificate_name = StringField(
        _l("Name on your certificates (optional)"),
        validators=[Optional(), Length(max=120)],
        filters=[strip],
        description=_l("For example your full official name. Empty: we use your name above."),
    )
    country = SelectField(_l("Country"), validators=[InputRequired()])
    preferred_language = SelectField(_l("Preferred language"), validators=[InputRequired()])
    timezone = SelectField(_l("Time zone"), validators=[InputRequired()])
    gender = SelectField(_l("Gender (optional)"), choices=GENDERS, validators=[Optional()])
    birth_year = IntegerField(_l("Year of birth (optional)"), validators=[Optional(), NumberRange(min=1900)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        import zoneinfo

        self.country.choices = country_choices()
        self.preferred_language.choices = language_choices()
        self.timezone.choices = sorted(zoneinfo.available_timezones())

    validate_birth_year = SignUpForm.validate_birth_year


class PayoutAccountForm(FlaskForm):
    """Where earnings go: changed only with the current password (see auth/payout_accounts.py)."""

    payout_account = StringField(
        _l("Where to send your earnings (optional)"),
        validators=[Optional(), Length(max=100)],
        filters=[strip],
        description=_l("Your mobile-money number (M-Pesa, MTN MoMo, Airtel Money, UPI ID) or bank account."),
    )
    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(), Length(max=256)],
        description=_l("Needed to change where your earnings go."),
    )
