"""Editing the YAML files of a working copy without disturbing what the edit does not touch.

ruamel.yaml's round-trip mode keeps comments, key order, quoting and block scalars, so a
course kept in git shows a diff of the change alone (the shipped course.yml files come back
byte for byte). Reading for validation stays with `content.yamlfile` (PyYAML, with lines).
"""

from __future__ import annotations

import io
import math
import re
from decimal import Decimal
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.representer import RoundTripRepresenter

__all__ = ["CommentedMap", "CommentedSeq", "YAMLError", "dump", "list_offset", "load", "read_yaml"]

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = yaml.resolver.Resolver()
_STR_TAG = "tag:yaml.org,2002:str"


def read_yaml(text: str) -> Any:
    """YAML as the folder validator reads it (PyYAML, YAML 1.1). Raises yaml.YAMLError."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader


class _Representer(RoundTripRepresenter):
    """ruamel.yaml writes YAML 1.2, where `yes`, `on` and `1:20` are text; the validator reads
    YAML 1.1, where they are a boolean and a number. Text that 1.1 would read as anything but
    text is quoted, and numbers are written so that 1.1 reads them as numbers."""


def _represent_str(representer, data: str):
    style = None
    if "\n" not in data and _RESOLVER.resolve(yaml.nodes.ScalarNode, data, (True, False)) != _STR_TAG:
        style = "'"
    return representer.represent_scalar(_STR_TAG, data, style=style)


def _represent_float(representer, data: float):
    if not math.isfinite(data):
        return RoundTripRepresenter.represent_float(representer, data)
    text = format(Decimal(repr(data)), "f")  # never 1e-07, which YAML 1.1 reads as text
    if "." not in text:
        text += ".0"
    return representer.represent_scalar("tag:yaml.org,2002:float", text)


_Representer.add_representer(str, _represent_str)
_Representer.add_representer(float, _represent_float)


def _yaml(offset: int = 2) -> YAML:
    """Round-trip YAML writing nested lists `offset` spaces in from their key ("  - item", as
    courses/README.md shows, is 2; some files put "- item" right under the key, 0)."""
    writer = YAML()
    writer.Representer = _Representer
    writer.preserve_quotes = True
    writer.width = 4096  # never re-wrap an author's lines
    writer.indent(mapping=2, sequence=offset + 2, offset=offset)
    return writer


def load(text: str) -> Any:
    """Raises YAMLError on text that is not YAML."""
    return _yaml().load(text)


def dump(data: Any, offset: int = 2) -> str:
    out = io.StringIO()
    _yaml(offset).dump(data, out)
    return out.getvalue()


_NESTED_LIST_RE = re.compile(r"^( *)[^ \n#-][^\n]*:[ \t]*\n( *)- ", re.MULTILINE)


def list_offset(text: str, default: int = 2) -> int:
    """How far the file indents a list under its key: `choices:\\n  - text` is 2, `choices:\\n- text` 0."""
    for match in _NESTED_LIST_RE.finditer(text or ""):
        offset = len(match.group(2)) - len(match.group(1))
        if 0 <= offset <= 8:
            return offset
    return default
