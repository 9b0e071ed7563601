"""Five-field cron expressions, checked field by field with messages that say what is wrong.

The grammar is the planner's (`calmcoach.planner.cron`), so that whatever `check` accepts the
planner can run: in each field `*`, `*/15`, `5`, `1-5`, `1-5/2`, `5/15` (from 5 to the field's
end) and comma lists of those; months may be named (jan-dec) and weekdays too (sun-sat, with 0 and
7 both Sunday, as in crontab(5); "sat-sun" closes the week). When both the day of month and the
weekday are restricted, either one matching is enough, as in Vixie cron.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

from calmcoach.schedule.values import Invalid, describe

EXAMPLE = '"0 9 * * mon-fri"'
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # crontab numbering: Sunday is 0
_ITEM = re.compile(
    r"^(?:(?P<all>\*)|(?P<first>[a-z0-9]+)(?:-(?P<last>[a-z0-9]+))?)(?:/(?P<step>[a-z0-9]*))?$"
)


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # names[i] means low + i


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day of month", 1, 31),
    _Field("month", 1, 12, _MONTHS),
    _Field("weekday", 0, 7, _CRON_DAYS),
)


def _value(field: _Field, token: str) -> int:
    if token.isdigit():
        number = int(token)
        if not field.low <= number <= field.high:
            raise ValueError(f"{field.name} {token} is outside {field.low}-{field.high}")
        return number
    if token in field.names:
        return field.low + field.names.index(token)
    names = f" or a name like {field.names[0]}" if field.names else ""
    raise ValueError(f'{field.name} "{token}" is not a number from {field.low} to {field.high}{names}')


def _item(field: _Field, item: str) -> range:
    """Given one comma-separated item of a field, return the values it selects."""
    match = _ITEM.match(item)
    if not match:
        raise ValueError(f'{field.name} "{item}" is not like *, */15, 5, 1-5 or 1-5/2')
    step = 1
    if match["step"] is not None:
        if not match["step"].isdigit() or int(match["step"]) < 1:
            raise ValueError(f'{field.name} step "{match["step"]}" is not a whole number above 0')
        step = int(match["step"])
    if match["all"]:
        return range(field.low, field.high + 1, step)
    first = _value(field, match["first"])
    if match["last"] is None:
        # "5/15" runs from 5 to the field's end, as "5-59/15" would.
        return range(first, (field.high if match["step"] is not None else first) + 1, step)
    last = _value(field, match["last"])
    if field.name == "weekday" and last == 0 and first > 0:
        last = 7  # "sat-sun", "mon-sun": Sunday closes the week
    if last < first:
        raise ValueError(f'{field.name} range "{item}" goes backwards')
    return range(first, last + 1, step)


def _expand(field: _Field, text: str) -> set[int]:
    """Given one field's text, return the values it selects; raise ValueError saying what is wrong."""
    values: set[int] = set()
    for item in text.split(","):
        values.update(_item(field, item))
    return values


def _possible(days_of_month: set[int], months: set[int]) -> bool:
    """Given the selected days and months, return whether any such date exists (Feb 29 counts)."""
    return any(day <= calendar.monthrange(2024, month)[1] for day in days_of_month for month in months)


def cron(value: object) -> str:
    """Given a five-field cron expression, return it (spaces tidied); raise Invalid saying what is wrong."""
    expected = f"expected a cron expression like {EXAMPLE} (minute hour day month weekday)"
    if not isinstance(value, str):
        raise Invalid(f"{expected}, got {describe(value)}")
    fields = value.lower().split()
    if len(fields) != len(_FIELDS):
        count = f"{len(fields)} field{'s' if len(fields) != 1 else ''}"
        raise Invalid(f"{expected}, got {count} in {describe(value)}")
    try:
        selected = [_expand(field, text) for field, text in zip(_FIELDS, fields, strict=True)]
    except ValueError as error:
        raise Invalid(f"{expected}, got {describe(value)}: {error}") from None
    weekday_restricted = not fields[4].startswith("*")
    if not weekday_restricted and not _possible(selected[2], selected[3]):
        raise Invalid(
            f"expected a date that exists, got {describe(value)}: none of those months has that day"
        )
    return " ".join(fields)
