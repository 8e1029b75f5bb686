"""Choice lists shared by forms: countries, languages, genders."""

from __future__ import annotations

import re

from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

# Where our learners are; listed first in the country menu.
FIRST_COUNTRIES = ("KE", "UG", "IN", "US")

# Languages a learner may prefer (for content and, where translated, the interface), each by
# its own name: what its speakers look for in the menu.
LANGUAGES = {
    "en": "English",
    "sw": "Kiswahili",
    "hi": "हिन्दी",
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
    """Each language by its own name, and by the reader's name for it when that differs:
    "Kiswahili (Swahili)" in English, "English (Kiingereza)" in Swahili."""
    choices = []
    for code, own_name in LANGUAGES.items():
        name = language_name(code)
        choices.append((code, own_name if name == own_name else f"{own_name} ({name})"))
    return choices


def language_name(code: str) -> str:
    """A language's name in the reader's language (Babel's locale data): "Swahili" in English,
    "Kiingereza" for English in Swahili; the code itself when neither knows it."""
    locale = get_locale() or Locale("en")
    return locale.languages.get(code) or LANGUAGES.get(code, code)


def lang_attribute(code: str | None) -> Markup:
    """` lang="en"` for content written in another language than the page's (English lessons in a
    Swahili page are then read with English pronunciation); nothing when they are the same."""
    if not code or not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", code):
        return Markup("")
    locale = get_locale() or Locale("en")
    if code.split("-")[0].lower() == locale.language:
        return Markup("")
    return Markup(' lang="%s"') % code


def in_language(text: str, code: str | None) -> Markup:
    """`text` (escaped) in a `<span lang>` when it is written in another language than the page's:
    for content inside an interface sentence ("Module 1: <span lang="en">Getting started</span>")."""
    attribute = lang_attribute(code)
    if not attribute:
        return escape(text)
    return Markup("<span%s>%s</span>") % (attribute, text)
