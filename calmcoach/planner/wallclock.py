"""Turning local wall-clock times into instants, across daylight-saving changes.

Everything the planner computes is kept in UTC: Python compares two datetimes that share a tzinfo
by their wall-clock reading and ignores `fold`, so 02:30 CEST and 02:30 CET on the autumn night
would compare equal. Instants go back to the local zone only at the edges.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_SECOND = timedelta(seconds=1)


def resolve(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """Given a local date and wall-clock time, return the instant (in UTC) it names.

    A time that occurs twice (autumn fall back) names its first occurrence (fold=0). A time that
    does not exist (spring forward gap) names the first instant after the gap: the change itself,
    so 02:30 on the spring night in Europe/Berlin is 03:00 CEST.
    """
    naive = datetime.combine(day, wall)
    before = naive.replace(tzinfo=zone).utcoffset()
    after = naive.replace(tzinfo=zone, fold=1).utcoffset()
    assert before is not None and after is not None  # a ZoneInfo always knows its offset
    if before >= after:  # an ordinary time, or a repeated one: fold=0 is the first occurrence
        return (naive - before).replace(tzinfo=UTC)
    # In a gap fold=0 reads the time with the offset from before the change, which lands past the
    # change, and fold=1 with the offset from after it, which lands before: the change lies between.
    return _change_between((naive - after).replace(tzinfo=UTC), (naive - before).replace(tzinfo=UTC), zone)


def _change_between(low: datetime, high: datetime, zone: ZoneInfo) -> datetime:
    """Given UTC instants with different offsets in `zone`, return the first one with high's offset."""
    target = high.astimezone(zone).utcoffset()
    # Offsets change on whole seconds, so a bisection over seconds finds the instant exactly.
    lo, hi = 0, int((high - low) / _SECOND)
    while lo < hi:
        middle = (lo + hi) // 2
        if (low + middle * _SECOND).astimezone(zone).utcoffset() == target:
            hi = middle
        else:
            lo = middle + 1
    return low + lo * _SECOND


def local(instant: datetime, zone: ZoneInfo) -> datetime:
    """Given an aware instant, return it as local time in `zone` (with the right `fold`)."""
    return instant.astimezone(zone)


def to_utc(moment: datetime, what: str = "datetime") -> datetime:
    """Given an aware datetime, return it in UTC; raise ValueError for a naive one."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)
