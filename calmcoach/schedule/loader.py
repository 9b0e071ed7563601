"""Schedule files in, a validated `Schedule` out, or every problem in every file at once.

The steps: read each file (refusing what cannot be a schedule file), parse it with `tomllib`, read
each file's `[settings]` and merge them, then read every `[[reminder]]` against the merged
settings, and finally check what spans files (unique names, at least one reminder). Problems are
collected all the way through and raised together as one `ScheduleError`, each with its file,
line and key path, so that one run of `calmcoach check` shows everything there is to fix.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from calmcoach.content.patterns import BUILT_IN
from calmcoach.errors import CalmcoachError, ScheduleError
from calmcoach.schedule import reading
from calmcoach.schedule.location import FileReport
from calmcoach.schedule.model import Reminder, Schedule
from calmcoach.schedule.reminders import ALL_KEYS as REMINDER_KEYS
from calmcoach.schedule.reminders import NAME as REMINDER_NAME
from calmcoach.schedule.reminders import Rules, read_reminder
from calmcoach.schedule.settings import KEYS as SETTINGS_KEYS
from calmcoach.schedule.settings import build_settings, merge, read_settings
from calmcoach.schedule.tables import TableReader
from calmcoach.schedule.values import describe
from calmcoach.schedule.zone import system_zone

_TOP_LEVEL = ("settings", "reminder")
_PLACES = {
    **dict.fromkeys(REMINDER_KEYS, "belongs in a [[reminder]] table: put it below a [[reminder]] line"),
    **dict.fromkeys(SETTINGS_KEYS, "belongs in the [settings] table: put it below a [settings] line"),
}


@dataclass
class _File:
    """One file as read: its report (problems and key lines) and its TOML table if it parsed."""

    report: FileReport
    data: Mapping[str, Any] | None

    def reminder_tables(self) -> list[object]:
        """Return the file's [[reminder]] entries (checked as tables later), or [] if it has none."""
        tables = self.data.get("reminder") if self.data is not None else None
        return list(tables) if isinstance(tables, list) else []


def _read(path: Path) -> _File:
    report = FileReport(path)
    raw = reading.read_bytes(path, report)
    text = reading.decode(raw, report) if raw is not None else None
    return _File(report, reading.parse(text, report) if text is not None else None)


def _check_top_level(file: _File) -> None:
    """File problems with the file's shape: empty, unknown tables, [reminder] with one bracket."""
    if file.data is None:
        return
    if not file.data:
        file.report.add_file_problem("no [[reminder]] tables: the file is empty")
        return
    TableReader(file.data, (), file.report).check_keys(_TOP_LEVEL, elsewhere=_PLACES)
    tables = file.data.get("reminder", [])
    if isinstance(tables, Mapping):
        file.report.add(
            ("reminder",), "expected [[reminder]] tables, with double brackets, got one [reminder] table"
        )
    elif not isinstance(tables, list):
        file.report.add(("reminder",), f"expected [[reminder]] tables, got {describe(tables)}")


def _duplicate_names(files: Iterable[_File]) -> None:
    """File a problem for each reminder whose name an earlier one (in any file) already has."""
    first: dict[str, tuple[FileReport, int]] = {}
    for file in files:
        for index, table in enumerate(file.reminder_tables(), start=1):
            name = table.get("name") if isinstance(table, Mapping) else None
            if not isinstance(name, str) or not REMINDER_NAME.match(name):
                continue  # a missing or malformed name is reported where the reminder is read
            if name not in first:
                first[name] = (file.report, index)
                continue
            other, other_index = first[name]
            line = other.line_of(("reminder", other_index, "name"))
            where = f"{other.name}:{line}" if line is not None else other.name
            file.report.add(
                ("reminder", index, "name"),
                f'"{name}" is also the name of reminder[{other_index}] at {where}; '
                "expected each name once across all schedule files",
            )


def _no_reminders(files: Sequence[_File]) -> None:
    """File a problem when the files, all read, hold no reminder at all (empty files are filed already)."""
    if any(file.data is None or not file.data or file.reminder_tables() for file in files):
        return
    if any("reminder" in file.data for file in files if file.data is not None):
        return  # a malformed `reminder` key was reported already
    others = " or in the other files" if len(files) > 1 else ""
    files[-1].report.add_file_problem(f"no [[reminder]] tables in this file{others}: expected at least one")


def _assemble(files: Sequence[_File], default_zone: ZoneInfo | None) -> Schedule:
    for file in files:
        _check_top_level(file)
    per_file = [read_settings(file.data, file.report) for file in files if file.data is not None]
    merged, conflicts = merge(itertools.chain.from_iterable(found.settings for found in per_file))
    settings = build_settings(merged, lambda: default_zone or system_zone())
    built_in = tuple(pattern.name for pattern in BUILT_IN)
    declared = set().union(*(found.pattern_names for found in per_file)) - set(built_in)
    rules = Rules(
        settings.bedtime,
        settings.caffeine_cutoff_before_bed,
        built_in + tuple(sorted(declared)),
        settings.quiet_hours,
    )
    reminders: list[Reminder] = []
    for file in files:
        for index, table in enumerate(file.reminder_tables(), start=1):
            reminder = read_reminder(table, index, file.report, rules)
            if reminder is not None:
                reminders.append(reminder)
    _duplicate_names(files)
    _no_reminders(files)
    problems = conflicts + [problem for file in files for problem in file.report.problems]
    if problems:
        raise ScheduleError(problems)
    return Schedule(settings, tuple(reminders), tuple(file.report.path for file in files))


def _unique(files: Sequence[Path]) -> list[Path]:
    """Given paths, return them without repeats of the same file (checking it twice adds nothing)."""
    seen: set[str] = set()
    unique: list[Path] = []
    for path in files:
        key = os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def load_files(files: Sequence[Path], *, default_zone: ZoneInfo | None = None) -> Schedule:
    """Given schedule files, return the validated schedule; raise ScheduleError listing every problem.

    `default_zone` is the zone used when no file sets `timezone` (default: the system's zone).
    """
    if not files:
        raise CalmcoachError("no schedule files given")
    return _assemble([_read(path) for path in _unique(files)], default_zone)


def load_text(text: str, name: str = "<schedule>", *, default_zone: ZoneInfo | None = None) -> Schedule:
    """Given the text of one schedule file and a name to report it under, return the schedule."""
    report = FileReport(Path(name))
    return _assemble([_File(report, reading.parse(text, report))], default_zone)
