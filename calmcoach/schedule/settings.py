"""The `[settings]` table: read per file, merged across files, built into `Settings`.

Each file's settings are checked on their own, so every problem points at its own file. Settings
are then merged key by key (a `voice` option, a drink or a pattern counts as one key), and a key
given different values in two files is a problem that names both places: which one should win is
not something to guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from calmcoach.content.patterns import BreathingPattern
from calmcoach.errors import Problem
from calmcoach.schedule import values
from calmcoach.schedule.location import FileReport, KeyPath, format_path
from calmcoach.schedule.model import ALL_DAYS, Drink, Settings, TimeWindow, VoiceSettings
from calmcoach.schedule.tables import TableReader
from calmcoach.schedule.user_patterns import read_pattern
from calmcoach.schedule.values import describe, show
from calmcoach.schedule.zone import zone

T = TypeVar("T")

_HOUR = timedelta(hours=1)
_SCALARS: dict[str, Callable[[object], object]] = {
    "timezone": zone,
    "quiet_hours": values.window,
    "days": values.days,
    "bedtime": values.clock,
    "water_goal": lambda v: values.volume_ml(v, low=500, high=10_000, bounds="from 500ml to 10l"),
    "caffeine_limit": lambda v: values.caffeine_mg(v, low=1, high=1000, bounds="from 1mg to 1000mg"),
    "caffeine_half_life": lambda v: values.duration(v, low=_HOUR, high=24 * _HOUR, bounds="from 1h to 24h"),
    "caffeine_cutoff": lambda v: values.duration(
        v, low=timedelta(0), high=23 * _HOUR, bounds="from 0s to 23h"
    ),
    "idle_after": lambda v: values.duration(
        v, low=timedelta(seconds=1), high=24 * _HOUR, bounds="from 1s to 24h"
    ),
    "respect_dnd": values.boolean,
}
_VOICE: dict[str, Callable[[object], object]] = {
    "enabled": values.boolean,
    "rate": lambda v: values.whole_number(v, low=80, high=400, what="words per minute"),
    "volume": lambda v: values.number(v, low=0, high=1, what="a volume"),
    "voice": lambda v: values.text(v, max_length=100, what="a voice name"),
}
_DRINK_KEYS = ("serving", "caffeine")
# Spaces are fine here: `log caffeine flat white` joins its words, as the built-in "green tea" needs.
_DRINK_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9 _.-]{0,38}[a-z0-9])?$", re.IGNORECASE)
_TABLES = ("voice", "drinks", "patterns")
KEYS = (*_SCALARS, *_TABLES)


@dataclass(frozen=True)
class Setting:
    """One setting as one file gives it: the value as written and as parsed, and where."""

    path: KeyPath  # ("settings", "timezone"), ("settings", "voice", "rate"), ("settings", "drinks", NAME)
    raw: object
    value: object
    file: str
    line: int | None


@dataclass
class FileSettings:
    settings: list[Setting]
    pattern_names: set[str]  # every pattern the file declares, valid or not, so that a reminder
    # using a pattern whose definition has a mistake is not also told the pattern does not exist


def _read_drink(name: str, table: object, path: KeyPath, report: FileReport) -> Drink | None:
    if not isinstance(table, Mapping):
        report.add(
            path, f'expected a table like {{ serving = "8oz", caffeine = "96mg" }}, got {describe(table)}'
        )
        return None
    reader = TableReader(table, path, report)
    if not _DRINK_NAME.match(name):
        rule = 'a drink name of letters, digits, spaces, "-", "_" or "." like "flat white"'
        reader.fail(f"expected {rule}, got {describe(name)}")
    reader.check_keys(_DRINK_KEYS)
    reader.require("serving", 'serving = "8oz"')
    reader.require("caffeine", 'caffeine = "96mg"')
    serving = reader.get("serving", lambda v: values.volume_ml(v, low=1, high=2000, bounds="from 1ml to 2l"))
    caffeine = reader.get(
        "caffeine", lambda v: values.caffeine_mg(v, low=0, high=1000, bounds="up to 1000mg")
    )
    if not reader.ok or serving is None or caffeine is None:
        return None
    return Drink(name, serving, caffeine)


class _Collector:
    """Turns the keys of one file's [settings] into `Setting`s, filing problems as it goes."""

    def __init__(self, report: FileReport) -> None:
        self.report = report
        self.found = FileSettings([], set())

    def keep(self, path: KeyPath, raw: object, value: object) -> None:
        self.found.settings.append(Setting(path, raw, value, self.report.name, self.report.line_of(path)))

    def scalars(self, reader: TableReader, parsers: Mapping[str, Callable[[object], object]]) -> None:
        for key, parse in parsers.items():
            value = reader.get(key, parse)
            if value is not None:
                self.keep((*reader.path, key), reader.table[key], value)

    def entries(self, table: Mapping[str, Any], key: str) -> None:
        """Read `drinks` or `patterns`: a table of named entries."""
        path: KeyPath = ("settings", key)
        entries = table[key]
        if not isinstance(entries, Mapping):
            example = (
                '{ espresso = { serving = "1oz", caffeine = "64mg" } }'
                if key == "drinks"
                else ('{ calm = { ratio = "4-6" } }')
            )
            self.report.add(path, f"expected a table of named {key} like {example}, got {describe(entries)}")
            return
        for name, entry in entries.items():
            if key == "patterns":
                self.found.pattern_names.add(name)
                parsed: object = read_pattern(name, entry, (*path, name), self.report)
            else:
                parsed = _read_drink(name, entry, (*path, name), self.report)
            if parsed is not None:
                self.keep((*path, name), entry, parsed)


