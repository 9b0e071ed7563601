"""How long `pause` and `snooze` may hold reminders back: one rule for the command and the service.

The command checks first, so a mistake is a usage error even with no service running; the service
checks again, since any client may send it a request.
"""

from __future__ import annotations

from datetime import timedelta

# The longest pause or snooze: a year covers any holiday, and beyond it datetime overflows.
MAX_HOLD = timedelta(days=366)


def parse_hold(text: str) -> timedelta:
    """Given a duration like "20m", return it; raise ValueError unless it is above 0 and at most a year."""
    from calmcoach.units import parse_duration

    delta = parse_duration(text)
    if delta <= timedelta(0):
        raise ValueError("expected a duration longer than 0s")
    if delta > MAX_HOLD:
        raise ValueError(f"expected a duration of at most {MAX_HOLD.days} days")
    return delta
