"""Parsing the small quantities people type: durations ("1h30m"), volumes ("2l") and doses ("95mg").

Each parser raises `ValueError` with a message that says what was expected, so that callers can
place it under a file and key (schedules) or a command-line argument (log commands).
"""

from __future__ import annotations

import re
from datetime import time, timedelta

SHOWN_TEXT = 60  # longer input is cut in messages, so one line stays readable


def cut(text: object, limit: int = SHOWN_TEXT) -> object:
    """Given a value to quote back in a message, return it, a text cut to `limit` characters
    ("..." at the end). Anything else comes back as it is: a parser given a value that is not
    text must still say so with its ValueError."""
    if isinstance(text, str) and len(text) > limit:
        return text[: limit - 3] + "..."
    return text


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(h|m|s)", re.IGNORECASE)
_DURATION_WHOLE = re.compile(r"^\s*(?:\d+(?:\.\d+)?\s*[hms]\s*)+$", re.IGNORECASE)
_SECONDS_PER_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0}

ML_PER_UNIT = {"ml": 1.0, "l": 1000.0, "cl": 10.0, "oz": 29.5735}
# A glass and a bottle are what the log commands default to; the sizes are ours, stated in help.
ML_PER_CONTAINER = {"glass": 250.0, "cup": 240.0, "bottle": 500.0}
_QUANTITY = re.compile(r"^\s*(\d+(?:\.\d+)?)?\s*([a-z]+)?\s*$", re.IGNORECASE)
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_duration(text: str) -> timedelta:
    """Given "90s", "45m" or "1h30m", return the timedelta; raise ValueError otherwise."""
    if not isinstance(text, str) or not _DURATION_WHOLE.match(text):
        raise ValueError(f'expected a duration like "45m", "90s" or "1h30m", got {cut(text)!r}')
    seconds = sum(float(n) * _SECONDS_PER_UNIT[u.lower()] for n, u in _DURATION_PART.findall(text))
    try:
        return timedelta(seconds=seconds)
    except OverflowError:  # "99999999999999h" (or inf) is past timedelta's range: a typo, not a crash
        raise ValueError(f"expected a duration of at most 999999999 days, got {cut(text)!r}") from None


def format_duration(delta: timedelta) -> str:
    """Given a timedelta, return the shortest "1h30m"-style text that parses back to it."""
    total = round(delta.total_seconds())
    if total == 0:
        return "0s"
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{seconds}s" if seconds else ""]
    return "".join(parts)


def parse_clock(text: str) -> time:
    """Given "HH:MM" on the 24-hour clock, return the time; raise ValueError for "25:00" and such."""
    match = _CLOCK.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f'expected a time of day like "09:30", got {cut(text)!r}')
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        raise ValueError(f"expected a time of day between 00:00 and 23:59, got {cut(text)!r}")
    return time(hour, minute)


def parse_volume_ml(text: str) -> float:
    """Given "250ml", "2l", "8oz", "glass", "2 glasses" or "bottle", return millilitres."""
    match = _QUANTITY.match(text.lower()) if isinstance(text, str) else None
    if not match or not (match[1] or match[2]):
        raise ValueError(
            f'expected an amount like "250ml", "0.5l", "8oz", "glass" or "bottle", got {cut(text)!r}'
        )
    number = float(match[1]) if match[1] else 1.0
    unit = _singular(match[2] or "ml")
    factor = ML_PER_UNIT.get(unit) or ML_PER_CONTAINER.get(unit)
    if factor is None or number <= 0:
        raise ValueError(
            f'expected an amount like "250ml", "0.5l", "8oz", "glass" or "bottle", got {cut(text)!r}'
        )
    return number * factor


def _singular(unit: str) -> str:
    """Given "glasses", "bottles", "cups" or a unit, return the singular the tables use."""
    if unit in ML_PER_UNIT or unit in ML_PER_CONTAINER:
        return unit
    for plural_ending in ("es", "s"):
        if unit.endswith(plural_ending) and unit[: -len(plural_ending)] in ML_PER_CONTAINER:
            return unit[: -len(plural_ending)]
    return unit


def parse_caffeine_mg(text: str) -> float:
    """Given "95mg" (or "0.1g"), return milligrams of caffeine; raise ValueError otherwise."""
    match = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(mg|g)\s*$", text.lower()) if isinstance(text, str) else None
    if not match:
        raise ValueError(f'expected a caffeine dose like "95mg", got {cut(text)!r}')
    value = float(match[1]) * (1000.0 if match[2] == "g" else 1.0)
    if value <= 0:
        raise ValueError(f"expected a caffeine dose above 0 mg, got {cut(text)!r}")
    return value
