"""Translations in templates without Flask-Babel's per-call lookups.

Flask-Babel's template `_()` finds the request's translations again on every call: three lookups
through `flask.g` and the locale's name built anew (a course page makes some sixty calls). Here
they are looked up once per request and locale and kept beside Flask-Babel's own per-request
state, keyed by the locale object itself: `force_locale` (e-mails in the recipient's language)
and `flask_babel.refresh()` change that object, so a switched locale is always looked up again.
"""

from __future__ import annotations

from flask import Flask
from flask.globals import _cv_app
from flask_babel import get_translations


def translations():
    """The translations of the request's current locale (Flask-Babel's `get_translations()`)."""
    app_context = _cv_app.get(None)
    babel_state = getattr(app_context.g, "_flask_babel", None) if app_context is not None else None
    locale = getattr(babel_state, "babel_locale", None)
    if locale is None:  # outside a request, or before the locale was first chosen
        return get_translations()
    cached = getattr(babel_state, "samaschool_translations", None)
    if cached is not None and cached[0] is locale:
        return cached[1]
    found = get_translations()
    babel_state.samaschool_translations = (locale, found)
    return found


def install(app: Flask) -> None:
    """Replace the gettext callables Flask-Babel installed in the app's templates (call after it)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
