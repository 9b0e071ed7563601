"""What the service reads from history to word a reminder: figures that match `calmcoach today`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from calmcoach.history import History
from calmcoach.schedule.loader import load_text
from calmcoach.service.figures import HistoryFigures

SCHEDULE = load_text(
    """
[settings]
timezone = "UTC"
caffeine_half_life = "1h"
bedtime = "23:00"

[[reminder]]
name = "coffee-cutoff"
kind = "caffeine"
at = ["15:00"]
""",
    "figures.toml",
)
MORNING = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("hours_later", [4, 9, 11, 14])
def test_todays_caffeine_counts_every_dose_since_midnight_whatever_the_half_life(
    tmp_path: Path, hours_later: int
) -> None:
    # With a 1 h half-life the level's look-back (ten half-lives) starts after a morning dose by
    # the evening; the day's total must still hold it, as `calmcoach today` says.
    db = tmp_path / "history.sqlite3"
    with History.open(db) as history:
        history.log_caffeine(300, "coffee", MORNING)
    now = MORNING + timedelta(hours=hours_later)
    figures = HistoryFigures.open(db, now=lambda: now)
    assert figures is not None
    try:
        [reminder] = SCHEDULE.reminders
        context = figures.context_for(reminder, SCHEDULE, now)
    finally:
        figures.close()
    assert context["caffeine_mg_today"] == pytest.approx(300)
    assert context["caffeine_mg_at_bedtime"] == pytest.approx(300 * 0.5 ** (23 - 8), abs=0.01)
