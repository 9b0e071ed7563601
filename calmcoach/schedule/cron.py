"""Five-field cron expressions, checked field by field with messages that say what is wrong.

The grammar is parsed by the planner's one parser (`calmcoach.planner.cron`), so that whatever
`check` accepts the planner can run: in each field `*`, `*/15`, `5`, `1-5`, `1-5/2`, `5/15` (from
5 to the field's end) and comma lists of those; months may be named (jan-dec) and weekdays too
(sun-sat, with 0 and 7 both Sunday, as in crontab(5); "sat-sun" closes the week). When both the
day of month and the weekday are restricted, either one matching is enough, as in Vixie cron.
"""

from __future__ import annotations

from calmcoach.planner.cron import CronError, parse_cron
from calmcoach.schedule.values import Invalid, describe

EXAMPLE = '"0 9 * * mon-fri"'
_FIELD_COUNT = 5


def cron(value: object) -> str:
    """Given a five-field cron expression, return it (spaces tidied); raise Invalid saying what is wrong."""
    expected = f"expected a cron expression like {EXAMPLE} (minute hour day month weekday)"
    if not isinstance(value, str):
        raise Invalid(f"{expected}, got {describe(value)}")
    fields = value.lower().split()
    if len(fields) != _FIELD_COUNT:
        count = f"{len(fields)} field{'s' if len(fields) != 1 else ''}"
        raise Invalid(f"{expected}, got {count} in {describe(value)}")
    tidied = " ".join(fields)
    try:
        spec = parse_cron(tidied)
    except CronError as error:
        raise Invalid(f"{expected}, got {describe(value)}: {error.detail}") from None
    if not spec.can_ever_fire():
        raise Invalid(
            f"expected a date that exists, got {describe(value)}: none of those months has that day"
        )
    return tidied
