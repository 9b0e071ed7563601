"""One `[[reminder]]` table: every key checked, built into a `Reminder`.

A reminder has exactly one trigger (`every`, `at` or `cron`). The one exception is a caffeine
reminder with none: that is the caffeine cut-off, and it fires once a day at bedtime minus
`caffeine_cutoff` (8 h by default), so moving bedtime moves it too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from calmcoach.content.patterns import (
    MAX_SESSION_CYCLES,
    MAX_SESSION_MINUTES,
    MIN_SESSION_CYCLES,
    MIN_SESSION_MINUTES,
)
from calmcoach.content.routines import ROUTINES
from calmcoach.schedule import values
from calmcoach.schedule.cron import cron
from calmcoach.schedule.hints import did_you_mean
from calmcoach.schedule.location import FileReport, KeyPath
from calmcoach.schedule.model import At, Cron, Every, Kind, Reminder, Source, TimeWindow, Trigger
from calmcoach.schedule.settings import KEYS as SETTINGS_KEYS
from calmcoach.schedule.tables import TableReader
from calmcoach.schedule.values import Invalid, describe
from calmcoach.units import format_duration

COMMON_KEYS = ("name", "kind", "every", "at", "cron", "between", "days", "say", "message", "grace")
PRESENCE_KEYS = ("respect_dnd", "hold_limit")  # do-not-disturb and full screen (calmcoach.presence)
KIND_KEYS: dict[Kind, tuple[str, ...]] = {
    Kind.BREATHING: ("pattern", "minutes", "cycles"),
    Kind.STRETCH: ("routine",),
}
ALL_KEYS = (*COMMON_KEYS, *(key for keys in KIND_KEYS.values() for key in keys), *PRESENCE_KEYS)
TRIGGERS = ("every", "at", "cron")
MAX_MESSAGE = 300  # a notification body and about twenty seconds of speech
NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$", re.IGNORECASE)
_SECOND, _WEEK = timedelta(seconds=1), timedelta(days=7)
_ELSEWHERE = dict.fromkeys(
    (key for key in SETTINGS_KEYS if key not in ALL_KEYS),
    "belongs in the [settings] table, not in a [[reminder]]",
)

# Only for the model's defaults of the optional keys, so they are written in one place.
_DEFAULTS = Reminder(name="-", kind=Kind.TIP, trigger=Every(_SECOND), source=Source(Path(), None, 0))


@dataclass(frozen=True)
class Rules:
    """What checking a reminder needs from the settings of all files."""

    bedtime: time
    caffeine_cutoff: timedelta
    patterns: tuple[str, ...]  # built-in names, then the user's
    quiet_hours: TimeWindow | None = None

    @property
    def cutoff_time(self) -> time:
        """Bedtime minus the cut-off, on the clock (23:00 - 8h is 15:00; 01:00 - 8h is 17:00)."""
        return (datetime.combine(date(2000, 1, 2), self.bedtime) - self.caffeine_cutoff).time()


def _name(value: object) -> str:
    if not isinstance(value, str) or not NAME.match(value):
        rule = 'a short name of letters, digits, "-", "_" or "." like "water"'
        raise Invalid(f"expected {rule}, got {describe(value)}")
    return value


def _kind(value: object) -> Kind:
    return Kind(values.choice(value, [str(kind) for kind in Kind], what="a kind"))


def _every(value: object) -> Every:
    return Every(values.duration(value, low=_SECOND, high=_WEEK, bounds="from 1s to 7 days (168h)"))


def _message(value: object) -> str:
    return values.text(value, max_length=MAX_MESSAGE, what="a message")


def _grace(value: object) -> timedelta:
    return values.duration(value, low=timedelta(0), high=timedelta(hours=24), bounds="from 0s to 24h")


def _hold_limit(value: object) -> timedelta:
    return values.duration(value, low=timedelta(0), high=timedelta(hours=24), bounds="from 0s to 24h")


def _minutes(value: object) -> float:
    return values.number(value, low=MIN_SESSION_MINUTES, high=MAX_SESSION_MINUTES, what="minutes")


def _cycles(value: object) -> int:
    return values.whole_number(
        value, low=MIN_SESSION_CYCLES, high=MAX_SESSION_CYCLES, what="a whole number of cycles"
    )


def _named(value: object, options: tuple[str, ...], what: str) -> str:
    """Given the name of a pattern or routine, return it; the error lists the names there are."""
    if isinstance(value, str) and value in options:
        return value
    hint = did_you_mean(value, options, quote='"') if isinstance(value, str) else ""
    raise Invalid(f"expected {what} ({', '.join(options)}), got {describe(value)}{hint}")


def _trigger(reader: TableReader, kind: Kind | None, rules: Rules) -> Trigger | None:
    given = [key for key in TRIGGERS if reader.has(key)]
    if len(given) > 1:
        listed = " and ".join(f"'{key}'" for key in given)
        reader.fail(f"expected exactly one of 'every', 'at' or 'cron', got {listed}", at=given[1])
        for key, parse in (("every", _every), ("at", values.clock_times), ("cron", cron)):
            reader.get(key, parse)  # each may be wrong in its own way too; say so now, not next run
        return None
    if given == ["every"]:
        return reader.get("every", _every)
    if given == ["at"]:
        times = reader.get("at", values.clock_times)
        return At(times) if times is not None else None
    if given == ["cron"]:
        expression = reader.get("cron", cron)
        return Cron(expression) if expression is not None else None
    if kind is Kind.CAFFEINE:
        return At((rules.cutoff_time,))
    if kind is not None:
        reader.fail(
            f'a {kind} reminder needs a trigger: expected one of every = "45m", at = "10:30" '
            'or cron = "0 9 * * mon-fri", got none'
        )
    return None


def _kind_keys(reader: TableReader, kind: Kind | None) -> None:
    """File a problem for each kind-specific key on a reminder of another kind."""
    if kind is None:
        return  # the kind itself is wrong; say that once, not once more per key
    for owner, keys in KIND_KEYS.items():
        for key in keys:
            if reader.has(key) and owner is not kind:
                reader.fail(f"'{key}' applies only to {owner} reminders; this one is kind \"{kind}\"", key)


def read_reminder(table: object, index: int, report: FileReport, rules: Rules) -> Reminder | None:
    """Given a file's `index`th (from 1) [[reminder]] table, return it, or None after filing problems."""
    path: KeyPath = ("reminder", index)
    if not isinstance(table, Mapping):
        report.add(path, f"expected a [[reminder]] table, got {describe(table)}")
        return None
    reader = TableReader(table, path, report)
    reader.check_keys(ALL_KEYS, elsewhere=_ELSEWHERE)
    name = reader.get("name", _name) if reader.require("name", 'name = "water"') else None
    kind = reader.get("kind", _kind) if reader.require("kind", 'kind = "hydration"') else None
    _kind_keys(reader, kind)
    trigger = _trigger(reader, kind, rules)
    between = reader.get("between", values.window)
    days = reader.get("days", values.days)
    say = reader.get("say", values.channels)
    message = reader.get("message", _message)
    grace = reader.get("grace", _grace)
    pattern = reader.get("pattern", lambda v: _named(v, rules.patterns, "a breathing pattern"))
    minutes = reader.get("minutes", _minutes)
    cycles = reader.get("cycles", _cycles)
    routine = reader.get("routine", lambda v: _named(v, tuple(ROUTINES), "a stretch routine"))
    respect_dnd = reader.get("respect_dnd", values.boolean)
    hold_limit = reader.get("hold_limit", _hold_limit)
    if reader.has("minutes") and reader.has("cycles"):
        reader.fail("expected 'minutes' or 'cycles', not both", "cycles")
    if not reader.ok or name is None or kind is None or trigger is None:
        return None
    reminder = Reminder(
        name=name,
        kind=kind,
        trigger=trigger,
        source=Source(report.path, report.line_of(path), index),
        between=between,
        days=days,
        say=say or _DEFAULTS.say,
        message=message,
        grace=grace if grace is not None else _DEFAULTS.grace,
        pattern=pattern,
        minutes=minutes,
        cycles=cycles,
        routine=routine,
        respect_dnd=respect_dnd,
        hold_limit=hold_limit if hold_limit is not None else _DEFAULTS.hold_limit,
    )
    derived = not any(reader.has(key) for key in TRIGGERS)
    for key, message in never_fires(reminder, rules, derived=derived):
        reader.fail(message, key)
    return reminder if reader.ok else None


