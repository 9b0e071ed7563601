"""Find the line each table and key of a TOML document was written on.

`tomllib` gives values but no positions, and a message without a line makes the reader hunt. This
is a small scanner, not a parser: it reads headers (`[settings]`, the Nth `[[reminder]]`) and the
keys of `key = value` lines, and steps over values (strings, multi-line strings, arrays and inline
tables that span lines) so that text inside them is never taken for a key. It never raises: it runs
on whatever the file holds, before `tomllib` has said whether that is valid TOML. It also measures
how deeply arrays and inline tables nest, so that absurd nesting is refused before `tomllib`,
which is recursive, runs out of stack on it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field

KeyPath = tuple[str | int, ...]

_BARE = re.compile(r"[A-Za-z0-9_-]+")
# Paths are recorded only this deep: a key of 100 000 dotted parts must not cost 10^10 steps.
# Such nesting is refused anyway, through `LineMap.max_depth`.
MAX_KEY_PARTS = 64
_SIGNIFICANT = re.compile(r"[#\"'\[\]{}]")


@dataclass
class LineMap:
    """The 1-based line of each table and key path, and the deepest nesting seen (of arrays and
    inline tables, or of tables through dotted keys and headers)."""

    lines: dict[KeyPath, int] = field(default_factory=dict)
    max_depth: int = 0
    max_depth_line: int | None = None

    def find(self, path: KeyPath) -> int | None:
        """Given a key path, return the line of it or of the nearest enclosing table or key."""
        for end in range(len(path), 0, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None


def _decode_basic(quoted: str) -> str:
    """Given a "basic string" key with its quotes, return it decoded (escapes and all) as tomllib
    would, so that the key "a\\tb" is found under the name tomllib gives it."""
    try:
        return str(tomllib.loads(f"k = {quoted}")["k"])
    except tomllib.TOMLDecodeError:
        return quoted[1:-1]  # not valid; tomllib will report the file, and this key does not matter


def _read_key_part(text: str, pos: int) -> tuple[str, int] | None:
    """Given a line and the position of a key part (bare, "quoted" or 'literal'), return it and its end."""
    char = text[pos]
    if char == '"':
        end = _skip_string(text, pos + 1, '"')
        if end > len(text) or text[end - 1] != '"':
            return None
        return _decode_basic(text[pos:end]), end
    if char == "'":
        end = text.find("'", pos + 1)
        return (text[pos + 1 : end], end + 1) if end >= 0 else None
    match = _BARE.match(text, pos)
    return (match.group(), match.end()) if match else None


def _read_key(text: str, pos: int) -> tuple[list[str], int] | None:
    """Given a line and a position, read a dotted key ("a.b", '"x y".z'); return parts and end."""
    parts: list[str] = []
    while True:
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos >= len(text):
            return None
        part = _read_key_part(text, pos)
        if part is None:
            return None
        parts.append(part[0])
        pos = part[1]
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos < len(text) and text[pos] == ".":
            pos += 1
            continue
        return parts, pos


@dataclass
class _ValueState:
    """Where the scanner is inside a value that may run over several lines."""

    depth: int = 0  # open [ and { brackets
    string_end: str | None = None  # '"""' or "'''" while inside a multi-line string

    @property
    def open(self) -> bool:
        return self.depth > 0 or self.string_end is not None


def _skip_string(text: str, pos: int, quote: str) -> int:
    """Given the position after an opening quote of a one-line string, return the position after it."""
    while pos < len(text):
        if quote == '"' and text[pos] == "\\":
            pos += 2
            continue
        if text[pos] == quote:
            return pos + 1
        pos += 1
    return pos


def _scan_value(text: str, pos: int, state: _ValueState, on_depth: _DepthWatch, line: int) -> None:
    """Given a line and where a value (or its continuation) starts, update the state to its end."""
    while pos < len(text):
        if state.string_end is not None:
            end = _find_closing(text, pos, state.string_end)
            if end < 0:
                return
            state.string_end = None
            pos = end
            continue
        # Jump to the next character that matters; a long array of numbers is mostly not.
        found = _SIGNIFICANT.search(text, pos)
        if found is None:
            return
        pos = found.start()
        char = text[pos]
        if char == "#":
            return
        if text.startswith('"""', pos) or text.startswith("'''", pos):
            state.string_end = text[pos : pos + 3]
            pos += 3
        elif char in "\"'":
            pos = _skip_string(text, pos + 1, char)
        elif char in "[{":
            state.depth += 1
            on_depth.saw(state.depth, line)
            pos += 1
        elif char in "]}":
            state.depth = max(0, state.depth - 1)
            pos += 1
        else:
            pos += 1


def _find_closing(text: str, pos: int, delimiter: str) -> int:
    """Given text inside a multi-line string, return the position after its closing delimiter, or -1."""
    while pos < len(text):
        if delimiter == '"""' and text[pos] == "\\":
            pos += 2
            continue
        if text.startswith(delimiter, pos):
            # A string may end with up to two extra quotes before the delimiter ("""a""""").
            end = pos + 3
            while end < len(text) and text[end] == delimiter[0] and end - pos < 5:
                end += 1
            return end
        pos += 1
    return -1


@dataclass
class _DepthWatch:
    deepest: int = 0
    line: int | None = None

    def saw(self, depth: int, line: int) -> None:
        if depth > self.deepest:
            self.deepest, self.line = depth, line


@dataclass
class _Tables:
    """The current table, and how many elements each array of tables has had so far."""

    current: KeyPath = ()
    counts: dict[KeyPath, int] = field(default_factory=dict)

    def resolve(self, names: list[str]) -> KeyPath:
        """Given header names, return the path with each array-of-tables' current index inserted."""
        path: KeyPath = ()
        for name in names:
            path = (*path, name)
            if path in self.counts:
                path = (*path, self.counts[path])
        return path

    def enter(self, names: list[str], *, array: bool) -> KeyPath:
        if array:
            parent = self.resolve(names[:-1])
            key = (*parent, names[-1])
            self.counts[key] = self.counts.get(key, 0) + 1
            self.current = (*key, self.counts[key])
        else:
            self.current = self.resolve(names)
        return self.current


def scan(text: str) -> LineMap:
    """Given the text of a TOML document (valid or not), return where its tables and keys are."""
    result = LineMap()
    tables = _Tables()
    state = _ValueState()
    depth = _DepthWatch()
    # TOML ends lines with \n (or \r\n) only; str.splitlines would also split on \x0c or
    # U+2028 and number the lines differently from tomllib.
    for number, line in enumerate(text.split("\n"), start=1):
        if state.open:
            _scan_value(line, 0, state, depth, number)
            continue
        stripped = line.lstrip(" \t")
        offset = len(line) - len(stripped)
        if stripped.startswith("["):
            array = stripped.startswith("[[")
            key = _read_key(line, offset + (2 if array else 1))
            if key is not None:
                depth.saw(len(key[0]), number)
                if len(key[0]) <= MAX_KEY_PARTS:
                    path = tables.enter(key[0], array=array)
                    for end in range(1, len(path) + 1):
                        result.lines.setdefault(path[:end], number)
            continue
        key = _read_key(line, offset)
        if key is None or key[1] >= len(line) or line[key[1]] != "=":
            continue
        names, end = key
        depth.saw(len(tables.current) + len(names), number)  # dotted keys nest tables too
        path = tables.current
        for name in names[:MAX_KEY_PARTS]:
            path = (*path, name)
            result.lines.setdefault(path, number)
        _scan_value(line, end + 1, state, depth, number)
    result.max_depth, result.max_depth_line = depth.deepest, depth.line
    return result
