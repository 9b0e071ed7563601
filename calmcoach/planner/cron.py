"""Five-field cron expressions: parsing into sets, and matching calendar days.

Fields are minute (0-59), hour (0-23), day of month (1-31), month (1-12 or jan-dec) and day of
week (0-7 or sun-sat, where both 0 and 7 are Sunday). Each field is `*`, a number, a name, a
range `a-b`, a step `*/n`, `a-b/n` or `a/n` (from a to the field's maximum), or a comma list of
those. Day of month and day of week follow Vixie cron: when both are restricted (neither starts
with `*`) a day matches if either does; otherwise both must match, so the `*` one always does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


@dataclass(frozen=True)
class _Field:
    label: str
    low: int
    high: int
    names: dict[str, int]


_FIELDS = (
    _Field("minute", 0, 59, {}),
    _Field("hour", 0, 23, {}),
    _Field("day of month", 1, 31, {}),
    _Field("month", 1, 12, {name: number for number, name in enumerate(_MONTH_NAMES, start=1)}),
    _Field("day of week", 0, 7, {name: number for number, name in enumerate(_DAY_NAMES)}),
)


@dataclass(frozen=True)
class CronSpec:
    """A parsed cron expression. `weekdays` counts as Python does: 0 is Monday, 6 is Sunday."""

    expression: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    days_restricted: bool
    weekdays_restricted: bool

    def matches_day(self, day: date) -> bool:
        """Given a calendar date, return whether the expression fires at some time on it."""
        if day.month not in self.months:
            return False
        by_day = day.day in self.days
        by_weekday = day.weekday() in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return by_day or by_weekday
        return by_day and by_weekday

    def can_ever_fire(self) -> bool:
        """Return whether some date matches (False for "0 0 31 feb *" and the like)."""
        if self.days_restricted and self.weekdays_restricted:
            return True  # any matching weekday comes round within a week, in any month
        if self.days_restricted:
            return any(d <= _longest_month(m) for m in self.months for d in self.days)
        return True


def _longest_month(month: int) -> int:
    """Given a month number, return its most days in any year (February: 29)."""
    return 29 if month == 2 else 30 if month in (4, 6, 9, 11) else 31


def parse_cron(expression: str) -> CronSpec:
    """Given a five-field cron expression, return its CronSpec; raise ValueError saying what is wrong."""
    parts = expression.split()
    if len(parts) != len(_FIELDS):
        raise ValueError(
            f"expected 5 cron fields (minute hour day-of-month month day-of-week), "
            f"got {len(parts)} in {expression!r}"
        )
    values = [_parse_field(text, spec, expression) for text, spec in zip(parts, _FIELDS, strict=True)]
    # Cron counts Sunday as 0 (and 7), Monday as 1; Python's weekday() counts Monday as 0.
    weekdays = frozenset((number - 1) % 7 for number in values[4])
    return CronSpec(
        expression=expression,
        minutes=tuple(sorted(values[0])),
        hours=tuple(sorted(values[1])),
        days=frozenset(values[2]),
        months=frozenset(values[3]),
        weekdays=weekdays,
        days_restricted=not parts[2].startswith("*"),
        weekdays_restricted=not parts[4].startswith("*"),
    )


def _parse_field(text: str, field: _Field, expression: str) -> set[int]:
    """Given one field's text, return the set of numbers it selects."""
    selected: set[int] = set()
    for item in text.split(","):
        try:
            selected.update(_parse_item(item.lower(), field))
        except ValueError as error:
            raise ValueError(f"cron {field.label} field {text!r} in {expression!r}: {error}") from None
    return selected


def _parse_item(item: str, field: _Field) -> range:
    """Given one comma-separated item ("*", "5", "mon-fri", "*/15", "10-40/10"), return its numbers."""
    if not item:
        raise ValueError("an empty item (two commas in a row?)")
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not step_text.isdigit() or int(step_text) == 0:
            raise ValueError(f"expected a step of 1 or more after '/', got {step_text!r}")
        step = int(step_text)
    if base == "*":
        return range(field.low, field.high + 1, step)
    first_text, dash, last_text = base.partition("-")
    first = _parse_value(first_text, field)
    if dash:
        last = _parse_value(last_text, field)
        if field.label == "day of week" and last == 0 and first > 0:
            last = 7  # "sat-sun", "mon-sun": Sunday closes the week
        if last < first:
            raise ValueError(f"a range must go upward, got {base!r}")
    else:
        # "5/15" runs from 5 to the field's end, as "5-59/15" would.
        last = field.high if slash else first
    return range(first, last + 1, step)


def _parse_value(text: str, field: _Field) -> int:
    """Given a number or a name, return its number within the field's range."""
    if text in field.names:
        return field.names[text]
    if not text.isdigit():
        known = f" or a name like {next(iter(field.names))!r}" if field.names else ""
        raise ValueError(f"expected a number{known}, got {text!r}")
    number = int(text)
    if not field.low <= number <= field.high:
        raise ValueError(f"{number} is out of range {field.low}-{field.high}")
    return number
