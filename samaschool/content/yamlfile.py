"""YAML that remembers where each value came from, so every problem names its line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class Located:
    """A parsed YAML document plus the line of every mapping key and sequence item."""

    data: Any
    file: str
    first_line: int = 1
    lines: dict[tuple, int] = field(default_factory=dict)

    def line(self, *path) -> int:
        """The line of `path`, or of its closest ancestor we know."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.first_line


def _walk(node, path: tuple, lines: dict, offset: int) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = path + (key_node.value,)
            lines[key] = key_node.start_mark.line + 1 + offset
            _walk(value_node, key, lines, offset)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            key = path + (index,)
            lines[key] = item.start_mark.line + 1 + offset
            _walk(item, key, lines, offset)


def parse(text: str, file: str, *, line_offset: int = 0) -> Located | Problem:
    """Parse YAML text; a syntax error comes back as a Problem with its line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = (mark.line + 1 if mark else 1) + line_offset
        return Problem(file, line, f"YAML syntax error: {error.problem or error}")
    except yaml.YAMLError as error:
        return Problem(file, 1 + line_offset, f"YAML error: {error}")
    lines: dict[tuple, int] = {}
    if node is not None:
        _walk(node, (), lines, line_offset)
    return Located(data=data, file=file, first_line=1 + line_offset, lines=lines)


def read_text(path: Path, shown_as: str) -> str | Problem:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        return Problem(shown_as, 1, f"not UTF-8 text ({error.reason})")
    except OSError as error:
        return Problem(shown_as, 1, f"cannot read file: {error.strerror}")
