"""Parsers for the values a schedule file holds, each raising `Invalid` with what it expected.

Every parser takes the raw value `tomllib` produced (any type: a person may write `every = 45`
or `days = true`) and returns the typed value, or raises `Invalid` whose message says what was
expected and what was found, e.g. `expected a duration like "45m", got "soon"`. Where the value
is a list, `Invalid.item` names the 1-based position of the bad element.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Sequence

from calmcoach import units
from calmcoach.schedule.hints import did_you_mean
from calmcoach.schedule.model import WEEKDAYS, Channel, TimeWindow

_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAY_SETS: dict[str, frozenset[int]] = {
    "daily": frozenset(range(7)),
    "weekdays": frozenset(range(5)),
    "weekends": frozenset({5, 6}),
}
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


class Invalid(ValueError):
    """A value that does not fit its key. `item` is the 1-based position in a list, if any."""

    def __init__(self, message: str, *, item: int | None = None) -> None:
        super().__init__(message)
        self.item = item

    @property
    def message(self) -> str:
        return str(self.args[0])


def show(value: object) -> str:
    """Given a raw TOML value, return it as it was written: `"soon"`, `45`, `true`, `a table`."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return str(value)
    return describe(value)


def describe(value: object) -> str:
    """Given a raw TOML value, return how to show it after "got": `"soon"`, `45 (a number)`..."""
    if isinstance(value, bool):
        return f"{show(value)} (a boolean)"
    if isinstance(value, int | float):
        return f"{show(value)} (a number)"
    if isinstance(value, str):
        return json.dumps(units.cut(value), ensure_ascii=False)
    if isinstance(value, list):
        return "an empty list" if not value else f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a table"
    return _describe_moment(value)


def _describe_moment(value: object) -> str:
    """Given a TOML date, time or date-time, return how to show it."""
    if isinstance(value, dt.datetime):
        return f"{value.isoformat()} (a date and time)"
    if isinstance(value, dt.date):
        return f"{value.isoformat()} (a date)"
    if isinstance(value, dt.time):
        return f"{value.isoformat()} (a time of day)"
    return type(value).__name__


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def duration(value: object, *, low: dt.timedelta, high: dt.timedelta, bounds: str) -> dt.timedelta:
    """Given "45m", "90s" or "1h30m", return the timedelta, which must lie within [low, high]."""
    if _is_number(value):
        raise Invalid(
            f'expected a duration like "45m", got {describe(value)}; write the unit, like "{value}m"'
        )
    if not isinstance(value, str):
        raise Invalid(f'expected a duration like "45m", got {describe(value)}')
    try:
        delta = units.parse_duration(value)
    except (ValueError, OverflowError):  # timedelta overflows on "99999999999h"
        raise Invalid(f'expected a duration like "45m", got {describe(value)}') from None
    if not low <= delta <= high:
        raise Invalid(f"expected a duration {bounds}, got {describe(value)}")
    return delta


def _clock_problem(text: str) -> str | None:
    """Given text meant as "HH:MM", return what is wrong with it, or None."""
    match = _CLOCK.match(text)
    if not match:
        return 'not a time of day like "09:30"'
    if int(match[1]) > 23:
        return "hours go from 00 to 23"
    if int(match[2]) > 59:
        return "minutes go from 00 to 59"
    return None


def clock(value: object) -> dt.time:
    """Given "HH:MM" (or a TOML time of day in whole minutes), return the time."""
    if isinstance(value, dt.time):
        if value.second or value.microsecond or value.tzinfo is not None:
            raise Invalid(f'expected a time of day in whole minutes like "09:30", got {describe(value)}')
        return value
    if not isinstance(value, str):
        raise Invalid(f'expected a time of day like "09:30", got {describe(value)}')
    problem = _clock_problem(value)
    if problem is not None:
        if problem.startswith("not"):
            raise Invalid(f'expected a time of day like "09:30", got {describe(value)}')
        raise Invalid(f'expected a time of day from "00:00" to "23:59", got {describe(value)}: {problem}')
    hours, minutes = value.strip().split(":")
    return dt.time(int(hours), int(minutes))


