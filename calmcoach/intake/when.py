"""When something happened: the `--at` values of the log commands.

Accepted: "HH:MM" (today, in the schedule's zone), an ISO 8601 date and time ("2024-05-06T14:30",
"2024-05-06 14:30", with or without an offset; without one it is read in the schedule's zone), or
a time ago ("45m ago", "-1h30m"). Nothing may lie more than a minute in the future: a log records
what happened, and a minute covers clocks that disagree a little. Nothing may lie before EARLIEST
either (see there), nor so far out that `datetime` cannot hold it in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from calmcoach.units import cut, parse_clock, parse_duration

FUTURE_SLACK = timedelta(minutes=1)
# The earliest time a log records. Fixed rather than "some years before now", so that whether a
# value is accepted does not depend on the day it is typed, and the store's texts stay in
# 2000-9999, where every year has four digits and the text order is the time order.
# calmcoach is much younger than this and intake is logged as it happens, so no real entry
# lies before it; the years 1-999 of `datetime` made texts that sorted after today's.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)

_EXPECTED = 'expected "HH:MM" (today), an ISO 8601 date and time like "2024-05-06T14:30", or "45m ago"'
_BOUNDS = f"expected a time from {EARLIEST:%Y-%m-%d %H:%M} UTC up to now"


def parse_at(text: str, now: datetime, tz: tzinfo) -> datetime:
    """Given an --at value, now and the schedule's zone, return the aware instant it names.

    Raise ValueError when it cannot be read, lies in the future or before EARLIEST.
    """
    value = text.strip()
    try:
        moment = _ago(value, now) or _clock_today(value, now, tz) or _iso(value, tz)
        instant = moment.astimezone(UTC) if moment is not None else None
    except OverflowError:
        # Moving a time near datetime's ends (year 1, year 9999) to another offset, or a long
        # time ago, leaves the range `datetime` can hold; such a time is out of bounds anyway.
        raise ValueError(f"{cut(text)!r} is out of range; {_BOUNDS}") from None
    if moment is None or instant is None:
        raise ValueError(f"{_EXPECTED}, got {cut(text)!r}")
    # In UTC: subtracting two datetimes that share a ZoneInfo compares their wall clocks, which on
    # the night summer time starts would let "02:59" (an instant after 03:10) through.
    if instant - now.astimezone(UTC) > FUTURE_SLACK:
        hint = " (for yesterday, give the date: YYYY-MM-DDTHH:MM)" if len(value) <= 5 else ""
        raise ValueError(f"{cut(text)!r} is in the future ({moment:%Y-%m-%d %H:%M %Z}){hint}")
    if instant < EARLIEST:
        raise ValueError(f"{cut(text)!r} is too long ago; {_BOUNDS}")
    return moment


def _ago(value: str, now: datetime) -> datetime | None:
    if value.startswith("-"):
        body = value[1:]
    elif value.lower().endswith(" ago"):
        body = value[:-4]
    else:
        return None
    try:
        elapsed = parse_duration(body)
    except ValueError:
        return None
    # In UTC: "90m ago" is 90 real minutes, also across a change to or from summer time (wall-clock
    # arithmetic in the zone would be an hour off), shown in now's zone.
    return (now.astimezone(UTC) - elapsed).astimezone(now.tzinfo)


def _clock_today(value: str, now: datetime, tz: tzinfo) -> datetime | None:
    try:
        clock = parse_clock(value)
    except ValueError:
        return None
    return _real(datetime.combine(now.astimezone(tz).date(), clock, tzinfo=tz), tz)


def _iso(value: str, tz: tzinfo) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if len(value) <= 10:  # a bare date says nothing about when in the day
        return None
    # An instant given with another offset is kept in the schedule's zone, so that `log undo`,
    # `today` and the export show it at the same local time as `log` did.
    return moment.astimezone(tz) if moment.tzinfo is not None else _real(moment.replace(tzinfo=tz), tz)


def _real(moment: datetime, tz: tzinfo) -> datetime:
    """Given a wall-clock time in the zone, return it as the zone's clock shows that instant.

    The same for every time but those in the hour skipped when summer time starts: "02:30" that
    night is read with the offset before the change, the instant the clock shows as 03:30.
    """
    return moment.astimezone(UTC).astimezone(tz)
