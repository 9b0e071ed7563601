"""Key paths inside a schedule file and the problems filed against them.

A key path is a tuple such as ("reminder", 2, "every") or ("settings", "voice", "rate"): names of
tables and keys, with the 1-based index of an array-of-tables element (or of a list item) after
the name of the array. It is printed as `reminder[2].every` and looked up in a `LineMap` to find
the line it was written on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from calmcoach.errors import Problem
from calmcoach.schedule.lines import LineMap

KeyPath = tuple[str | int, ...]

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def quote_key(key: str) -> str:
    """Given a key as written, return it for a message: 'every', or "a\\nb" with escapes, so that
    a quoted key holding a line break cannot break the one-line-per-problem format."""
    return f"'{key}'" if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def format_path(path: KeyPath) -> str:
    """Given a key path, return it as written in messages: `reminder[2].every`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = part if _BARE_KEY.match(part) else json.dumps(part, ensure_ascii=False)
            text += f".{name}" if text else name
    return text


@dataclass
class FileReport:
    """The problems found in one file, each placed on the line its key path was written on."""

    path: Path
    lines: LineMap = field(default_factory=LineMap)
    problems: list[Problem] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.path)

    def add(self, path: KeyPath, message: str, *, at: KeyPath | None = None) -> None:
        """File a problem under `path`, on the line of `at` (default: of `path` itself)."""
        self.problems.append(Problem(self.name, self.lines.find(at or path), format_path(path), message))

    def add_file_problem(self, message: str, line: int | None = None) -> None:
        """File a problem with the file as a whole (it cannot be read, or it is empty)."""
        self.problems.append(Problem(self.name, line, "", message))

    def line_of(self, path: KeyPath) -> int | None:
        return self.lines.find(path)