def window(value: object) -> TimeWindow:
    """Given "09:00-18:00" (or "22:00-07:30", which crosses midnight), return the window."""
    expected = 'expected a window like "09:00-18:00"'
    if not isinstance(value, str):
        raise Invalid(f"{expected}, got {describe(value)}")
    parts = value.split("-")
    if len(parts) != 2:
        raise Invalid(f"{expected}, got {describe(value)}")
    for part in parts:
        problem = _clock_problem(part)
        if problem is not None:
            shown = json.dumps(part.strip())
            detail = f"{shown} is {problem}" if problem.startswith("not") else f"in {shown}, {problem}"
            raise Invalid(f"{expected}, got {describe(value)}: {detail}")
    start, end = (clock(part) for part in parts)
    if start == end:
        raise Invalid(f"expected a window whose start and end differ, got {describe(value)}")
    return TimeWindow(start, end)


def _day(name: str) -> int:
    """Given "mon", "Monday" or "thurs", return 0-6 (Monday is 0); raise Invalid otherwise."""
    folded = name.strip().lower()
    if folded in WEEKDAYS:
        return WEEKDAYS.index(folded)
    for index, full in enumerate(_FULL_DAY_NAMES):
        if len(folded) >= 3 and full.startswith(folded):
            return index
    hint = did_you_mean(folded, (*WEEKDAYS, *DAY_SETS), quote='"')
    raise Invalid(f'expected a day like "mon" or "sun", got {describe(name)}{hint}')


def _day_item(item: str) -> frozenset[int]:
    """Given "mon", "mon-fri", "fri-mon" (wrapping over the weekend) or "weekdays", return the days."""
    folded = item.strip().lower()
    if folded in DAY_SETS:
        return DAY_SETS[folded]
    if "-" in folded:
        first, _, last = folded.partition("-")
        start, stop = _day(first), _day(last)
        span = (stop - start) % 7
        return frozenset((start + offset) % 7 for offset in range(span + 1))
    return frozenset({_day(folded)})


def days(value: object) -> frozenset[int]:
    """Given "mon-fri", "mon,wed,fri", "daily"/"weekdays"/"weekends" or a list of those, return 0-6s."""
    expected = 'expected days like "mon-fri", "mon,wed,fri", "daily" or ["sat", "sun"]'
    if isinstance(value, str):
        items: list[object] = list(value.split(","))
    elif isinstance(value, list):
        items = list(value)
    else:
        raise Invalid(f"{expected}, got {describe(value)}")
    if not items or items == [""]:
        raise Invalid(f"{expected}, got {describe(value)}")
    chosen: set[int] = set()
    for position, item in enumerate(items, start=1):
        where = position if isinstance(value, list) else None
        if not isinstance(item, str) or not item.strip():
            raise Invalid(f"{expected}, got {describe(item)}", item=where)
        try:
            chosen |= _day_item(item)
        except Invalid as error:
            raise Invalid(error.message, item=where) from None
    return frozenset(chosen)


def choice(value: object, options: Sequence[str], *, what: str) -> str:
    """Given a text that must be one of `options` (any case), return the option it names."""
    listed = ", ".join(options)
    if not isinstance(value, str):
        raise Invalid(f"expected {what} ({listed}), got {describe(value)}")
    folded = value.strip().lower()
    for option in options:
        if option.lower() == folded:
            return option
    hint = did_you_mean(value, options, quote='"')
    raise Invalid(f"expected {what} ({listed}), got {describe(value)}{hint}")


def channels(value: object) -> tuple[Channel, ...]:
    """Given ["notification", "voice"] (or one channel as text), return the channels in order."""
    options = [str(c) for c in Channel]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise Invalid(f'expected a list of channels like ["notification", "voice"], got {describe(value)}')
    if not value:
        raise Invalid(f"expected at least one channel ({', '.join(options)}), got an empty list")
    chosen: list[Channel] = []
    for position, item in enumerate(value, start=1):
        try:
            channel = Channel(choice(item, options, what="a channel"))
        except Invalid as error:
            raise Invalid(error.message, item=position) from None
        if channel in chosen:
            raise Invalid(f'"{channel}" is listed twice', item=position)
        chosen.append(channel)
    return tuple(chosen)


