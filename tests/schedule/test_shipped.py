"""The schedules we ship: each validates, the default is the office day the issue asks for and
documents every key, and the night-shift example fires on the nights it says."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from importlib import resources
from pathlib import Path

import pytest

from calmcoach.commands.common import packaged_default_schedule
from calmcoach.planner import agenda
from calmcoach.schedule.loader import load_files, load_text
from calmcoach.schedule.model import At, Channel, Every, Kind
from calmcoach.schedule.reminders import ALL_KEYS as REMINDER_KEYS
from calmcoach.schedule.settings import KEYS as SETTINGS_KEYS
from calmcoach.schedule.settings import REMINDER_ONLY_KEYS
from calmcoach.schedule.user_patterns import ALL_KEYS as PATTERN_KEYS
from tests.support import Cli

SCHEDULES = Path(__file__).resolve().parents[2] / "schedules"
SHIPPED = sorted(SCHEDULES.rglob("*.toml"))


def test_there_is_a_default_and_at_least_three_examples() -> None:
    names = {path.relative_to(SCHEDULES).as_posix() for path in SHIPPED}
    assert "default.toml" in names
    assert {"examples/office.toml", "examples/shift-worker.toml", "examples/gentle.toml"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=[p.relative_to(SCHEDULES).as_posix() for p in SHIPPED])
def test_every_shipped_schedule_validates(cli: Cli, path: Path) -> None:
    result = cli(["check", str(path)])
    assert (result.code, result.stderr) == (0, ""), result.stderr
    assert re.fullmatch(rf"{re.escape(str(path))}: \d+ reminders, valid\n", result.stdout)


def test_the_packaged_default_is_the_checked_in_one() -> None:
    packaged = resources.files("calmcoach.schedules") / "default.toml"
    assert packaged.read_text(encoding="utf-8") == (SCHEDULES / "default.toml").read_text(encoding="utf-8")
    assert packaged_default_schedule().read_bytes() == (SCHEDULES / "default.toml").read_bytes()


def test_the_default_is_a_calm_office_day() -> None:
    schedule = load_files([SCHEDULES / "default.toml"])
    settings = schedule.settings
    assert settings.quiet_hours is not None and settings.quiet_hours.crosses_midnight
    by_kind = {kind: [r for r in schedule.reminders if r.kind is kind] for kind in Kind}

    (water,) = by_kind[Kind.HYDRATION]
    assert isinstance(water.trigger, Every)
    assert timedelta(minutes=45) <= water.trigger.interval <= timedelta(minutes=60)
    assert water.between is not None and not water.between.crosses_midnight

    (cutoff,) = by_kind[Kind.CAFFEINE]
    bedtime = datetime.combine(datetime(2026, 1, 1), settings.bedtime)
    assert cutoff.trigger == At(((bedtime - settings.caffeine_cutoff_before_bed).time(),))

    assert {r.routine for r in by_kind[Kind.STRETCH]} <= {"neck-basic", "desk-quick"}
    assert by_kind[Kind.STRETCH]

    breathing = by_kind[Kind.BREATHING]
    assert len(breathing) == 2
    assert all(r.minutes is not None and r.minutes <= 5 for r in breathing)
    assert all(Channel.VOICE in r.say for r in breathing)

    (tip,) = by_kind[Kind.TIP]
    assert isinstance(tip.trigger, At) and len(tip.trigger.times) == 1


def test_the_settings_know_every_reminder_key_to_point_it_to_its_table() -> None:
    assert set(REMINDER_ONLY_KEYS) == set(REMINDER_KEYS) - set(SETTINGS_KEYS)


def test_the_default_documents_every_key() -> None:
    text = (SCHEDULES / "default.toml").read_text(encoding="utf-8")
    keys = {*SETTINGS_KEYS, *REMINDER_KEYS, *PATTERN_KEYS, "enabled", "rate", "volume", "serving", "caffeine"}
    missing = sorted(key for key in keys if not re.search(rf"\b{re.escape(key)}\b", text))
    assert missing == []


def test_the_default_explains_windows_across_midnight() -> None:
    text = (SCHEDULES / "default.toml").read_text(encoding="utf-8")
    assert re.search(r"#.*cross(es)? midnight", text)


def test_the_night_shift_fires_after_midnight_for_the_shift_that_began_the_evening_before() -> None:
    schedule = load_files([SCHEDULES / "examples" / "shift-worker.toml"])
    zone = schedule.settings.timezone
    thursday_evening = datetime(2026, 6, 4, 21, 0, tzinfo=zone)
    firings = agenda(schedule, thursday_evening, thursday_evening + timedelta(days=3))
    stretches = [f.at for f in firings if f.reminder.name == "break-stretch"]
    # Thursday's shift runs into Friday morning; Friday and Saturday nights are free.
    assert [(at.strftime("%a"), at.time()) for at in stretches] == [
        ("Fri", time(0, 30)),
        ("Fri", time(3, 30)),
    ]
    water = [f.at for f in firings if f.reminder.name == "water"]
    assert water and all(at.time() >= time(22) or at.time() <= time(6, 30) for at in water)
    assert {at.strftime("%a") for at in water} == {"Thu", "Fri"}


def test_the_defaults_commented_out_examples_are_valid_too() -> None:
    """A person uncommenting an example line in the default must get a valid schedule."""
    text = (SCHEDULES / "default.toml").read_text(encoding="utf-8")
    example = re.compile(r"^# (\[settings\.[a-z]+\]|[a-z0-9_-]+ = .*)$")
    uncommented = [line[2:] if example.match(line) else line for line in text.splitlines()]
    assert sum(1 for a, b in zip(uncommented, text.splitlines(), strict=True) if a != b) >= 7
    schedule = load_text("\n".join(uncommented), "default-uncommented.toml")
    assert schedule.settings.timezone.key == "Europe/Berlin"
    assert schedule.settings.voice.voice == "gmw/en-gb-x-rp"
    assert [d.name for d in schedule.settings.drinks] == ["my-mug"]
    assert [p.name for p in schedule.settings.patterns] == ["calm", "slow-478"]
