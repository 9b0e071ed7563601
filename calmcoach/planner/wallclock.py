"""Turning local wall-clock times into instants, across daylight-saving changes.

Everything the planner computes is kept in UTC: Python compares two datetimes that share a tzinfo
by their wall-clock reading and ignores `fold`, so 02:30 CEST and 02:30 CET on the autumn night
would compare equal. Instants go back to the local zone only at the edges.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_SECOND = timedelta(seconds=1)
_DAY = timedelta(days=1)
_MIDNIGHT = time(0, 0)
_SAMPLES = 4  # offsets checked per day, 6 hours apart, besides the day's length


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


def to_utc(moment: datetime, what: str = "datetime") -> datetime:
    """Given an aware datetime, return it in UTC; raise ValueError for a naive one."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


class ZoneClock:
    """One zone's wall clock, remembering which days have no clock change so most work is arithmetic.

    A day counts as plain when it lasts exactly 24 hours and its offset is the same at midnight,
    06:00, 12:00, 18:00 and just before the next midnight; on a plain day wall time and instant
    differ by that offset. Everything else goes through `resolve` and `astimezone`, which are
    exact but several times slower. (Two clock changes cancelling out within six hours would fool
    the check; no zone in the tz database has that.) One clock may serve many reminders.
    """

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._offsets: dict[date, timedelta | None] = {}

    def offset_on(self, day: date) -> timedelta | None:
        """Given a local date, return its UTC offset if it is the same all day, else None."""
        if day not in self._offsets:
            self._offsets[day] = self._plain_offset(day)
        return self._offsets[day]

    def _plain_offset(self, day: date) -> timedelta | None:
        start = resolve(day, _MIDNIGHT, self.zone)
        end = resolve(day + _DAY, _MIDNIGHT, self.zone)
        if end - start != _DAY:
            return None
        probes = [start + k * (_DAY / _SAMPLES) for k in range(_SAMPLES)] + [end - _SECOND]
        offsets = {probe.astimezone(self.zone).utcoffset() for probe in probes}
        return offsets.pop() if len(offsets) == 1 else None

    def instant(self, day: date, wall: time) -> datetime:
        """Given a local date and wall-clock time, return the instant in UTC, as `resolve` does."""
        offset = self.offset_on(day)
        if offset is None:
            return resolve(day, wall, self.zone)
        return datetime.combine(day, wall, tzinfo=UTC) - offset

    def second_showing(self, day: date, wall: time) -> datetime | None:
        """Given a local date and wall-clock time, return (in UTC) its second occurrence that
        day when the clocks fall back over it, else None."""
        if self.offset_on(day) is not None:
            return None
        naive = datetime.combine(day, wall)
        first = naive.replace(tzinfo=self.zone).utcoffset()
        second = naive.replace(tzinfo=self.zone, fold=1).utcoffset()
        assert first is not None and second is not None  # a ZoneInfo always knows its offset
        return (naive - second).replace(tzinfo=UTC) if first > second else None

    def local(self, instant: datetime) -> datetime:
        """Given a UTC instant, return it as local time in the zone (with the right `fold`)."""
        return instant.astimezone(self.zone)  # zoneinfo's own cache makes this cheap
