"""How dates, times and money read: in the interface language, laid out as in the reader's country.

The interface speaks English or Swahili (`get_locale()`). Formats come from Babel's locale for that
language in the learner's country (`users.country`) when Babel has one: an English-speaking learner
in Kenya reads en_KE (03/12/2026, Ksh5.00), a Swahili-speaking one sw_KE (03/12/2026, Ksh 5.00), a
learner in India en_IN (03/12/2026, ₹5.00), one in the United States en_US (12/3/2026). Before
login the country is the region of the browser's language (`Accept-Language: en-KE`). Short dates
always show the year in full: 03/12/26 could be read three ways.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from functools import lru_cache

from babel import Locale, localedata
from babel import dates as babel_dates
from flask import has_request_context, request
from flask_babel import get_locale, to_user_timezone
from flask_login import current_user

from samaschool import outage

NAMED_FORMATS = ("short", "medium", "long", "full")


def browser_language(accept: list[tuple[str, float]], supported: tuple[str, ...]) -> str | None:
    """The first of the browser's languages, in its order of preference, that we speak, matched on
    the language alone: `en-KE,en-US,en,sw` is English and `sw-KE` Swahili. (Werkzeug's
    `best_match` prefers an exact tag anywhere in the list to a regional one before it, so it
    answered Swahili to `en-KE,sw;q=0.9`.)"""
    ranked = sorted(enumerate(accept), key=lambda item: (-item[1][1], item[0]))
    for _index, (tag, quality) in ranked:
        language = _language_of(tag)
        if quality > 0 and language in supported:
            return language
    return None


def _language_of(tag: str) -> str:
    return re.split(r"[-_]", tag.strip(), maxsplit=1)[0].lower()


def _browser_region(language: str) -> str | None:
    """The region of the browser's most preferred tag in `language` (`en-KE` -> `KE`)."""
    ranked = sorted(enumerate(request.accept_languages), key=lambda item: (-item[1][1], item[0]))
    for _index, (tag, quality) in ranked:
        parts = re.split(r"[-_]", tag.strip())
        if quality > 0 and parts[0].lower() == language:
            regions = [part.upper() for part in parts[1:] if len(part) == 2 and part.isalpha()]
            return regions[0] if regions else None
    return None


@lru_cache(maxsize=256)
def locale_for(language: str, country: str | None) -> Locale:
    """Babel's locale for `language` as written in `country` (ISO 3166-1 alpha-2) when it has one
    (en_KE, sw_KE, en_IN), else the language's own locale."""
    if country and re.fullmatch(r"[A-Z]{2}", country) and localedata.exists(f"{language}_{country}"):
        return Locale.parse(f"{language}_{country}")
    return Locale.parse(language)


def _country(language: str) -> str | None:
    if not has_request_context():
        return None
    if not outage.database_unavailable() and current_user and current_user.is_authenticated:
        return current_user.country
    return _browser_region(language)


def format_locale() -> Locale:
    """The locale for numbers, money and dates on this request (English outside a request)."""
    interface = get_locale()
    language = interface.language if interface is not None else "en"
    return locale_for(language, _country(language))


def _without_short_year(pattern: str) -> str:
    """`dd/MM/yy` -> `dd/MM/y` (a four-digit year); quoted literal text is left alone."""
    parts = pattern.split("'")
    parts[::2] = [re.sub(r"y+", "y", part) for part in parts[::2]]
    return "'".join(parts)


def date_pattern(locale: Locale, format: str) -> str:
    """The pattern for a named format (`short`, `medium`, `long`, `full`) in `locale`, the year in
    full; any other value is taken as a pattern already."""
    if format not in NAMED_FORMATS:
        return format
    return _without_short_year(locale.date_formats[format].pattern)


def _local(value: datetime) -> datetime:
    return to_user_timezone(value) if has_request_context() else value


def format_date(value: date | datetime, format: str = "medium", locale: Locale | None = None) -> str:
    """A date (a stored UTC moment is first moved to the reader's time zone)."""
    locale = locale or format_locale()
    if isinstance(value, datetime):
        value = _local(value).date()
    return babel_dates.format_date(value, date_pattern(locale, format), locale=locale)


def format_time(value: time | datetime, format: str = "medium", locale: Locale | None = None) -> str:
    locale = locale or format_locale()
    if isinstance(value, datetime):
        value = _local(value)
    return babel_dates.format_time(value, format, tzinfo=getattr(value, "tzinfo", None), locale=locale)


def format_datetime(value: datetime, format: str = "medium", locale: Locale | None = None) -> str:
    """A moment in the reader's time zone: their country's date order, the year in full."""
    locale = locale or format_locale()
    value = _local(value)
    if format not in NAMED_FORMATS:
        return babel_dates.format_datetime(value, format, tzinfo=value.tzinfo, locale=locale)
    return (
        babel_dates.get_datetime_format(format, locale)
        .replace("'", "")
        .replace("{0}", format_time(value, format, locale))
        .replace("{1}", format_date(value, format, locale))
    )
