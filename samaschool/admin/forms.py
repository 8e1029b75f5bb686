from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SearchField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from samaschool.labels import AUDIT_ACTION_NAMES
from samaschool.permissions import Role

ROLE_NAMES = {Role.LEARNER: _l("Learner"), Role.TRAINER: _l("Trainer"), Role.ADMIN: _l("Admin")}


class UserSearchForm(FlaskForm):
    q = SearchField(_l("Name or email"))
    role = SelectField(_l("Role"), choices=[("", _l("Any role"))] + [(r.value, ROLE_NAMES[r]) for r in Role])


class AuditSearchForm(FlaskForm):
    """The audit log's search, read from the query string (GET): nothing changes, so no CSRF."""

    class Meta:
        csrf = False

    actor = SearchField(_l("Who (part of a name or email)"), validators=[Optional(), Length(max=200)])
    action = SelectField(_l("What"), validators=[Optional()])
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("Until"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        actions = sorted(AUDIT_ACTION_NAMES.items(), key=lambda item: str(item[1]).casefold())
        self.action.choices = [("", _l("Every action"))] + [(code, name) for code, name in actions]

    def search(self) -> dict:
        """The search as `audit.entries_query` arguments: a value that is not valid (a date that is
        not one, a period that ends before it starts) is marked on its field and left out."""
        self.validate()
        for field in (self.start, self.end):
            if field.errors:
                field.errors[:] = [_l("Give a date as year-month-day, like 2026-03-31.")]
        if self.action.errors:
            self.action.errors[:] = [_l("Choose one of the actions listed.")]
        start, end = self.start.data, self.end.data
        if start and end and end < start:
            self.end.errors = [*self.end.errors, _l("The period ends before it starts.")]
            start = end = None
        return {
            "actor": (self.actor.data or "") if not self.actor.errors else "",
            "action": (self.action.data or None) if not self.action.errors else None,
            "start": start,
            "end": end,
        }


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[(r.value, ROLE_NAMES[r]) for r in Role], validators=[InputRequired()])
    reason = StringField(_l("Reason (kept in the audit log)"), validators=[Length(max=500)])


class ActivationForm(FlaskForm):
    reason = StringField(_l("Reason (kept in the audit log)"), validators=[InputRequired(), Length(max=500)])


class PayoutDecisionForm(FlaskForm):
    """Confirm or refuse a held payout-account change (the button pressed says which)."""

    reason = StringField(_l("Reason (kept in the audit log)"), validators=[Length(max=500)])