# The reminder keys (but `days`, which both have); written out because reminders.py imports
# this module. A test keeps the two lists in step.
REMINDER_ONLY_KEYS = (
    *("name", "kind", "every", "at", "cron", "between", "say", "message", "grace"),
    *("pattern", "minutes", "cycles", "routine", "hold_limit"),
)
_ELSEWHERE = dict.fromkeys(REMINDER_ONLY_KEYS, "belongs in a [[reminder]] table, not in [settings]")


def read_settings(data: Mapping[str, Any], report: FileReport) -> FileSettings:
    """Given a file's TOML table, return its settings, filing a problem for each bad key."""
    collector = _Collector(report)
    if "settings" not in data:
        return collector.found
    table = data["settings"]
    if not isinstance(table, Mapping):
        brackets = " (write [settings] with single brackets)" if isinstance(table, list) else ""
        report.add(("settings",), f"expected one [settings] table{brackets}, got {describe(table)}")
        return collector.found
    reader = TableReader(table, ("settings",), report)
    reader.check_keys(KEYS, elsewhere=_ELSEWHERE)
    collector.scalars(reader, _SCALARS)
    if "voice" in table:
        voice = table["voice"]
        if isinstance(voice, Mapping):
            voice_reader = TableReader(voice, ("settings", "voice"), report)
            voice_reader.check_keys(_VOICE)
            collector.scalars(voice_reader, _VOICE)
        else:
            example = "{ enabled = true, rate = 160, volume = 0.8 }"
            report.add(("settings", "voice"), f"expected a table like {example}, got {describe(voice)}")
    for key in ("drinks", "patterns"):
        if key in table:
            collector.entries(table, key)
    return collector.found


def merge(settings: Iterable[Setting]) -> tuple[dict[KeyPath, Setting], list[Problem]]:
    """Given every file's settings in order, return them by key, and a problem for each conflict."""
    merged: dict[KeyPath, Setting] = {}
    problems: list[Problem] = []
    for setting in settings:
        first = merged.setdefault(setting.path, setting)
        if first is setting or first.value == setting.value:
            continue
        where = f"{first.file}:{first.line}" if first.line is not None else first.file
        if isinstance(setting.raw, Mapping) or isinstance(first.raw, Mapping):
            clash = f"defined differently here and in {where}"
        else:
            clash = f"set to {show(setting.raw)} here but to {show(first.raw)} in {where}"
        message = f"{clash}; give it in one file only, or the same in every file"
        problems.append(Problem(setting.file, setting.line, format_path(setting.path), message))
    return merged, problems


def _optional(merged: Mapping[KeyPath, Setting], path: KeyPath, kind: type[T]) -> T | None:
    setting = merged.get(path)
    return setting.value if setting is not None and isinstance(setting.value, kind) else None


def _pick(merged: Mapping[KeyPath, Setting], path: KeyPath, kind: type[T], default: T) -> T:
    setting = merged.get(path)
    return setting.value if setting is not None and isinstance(setting.value, kind) else default


def build_settings(merged: Mapping[KeyPath, Setting], default_zone: Callable[[], ZoneInfo]) -> Settings:
    """Given the merged settings, return `Settings`, with defaults for what no file gives."""
    base = Settings(timezone=ZoneInfo("UTC"))  # only for its defaults; the zone is set below
    voice = VoiceSettings(
        enabled=_pick(merged, ("settings", "voice", "enabled"), bool, base.voice.enabled),
        rate=_pick(merged, ("settings", "voice", "rate"), int, base.voice.rate),
        volume=_pick(merged, ("settings", "voice", "volume"), float, base.voice.volume),
        voice=_optional(merged, ("settings", "voice", "voice"), str),
    )
    return Settings(
        timezone=_optional(merged, ("settings", "timezone"), ZoneInfo) or default_zone(),
        quiet_hours=_optional(merged, ("settings", "quiet_hours"), TimeWindow),
        days=_pick(merged, ("settings", "days"), frozenset, ALL_DAYS),
        bedtime=_pick(merged, ("settings", "bedtime"), time, base.bedtime),
        water_goal_ml=_pick(merged, ("settings", "water_goal"), float, base.water_goal_ml),
        caffeine_limit_mg=_pick(merged, ("settings", "caffeine_limit"), float, base.caffeine_limit_mg),
        caffeine_half_life=_pick(
            merged, ("settings", "caffeine_half_life"), timedelta, base.caffeine_half_life
        ),
        caffeine_cutoff_before_bed=_pick(
            merged, ("settings", "caffeine_cutoff"), timedelta, base.caffeine_cutoff_before_bed
        ),
        voice=voice,
        idle_after=_pick(merged, ("settings", "idle_after"), timedelta, base.idle_after),
        respect_dnd=_pick(merged, ("settings", "respect_dnd"), bool, base.respect_dnd),
        drinks=tuple(
            s.value for s in merged.values() if s.path[1] == "drinks" and isinstance(s.value, Drink)
        ),
        patterns=tuple(
            s.value
            for s in merged.values()
            if s.path[1] == "patterns" and isinstance(s.value, BreathingPattern)
        ),
    )
