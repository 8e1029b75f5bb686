from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField, StringField
from wtforms.validators import InputRequired, Length

from samaschool.permissions import Role

ROLE_NAMES = {Role.LEARNER: _l("Learner"), Role.TRAINER: _l("Trainer"), Role.ADMIN: _l("Admin")}


class UserSearchForm(FlaskForm):
    q = SearchField(_l("Name or email"))
    role = SelectField(_l("Role"), choices=[("", _l("Any role"))] + [(r.value, ROLE_NAMES[r]) for r in Role])


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[(r.value, ROLE_NAMES[r]) for r in Role], validators=[InputRequired()])
    reason = StringField(_l("Reason (kept in the audit log)"), validators=[Length(max=500)])


class ActivationForm(FlaskForm):
    reason = StringField(_l("Reason (kept in the audit log)"), validators=[InputRequired(), Length(max=500)])


class PayoutDecisionForm(FlaskForm):
    """Confirm or refuse a held payout-account change (the button pressed says which)."""

    reason = StringField(_l("Reason (kept in the audit log)"), validators=[Length(max=500)])
