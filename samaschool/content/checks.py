"""Field checks for content files. Each check records a Problem with the value's line."""

from __future__ import annotations

import re
from typing import Any

from samaschool.content.yamlfile import Located, Problem

SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{0,59}$")
MISSING = object()
SLUG_RULE = "(lower-case letters, digits and hyphens, starting with a letter, at most 60)"


class Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, file: str, line: int, message: str) -> None:
        self.problems.append(Problem(file, line, message))

    def at(self, doc: Located, path: tuple, message: str) -> None:
        self.add(doc.file, doc.line(*path), message)

    def mapping(self, doc: Located, path: tuple, value: Any, what: str) -> bool:
        if not isinstance(value, dict):
            self.at(doc, path, f"{what} must be a mapping of keys to values")
            return False
        return True

    def known_keys(self, doc: Located, path: tuple, value: dict, allowed: set[str]) -> None:
        for key in value:
            if key not in allowed:
                hint = ", ".join(sorted(allowed))
                self.at(doc, path + (key,), f"unknown key '{key}' (expected one of: {hint})")

    def text(self, doc: Located, path: tuple, mapping: dict, key: str, *, required=True, max_length=None):
        value = mapping.get(key, MISSING)
        if value is MISSING or value is None:
            if required:
                self.at(doc, path, f"'{key}' is required")
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            self.at(doc, path + (key,), f"'{key}' must be non-empty text")
            return None
        if max_length and len(value) > max_length:
            self.at(doc, path + (key,), f"'{key}' is longer than {max_length} characters")
            return None
        return value.strip()

    def integer(self, doc: Located, path: tuple, mapping: dict, key: str, low: int, high: int, *, default=MISSING):
        value = mapping.get(key, MISSING)
        if value is MISSING:
            if default is MISSING:
                self.at(doc, path, f"'{key}' is required")
                return None
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.at(doc, path + (key,), f"'{key}' must be a whole number from {low} to {high}")
            return None
        return value

    def choice(self, doc: Located, path: tuple, mapping: dict, key: str, options, *, default=MISSING):
        value = mapping.get(key, MISSING)
        if value is MISSING:
            if default is MISSING:
                self.at(doc, path, f"'{key}' is required")
                return None
            return default
        if value not in options:
            self.at(doc, path + (key,), f"'{key}' must be one of: {', '.join(map(str, options))}")
            return None
        return value

    def slug(self, doc: Located, path: tuple, value: Any, what: str) -> str | None:
        if not isinstance(value, str) or not SLUG_RE.match(value):
            self.at(
                doc,
                path,
                f"{what} '{value}' is not a valid slug " + SLUG_RULE,
            )
            return None
        return value
