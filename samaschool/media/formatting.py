"""File sizes for people, in the interface's language ("24 KB", "1,2 MB")."""

from __future__ import annotations

from babel.numbers import format_decimal
from flask_babel import gettext as _

from samaschool.formatting import format_locale


def format_size(size: int) -> str:
    """Bytes as whole kilobytes below one megabyte (never "0 KB" for a file that has bytes), else
    megabytes with one decimal. Kilo is 1000, as phone data plans count."""
    locale = format_locale()
    if size < 1_000_000:
        kilobytes = max(1, round(size / 1000)) if size else 0
        return _("%(number)s KB", number=format_decimal(kilobytes, locale=locale))
    return _("%(number)s MB", number=format_decimal(round(size / 1_000_000, 1), format="#,##0.0", locale=locale))
