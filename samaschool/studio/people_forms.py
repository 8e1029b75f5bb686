"""Forms of the studio's staff page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField
from wtforms.validators import InputRequired, Length

from samaschool.auth.forms import strip

STAFF_ROLE_NAMES = {"owner": _l("Owner"), "co_trainer": _l("Co-trainer")}


class AddStaffForm(FlaskForm):
    email = EmailField(
        _l("Trainer's email"),
        validators=[InputRequired(), Length(max=254)],
        filters=[strip],
        description=_l("They must already have a trainer's account: an admin gives the role."),
    )
    role = SelectField(
        _l("Role"),
        choices=list(STAFF_ROLE_NAMES.items()),
        default="co_trainer",  # when the form has no choice (an owner's), a co-trainer
    )