def number(value: object, *, low: float, high: float, what: str = "a number") -> float:
    """Given a number within [low, high] (an integer or a decimal), return it as a float."""
    # `not low <= value <= high` also refuses nan, which TOML allows.
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise Invalid(f"expected {what} from {low:g} to {high:g}, got {describe(value)}")
    return float(value)


def whole_number(value: object, *, low: int, high: int, what: str = "a whole number") -> int:
    """Given an integer within [low, high], return it; decimals and texts are refused."""
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise Invalid(f"expected {what} from {low} to {high}, got {describe(value)}")
    return value


def boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"expected true or false, got {describe(value)}")
    return value


def text(value: object, *, max_length: int, what: str = "a text") -> str:
    """Given a non-empty string of at most `max_length` characters, return it without outer spaces."""
    if not isinstance(value, str):
        raise Invalid(f"expected {what} in quotes, got {describe(value)}")
    stripped = value.strip()
    if not stripped:
        raise Invalid(f"expected {what}, got an empty text")
    if len(stripped) > max_length:
        raise Invalid(f"expected {what} of at most {max_length} characters, got {len(stripped)} characters")
    if any(ord(char) < 32 and char not in "\n\t" for char in stripped):
        raise Invalid(f"expected {what} without control characters, got {describe(value)}")
    return stripped


def _quantity(
    value: object,
    parse: Callable[[str], float],
    *,
    what: str,
    example: str,
    unit: str,
    number_example: str | None = None,
    bounds: str,
    low: float,
    high: float,
) -> float:
    """Given a quantity written with its unit, return it parsed and within [low, high]."""
    if _is_number(value):
        raise Invalid(
            f"expected {what} like {number_example or example}, got {describe(value)}; "
            f'write the unit, like "{value}{unit}"'
        )
    try:
        amount = parse(value) if isinstance(value, str) else None
    except ValueError:
        amount = None
    if amount is None:
        raise Invalid(f"expected {what} like {example}, got {describe(value)}")
    if not low <= amount <= high:
        raise Invalid(f"expected {what} {bounds}, got {describe(value)}")
    return amount


def volume_ml(value: object, *, low: float, high: float, bounds: str) -> float:
    """Given an amount like "250ml", "2l" or "8oz", return millilitres within [low, high]."""
    return _quantity(
        value,
        units.parse_volume_ml,
        what="an amount",
        example='"250ml", "2l" or "8oz"',
        number_example='"250ml" or "2l"',
        unit="ml",
        bounds=bounds,
        low=low,
        high=high,
    )


def caffeine_mg(value: object, *, low: float, high: float, bounds: str) -> float:
    """Given a dose like "96mg", return milligrams within [low, high]."""
    return _quantity(
        value,
        units.parse_caffeine_mg,
        what="a caffeine amount",
        example='"96mg"',
        unit="mg",
        bounds=bounds,
        low=low,
        high=high,
    )


def clock_times(value: object) -> tuple[dt.time, ...]:
    """Given "HH:MM" or a list of them, return the times in ascending order; duplicates are refused."""
    if isinstance(value, str | dt.time):
        return (clock(value),)
    if not isinstance(value, list):
        raise Invalid(
            f'expected a time like "10:30" or a list like ["10:30", "15:00"], got {describe(value)}'
        )
    if not value:
        raise Invalid('expected at least one time, like ["10:30", "15:00"], got an empty list')
    seen: dict[dt.time, int] = {}
    for position, item in enumerate(value, start=1):
        try:
            moment = clock(item)
        except Invalid as error:
            raise Invalid(error.message, item=position) from None
        if moment in seen:
            raise Invalid(
                f'"{moment:%H:%M}" is listed twice (items {seen[moment]} and {position}); '
                "expected each time once",
                item=position,
            )
        seen[moment] = position
    return tuple(sorted(seen))
