"""The planner: from a schedule and a moment, when each reminder fires next. Pure, no clock.

`plan` holds the public functions; `triggers` works out one day of one trigger, `cron` parses
cron expressions, and `wallclock` turns local times into instants across daylight-saving changes.
"""

from __future__ import annotations

from calmcoach.planner.cron import CronSpec, parse_cron
from calmcoach.planner.plan import Firing, agenda, iter_firings, next_firing

__all__ = ["CronSpec", "Firing", "agenda", "iter_firings", "next_firing", "parse_cron"]