def _each_minute(window: TimeWindow) -> Iterator[time]:
    """Given a window, yield each minute in it (it may cross midnight)."""
    moment = datetime.combine(date(2000, 1, 1), window.start)
    end = datetime.combine(date(2000, 1, 2 if window.crosses_midnight else 1), window.end)
    while moment < end:
        yield moment.time()
        moment += timedelta(minutes=1)


def never_fires(reminder: Reminder, rules: Rules, *, derived: bool = False) -> list[tuple[str | None, str]]:
    """Given a valid reminder, return (key, message) for each part of it that could never fire.

    The planner drops a time inside the quiet hours, or outside the reminder's own window, without
    a word; a person who wrote it surely meant it to fire, so `check` says so. `derived` is True
    for the caffeine cut-off, whose time comes from bedtime rather than from an `at`.
    """
    quiet, between, trigger = rules.quiet_hours, reminder.between, reminder.trigger
    found: list[tuple[str | None, str]] = []
    if isinstance(trigger, At):
        for moment in trigger.times:
            if quiet is not None and quiet.contains(moment):
                reason = f'falls inside the quiet hours "{quiet}"'
            elif between is not None and not between.contains(moment):
                reason = f'is outside its window, between = "{between}"'
            else:
                continue
            if derived:
                cutoff = f"bedtime {rules.bedtime:%H:%M} minus {format_duration(rules.caffeine_cutoff)}"
                advice = "change bedtime or caffeine_cutoff, or give it an 'at'"
                message = f"its caffeine cut-off, {moment:%H:%M} ({cutoff}), {reason}, so it would never fire"
                found.append((None, f"{message}; {advice}"))
            else:
                found.append(("at", f'"{moment:%H:%M}" {reason}, so it would never fire'))
    elif between is not None and quiet is not None and all(quiet.contains(m) for m in _each_minute(between)):
        found.append(
            ("between", f'"{between}" lies wholly inside the quiet hours "{quiet}", so it would never fire')
        )
    return found
