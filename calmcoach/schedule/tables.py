"""Reading one TOML table key by key, filing a problem for every bad or unknown key."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from calmcoach.schedule.hints import did_you_mean
from calmcoach.schedule.location import FileReport, KeyPath, quote_key
from calmcoach.schedule.values import Invalid

T = TypeVar("T")


class TableReader:
    """Parses the keys of one table at `path`, remembering whether anything in it was wrong."""

    def __init__(self, table: Mapping[str, object], path: KeyPath, report: FileReport) -> None:
        self.table = table
        self.path = path
        self.report = report
        self.ok = True

    def has(self, key: str) -> bool:
        return key in self.table

    def fail(self, message: str, key: str | None = None, *, at: str | None = None) -> None:
        """File a problem under this table (or one of its keys), placed on the line of `at`."""
        self.ok = False
        path = self.path if key is None else (*self.path, key)
        self.report.add(path, message, at=(*self.path, at) if at is not None else None)

    def get(self, key: str, parse: Callable[[object], T]) -> T | None:
        """Given a key and its parser, return the parsed value, or None if absent or invalid."""
        if key not in self.table:
            return None
        try:
            return parse(self.table[key])
        except Invalid as error:
            self.ok = False
            path = (*self.path, key) if error.item is None else (*self.path, key, error.item)
            self.report.add(path, error.message, at=(*self.path, key))
            return None

    def require(self, key: str, example: str) -> bool:
        """Given a key the table must have, file a problem and return False when it is missing."""
        if key in self.table:
            return True
        self.fail(f"missing '{key}'; expected a line like {example}")
        return False

    def check_keys(self, allowed: Iterable[str], *, elsewhere: Mapping[str, str] | None = None) -> None:
        """File an "unknown key" problem, with a hint, for each key not in `allowed`.

        `elsewhere` maps keys that belong somewhere else to a phrase saying where.
        """
        known = list(allowed)
        for key in self.table:
            if key in known:
                continue
            if elsewhere and key in elsewhere:
                self.fail(f"'{key}' {elsewhere[key]}", key)
            else:
                hint = did_you_mean(key, known) or f"; expected one of: {', '.join(known)}"
                self.fail(f"unknown key {quote_key(key)}{hint}", key)
