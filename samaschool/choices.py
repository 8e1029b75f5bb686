"""Choice lists shared by forms: countries, languages, genders."""

from __future__ import annotations

from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

# Where our learners are; listed first in the country menu.
FIRST_COUNTRIES = ("KE", "UG", "IN", "US")

# Languages a learner may prefer (for content and, where translated, the interface).
LANGUAGES = {
    "en": "English",
    "sw": "Kiswahili",
    "hi": "हिन्दी (Hindi)",
    "lg": "Luganda",
    "es": "Español",
}
INTERFACE_LANGUAGES = ("en", "sw")

GENDERS = [
    ("", _l("Prefer not to say")),
    ("woman", _l("Woman")),
    ("man", _l("Man")),
    ("other", _l("Another gender")),
]


def country_choices() -> list[tuple[str, str]]:
    locale = get_locale() or Locale("en")
    names = {code: name for code, name in locale.territories.items() if len(code) == 2 and code.isalpha()}
    names.pop("ZZ", None)
    first = [(code, names[code]) for code in FIRST_COUNTRIES]
    rest = sorted(((c, n) for c, n in names.items() if c not in FIRST_COUNTRIES), key=lambda item: item[1])
    return first + rest


def country_name(code: str) -> str:
    locale = get_locale() or Locale("en")
    return locale.territories.get(code, code)


def language_choices() -> list[tuple[str, str]]:
    return list(LANGUAGES.items())


def language_name(code: str) -> str:
    return LANGUAGES.get(code, code)
