"""Service state: round trip, atomic saves, damaged files set aside, what firing remembers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from calmcoach.service.state import Pause, ServiceState, StateStore

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2024, 3, 30, 1, 30, tzinfo=BERLIN)


def test_round_trip_keeps_zones_and_everything(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state" / "service.json")
    state = (
        ServiceState(pause=Pause(T0 + timedelta(hours=3)), snoozed={"stretch": T0 + timedelta(minutes=20)})
        .fired("water", T0, "hydration-3")
        .fired("tip", T0 + timedelta(hours=1))
    )
    store.save(state)
    loaded = store.load()
    assert loaded == state
    assert loaded.last_fired["water"].utcoffset() == timedelta(hours=1)
    assert loaded.last_wording == {"water": "hydration-3"}
    assert not list((tmp_path / "state").glob("*.tmp"))  # no temporary file left behind


def test_missing_file_is_a_fresh_start(tmp_path: Path) -> None:
    assert StateStore(tmp_path / "none.json").load() == ServiceState()


def test_damaged_file_is_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "service.json"
    path.write_text('{"last_fired": {"water": "yesterday"}}')
    assert StateStore(path).load() == ServiceState()
    assert (tmp_path / "service.damaged").exists()
    path.write_text("{not json")
    assert StateStore(path).load() == ServiceState()


def test_naive_times_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "service.json"
    path.write_text(json.dumps({"last_fired": {"water": "2024-01-01T10:00:00"}}))
    assert StateStore(path).load().last_fired == {}


def test_fired_keeps_the_latest_and_clears_a_snooze_it_served() -> None:
    later = T0 + timedelta(minutes=45)
    state = ServiceState(snoozed={"water": later, "tip": later}).fired("water", later)
    assert state.snoozed == {"tip": later}
    assert state.fired("water", T0).last_fired["water"] == later  # an older firing does not go back
    assert state.last_wording == {}


def test_pause_until_and_forever() -> None:
    now = datetime(2024, 1, 1, 12, tzinfo=UTC)
    assert ServiceState(pause=Pause(None)).paused(now)
    assert ServiceState(pause=Pause(now + timedelta(seconds=1))).paused(now)
    assert not ServiceState(pause=Pause(now)).paused(now)
    assert not ServiceState().paused(now)
