"""The person's own breathing patterns, from `[settings.patterns]`.

Two ways to write one, as breathing apps offer them (DESIGN section 5):

    calm = { inhale = 4, hold = 2, exhale = 6, rest = 0 }       # seconds per phase (top_up too)
    slow-478 = { ratio = "4-7-8", unit = "1.5s" }              # a ratio and the length of one part

A ratio has two to four parts: in-out, in-hold-out or in-hold-out-rest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta

from calmcoach.content.patterns import BUILT_IN, BreathingPattern, make_pattern
from calmcoach.schedule import values
from calmcoach.schedule.location import FileReport, KeyPath
from calmcoach.schedule.tables import TableReader
from calmcoach.schedule.values import Invalid, describe

PHASE_KEYS = ("inhale", "hold", "exhale", "rest", "top_up")
RATIO_KEYS = ("ratio", "unit")
ALL_KEYS = (*PHASE_KEYS, *RATIO_KEYS, "description")
MAX_PHASE_S = 60.0  # longer than a minute is not a breath; it is almost certainly a typo
NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$", re.IGNORECASE)
NAME_RULE = 'a short name of letters, digits, "-", "_" or "."'
SOURCE = "your own pattern, from your schedule file"
_RATIO = re.compile(r"^\s*\d+(?:\.\d+)?(?:\s*[-:]\s*\d+(?:\.\d+)?){1,3}\s*$")


def _seconds(value: object) -> float:
    return values.number(value, low=0, high=MAX_PHASE_S, what="seconds")


def _unit(value: object) -> float:
    """Given "1s", "1.5s" or a number of seconds, return seconds (0.1 to 30)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return values.number(value, low=0.1, high=30, what="seconds per part of the ratio")
    low, high = timedelta(seconds=0.1), timedelta(seconds=30)
    return values.duration(value, low=low, high=high, bounds="from 0.1s to 30s").total_seconds()


def _ratio(value: object) -> tuple[float, float, float, float]:
    """Given "4-7-8", "1-2" or "4-4-4-4", return (inhale, hold, exhale, rest) in parts."""
    if not isinstance(value, str) or not _RATIO.match(value):
        raise Invalid(f'expected a ratio like "4-7-8" (in-hold-out) or "4-7-8-0", got {describe(value)}')
    parts = [float(p) for p in re.split(r"[-:]", value)]
    if len(parts) == 2:
        parts = [parts[0], 0.0, parts[1]]
    inhale, hold, exhale, rest = (*parts, 0.0, 0.0)[:4]
    if inhale <= 0 or exhale <= 0:
        raise Invalid(f"expected a ratio whose breath in and breath out are above 0, got {describe(value)}")
    return inhale, hold, exhale, rest


def _by_ratio(reader: TableReader, name: str, description: str) -> BreathingPattern | None:
    parts = reader.get("ratio", _ratio)
    unit = reader.get("unit", _unit) if reader.has("unit") else 1.0
    if parts is None or unit is None:
        return None
    inhale, hold, exhale, rest = (part * unit for part in parts)
    if max(inhale, hold, exhale, rest) > MAX_PHASE_S:
        reader.fail(
            f"expected phases of at most {MAX_PHASE_S:g} seconds, got {max(parts) * unit:g} with this unit",
            "unit",
        )
        return None
    return make_pattern(name, inhale, hold, exhale, rest, description=description, source=SOURCE)


def _by_seconds(reader: TableReader, name: str, description: str) -> BreathingPattern | None:
    found = {key: reader.get(key, _seconds) for key in PHASE_KEYS}
    for key in ("inhale", "exhale"):
        if not reader.has(key):
            reader.fail(
                f"missing '{key}'; expected the seconds of each phase, like {{ inhale = 4, exhale = 6 }}, "
                'or a ratio, like { ratio = "4-7-8" }'
            )
        elif found[key] == 0:
            direction = "in" if key == "inhale" else "out"
            reader.fail(f"expected seconds above 0 for the breath {direction}, got 0", key)
    if not reader.ok:
        return None
    seconds = {key: value or 0.0 for key, value in found.items()}
    return make_pattern(
        name,
        seconds["inhale"],
        seconds["hold"],
        seconds["exhale"],
        seconds["rest"],
        top_up=seconds["top_up"],
        description=description,
        source=SOURCE,
    )


def read_pattern(name: str, table: object, path: KeyPath, report: FileReport) -> BreathingPattern | None:
    """Given a pattern's name and table, return the pattern, or None after filing what is wrong."""
    if not isinstance(table, Mapping):
        report.add(
            path,
            'expected a table like { ratio = "4-7-8" } or { inhale = 4, exhale = 6 }, '
            f"got {describe(table)}",
        )
        return None
    reader = TableReader(table, path, report)
    if not NAME.match(name):
        reader.fail(f'expected {NAME_RULE} like "calm", got {describe(name)}')
    elif any(pattern.name == name for pattern in BUILT_IN):
        reader.fail(f'"{name}" is a built-in pattern; give yours another name')
    reader.check_keys(ALL_KEYS)
    description = reader.get("description", lambda v: values.text(v, max_length=200, what="a description"))
    uses_ratio = [key for key in RATIO_KEYS if reader.has(key)]
    uses_seconds = [key for key in PHASE_KEYS if reader.has(key)]
    if uses_ratio and uses_seconds:
        reader.fail(
            "expected either a ratio or the seconds of each phase, "
            f"got both '{uses_ratio[0]}' and '{uses_seconds[0]}'",
            at=uses_seconds[0],
        )
        return None
    if not reader.ok:
        return None
    if uses_ratio:
        if not reader.has("ratio"):
            reader.fail("missing 'ratio'; expected a line like ratio = \"4-7-8\" to go with the unit")
            return None
        return _by_ratio(reader, name, description or "")
    return _by_seconds(reader, name, description or "")
