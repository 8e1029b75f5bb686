from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField

from samaschool.catalog.models import LEVELS
from samaschool.labels import LEVEL_NAMES


class CatalogFilterForm(FlaskForm):
    q = SearchField(_l("Search by title"))
    level = SelectField(_l("Level"), choices=[("", _l("Any level"))] + [(lvl, LEVEL_NAMES[lvl]) for lvl in LEVELS])
    language = SelectField(_l("Language"), validate_choice=False)
