"""Editing the YAML files of a working copy without disturbing what the edit does not touch.

ruamel.yaml's round-trip mode keeps comments, key order, quoting and block scalars, so a
course kept in git shows a diff of the change alone (the shipped course.yml files come back
byte for byte). Reading for validation stays with `content.yamlfile` (PyYAML, with lines).
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

__all__ = ["CommentedMap", "CommentedSeq", "YAMLError", "dump", "load"]


def _yaml() -> YAML:
    yaml = YAML()  # round-trip
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap an author's lines
    yaml.indent(mapping=2, sequence=4, offset=2)  # "  - item", as courses/README.md shows
    return yaml


def load(text: str) -> Any:
    """Raises YAMLError on text that is not YAML."""
    return _yaml().load(text)


def dump(data: Any) -> str:
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()
