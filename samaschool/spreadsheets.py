"""CSV files people open in a spreadsheet: cells that cannot run as formulas."""

from __future__ import annotations

import re


def csv_safe(value: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: neutralise them, but keep
    a phone number such as +254 700 000001 as it is, for the mobile-money upload."""
    if re.fullmatch(r"\+?[0-9][0-9 ]*", value):
        return value
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
