"""Five-field cron expressions: parsing into sets, and matching calendar days.

Fields are minute (0-59), hour (0-23), day of month (1-31), month (1-12 or jan-dec) and day of
week (0-7 or sun-sat, where both 0 and 7 are Sunday). Each field is `*`, a number, a name, a
range `a-b`, a step `*/n`, `a-b/n` or `a/n` (from a to the field's maximum), or a comma list of
those. Day of month and day of week follow Vixie cron: when both are restricted (neither starts
with `*`) a day matches if either does; otherwise both must match, so the `*` one always does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_ITEM = re.compile(
    r"^(?:(?P<all>\*)|(?P<first>[a-z0-9]+)(?:-(?P<last>[a-z0-9]+))?)(?:/(?P<step>[a-z0-9]*))?$"
)


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
    _Field("weekday", 0, 7, {name: number for number, name in enumerate(_DAY_NAMES)}),
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


class CronError(ValueError):
    """A cron expression the grammar refuses. `detail` says what is wrong in one field, without
    the expression (the schedule loader puts it into its own message); str() adds the expression."""

    def __init__(self, expression: str, detail: str) -> None:
        super().__init__(f"cron expression {expression!r}: {detail}")
        self.detail = detail


def parse_cron(expression: str) -> CronSpec:
    """Given a five-field cron expression, return its CronSpec; raise CronError saying what is wrong.

    The one parser of the grammar: `calmcoach check` validates through it too, so whatever check
    accepts, the planner runs.
    """
    parts = expression.lower().split()
    if len(parts) != len(_FIELDS):
        raise CronError(
            expression,
            f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(parts)}",
        )
    try:
        values = [_parse_field(text, spec) for text, spec in zip(parts, _FIELDS, strict=True)]
    except ValueError as error:
        raise CronError(expression, str(error)) from None
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


def _parse_field(text: str, field: _Field) -> set[int]:
    """Given one field's text, return the set of numbers it selects; raise ValueError naming it."""
    selected: set[int] = set()
    for item in text.split(","):
        selected.update(_parse_item(item, field))
    return selected


def _parse_item(item: str, field: _Field) -> range:
    """Given one comma-separated item ("*", "5", "mon-fri", "*/15", "10-40/10"), return its numbers."""
    match = _ITEM.match(item)
    if not match:
        raise ValueError(f'{field.label} "{item}" is not like *, */15, 5, 1-5 or 1-5/2')
    step = 1
    if match["step"] is not None:
        if not match["step"].isdigit() or int(match["step"]) < 1:
            raise ValueError(f'{field.label} step "{match["step"]}" is not a whole number above 0')
        step = int(match["step"])
    if match["all"]:
        return range(field.low, field.high + 1, step)
    first = _parse_value(match["first"], field)
    if match["last"] is None:
        # "5/15" runs from 5 to the field's end, as "5-59/15" would.
        return range(first, (field.high if match["step"] is not None else first) + 1, step)
    last = _parse_value(match["last"], field)
    if field.label == "weekday" and last == 0 and first > 0:
        last = 7  # "sat-sun", "mon-sun": Sunday closes the week
    if last < first:
        raise ValueError(f'{field.label} range "{item}" goes backwards')
    return range(first, last + 1, step)


def _parse_value(token: str, field: _Field) -> int:
    """Given a number or a name, return its number within the field's range."""
    if token.isdigit():
        number = int(token)
        if not field.low <= number <= field.high:
            raise ValueError(f"{field.label} {token} is outside {field.low}-{field.high}")
        return number
    if token in field.names:
        return field.names[token]
    names = f" or a name like {next(iter(field.names))}" if field.names else ""
    raise ValueError(f'{field.label} "{token}" is not a number from {field.low} to {field.high}{names}')
