"""Valid schedule files become the right frozen dataclasses."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from calmcoach.content.patterns import Phase, PhaseKind
from calmcoach.schedule.loader import load_files, load_text
from calmcoach.schedule.model import ALL_DAYS, At, Channel, Cron, Drink, Every, Kind, Schedule, TimeWindow
from calmcoach.units import ML_PER_UNIT
from tests.schedule.conftest import Write
from tests.schedule.support import WATER
from tests.support import Cli

BERLIN = ZoneInfo("Europe/Berlin")


def load(text: str) -> Schedule:
    return load_text(text, "test.toml", default_zone=BERLIN)


def phases(*pairs: tuple[PhaseKind, float]) -> tuple[Phase, ...]:
    return tuple(Phase(kind, seconds) for kind, seconds in pairs)


def test_defaults_when_settings_are_left_out() -> None:
    schedule = load(WATER)
    settings = schedule.settings
    assert settings.timezone is BERLIN
    assert settings.quiet_hours is None
    assert settings.days == ALL_DAYS
    assert settings.bedtime == time(23, 0)
    assert (settings.water_goal_ml, settings.caffeine_limit_mg) == (2000.0, 400.0)
    assert settings.caffeine_half_life == timedelta(hours=5)
    assert settings.caffeine_cutoff_before_bed == timedelta(hours=8)
    assert (settings.drinks, settings.patterns) == ((), ())
    (water,) = schedule.reminders
    assert water.trigger == Every(timedelta(minutes=45))
    assert water.say == (Channel.NOTIFICATION,)
    assert water.grace == timedelta(minutes=10)
    assert water.days is None and water.between is None


def test_every_setting_is_read() -> None:
    schedule = load(
        """
[settings]
timezone = "America/New_York"
quiet_hours = "21:30-06:45"
days = "weekdays"
bedtime = "22:15"
water_goal = "2500ml"
caffeine_limit = "0.3g"
caffeine_half_life = "4h30m"
caffeine_cutoff = "9h"
voice = { enabled = false, rate = 180, volume = 1, voice = "en-gb" }
"""
        + WATER
    )
    settings = schedule.settings
    assert settings.timezone == ZoneInfo("America/New_York")
    assert settings.quiet_hours == TimeWindow(time(21, 30), time(6, 45))
    assert settings.days == frozenset(range(5))
    assert settings.bedtime == time(22, 15)
    assert (settings.water_goal_ml, settings.caffeine_limit_mg) == (2500.0, 300.0)
    assert settings.caffeine_half_life == timedelta(hours=4, minutes=30)
    assert settings.caffeine_cutoff_before_bed == timedelta(hours=9)
    assert (settings.voice.enabled, settings.voice.rate, settings.voice.volume) == (False, 180, 1.0)
    assert settings.voice.voice == "en-gb"


def test_windows_that_cross_midnight_are_allowed() -> None:
    schedule = load(
        """
[settings]
quiet_hours = "22:00-07:30"

[[reminder]]
name = "night-water"
kind = "hydration"
every = "1h"
between = "20:00-02:00"
"""
    )
    quiet = schedule.settings.quiet_hours
    assert quiet == TimeWindow(time(22, 0), time(7, 30))
    assert quiet is not None and quiet.crosses_midnight
    assert quiet.contains(time(23, 59)) and quiet.contains(time(0, 0)) and not quiet.contains(time(7, 30))
    between = schedule.reminders[0].between
    assert between == TimeWindow(time(20, 0), time(2, 0)) and between.crosses_midnight


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        pytest.param("", time(15, 0), id="defaults-23h-minus-8h"),
        pytest.param('bedtime = "01:00"', time(17, 0), id="bedtime-after-midnight"),
        pytest.param('bedtime = "22:00"\ncaffeine_cutoff = "7h30m"', time(14, 30), id="own-cutoff"),
        pytest.param('caffeine_cutoff = "0s"', time(23, 0), id="cutoff-at-bedtime"),
        pytest.param('bedtime = "06:00"\ncaffeine_cutoff = "10h"', time(20, 0), id="day-sleeper"),
    ],
)
def test_a_caffeine_reminder_without_trigger_is_the_cutoff(settings: str, expected: time) -> None:
    schedule = load(f'[settings]\n{settings}\n[[reminder]]\nname = "cutoff"\nkind = "caffeine"\n')
    assert schedule.reminders[0].trigger == At((expected,))


def test_a_caffeine_reminder_with_a_trigger_keeps_it() -> None:
    schedule = load('[[reminder]]\nname = "coffee"\nkind = "caffeine"\nat = "14:00"\n')
    assert schedule.reminders[0].trigger == At((time(14, 0),))


def test_triggers_and_optional_keys() -> None:
    schedule = load(
        """
[[reminder]]
name = "at-list"
kind = "tip"
at = ["15:00", "09:30", 12:00:00]
days = ["sat", "Sunday"]
say = ["voice", "terminal"]
message = "  Time for a tip.  "
grace = "90s"

[[reminder]]
name = "by-cron"
kind = "hydration"
cron = "*/30   9-17 * * MON-FRI"
days = "fri-mon"

[[reminder]]
name = "breathe"
kind = "breathing"
every = "1h30m"
pattern = "cyclic-sigh"
cycles = 6

[[reminder]]
name = "stretch"
kind = "stretch"
at = "11:00"
routine = "shoulders"

[[reminder]]
name = "short-breath"
kind = "breathing"
at = "16:00"
minutes = 2.5
"""
    )
    at_list, by_cron, breathe, stretch, short = schedule.reminders
    assert at_list.trigger == At((time(9, 30), time(12, 0), time(15, 0)))
    assert at_list.days == frozenset({5, 6})
    assert at_list.say == (Channel.VOICE, Channel.TERMINAL)
    assert at_list.message == "Time for a tip."
    assert at_list.grace == timedelta(seconds=90)
    assert by_cron.trigger == Cron("*/30 9-17 * * mon-fri")
    assert by_cron.days == frozenset({4, 5, 6, 0})
    assert (breathe.kind, breathe.trigger) == (Kind.BREATHING, Every(timedelta(hours=1, minutes=30)))
    assert (breathe.pattern, breathe.cycles, breathe.minutes) == ("cyclic-sigh", 6, None)
    assert (stretch.kind, stretch.routine) == (Kind.STRETCH, "shoulders")
    assert (short.pattern, short.minutes, short.cycles) == (None, 2.5, None)


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        pytest.param('"mon-fri"', {0, 1, 2, 3, 4}, id="range"),
        pytest.param('"mon,wed,fri"', {0, 2, 4}, id="list-in-text"),
        pytest.param('"daily"', set(range(7)), id="daily"),
        pytest.param('"weekends"', {5, 6}, id="weekends"),
        pytest.param('"Weekdays"', {0, 1, 2, 3, 4}, id="weekdays-any-case"),
        pytest.param('["tue", "thurs"]', {1, 3}, id="list"),
        pytest.param('"sat-tue"', {5, 6, 0, 1}, id="range-over-the-weekend"),
        pytest.param('["mon-wed", "sun"]', {0, 1, 2, 6}, id="ranges-in-a-list"),
    ],
)
def test_days(days: str, expected: set[int]) -> None:
    schedule = load(f"[settings]\ndays = {days}\n" + WATER)
    assert schedule.settings.days == frozenset(expected)


def test_user_patterns_by_seconds_and_by_ratio() -> None:
    schedule = load(
        """
[settings.patterns]
calm = { inhale = 4, hold = 2, exhale = 6, rest = 1, description = "Mine." }
sigh = { inhale = 2, top_up = 1, exhale = 6 }
slow-478 = { ratio = "4-7-8", unit = "1.5s" }
in-out = { ratio = "1:2", unit = 4 }
square = { ratio = "4-4-4-4" }

[[reminder]]
name = "breathe"
kind = "breathing"
at = "10:00"
pattern = "slow-478"
"""
    )
    patterns = {pattern.name: pattern for pattern in schedule.settings.patterns}
    assert patterns["calm"].phases == phases(
        (PhaseKind.INHALE, 4), (PhaseKind.HOLD_IN, 2), (PhaseKind.EXHALE, 6), (PhaseKind.HOLD_OUT, 1)
    )
    assert patterns["calm"].description == "Mine."
    assert patterns["sigh"].phases == phases(
        (PhaseKind.INHALE, 2), (PhaseKind.TOP_UP, 1), (PhaseKind.EXHALE, 6)
    )
    assert patterns["slow-478"].phases == phases(
        (PhaseKind.INHALE, 6), (PhaseKind.HOLD_IN, 10.5), (PhaseKind.EXHALE, 12)
    )
    assert patterns["in-out"].phases == phases((PhaseKind.INHALE, 4), (PhaseKind.EXHALE, 8))
    assert patterns["square"].cycle_seconds == 16
    assert schedule.reminders[0].pattern == "slow-478"


def test_drinks() -> None:
    schedule = load(
        """
[settings.drinks]
"flat white" = { serving = "8oz", caffeine = "130mg" }
office-double = { serving = "60ml", caffeine = "0.128g" }
"""
        + WATER
    )
    assert schedule.settings.drinks == (
        Drink("flat white", 8 * ML_PER_UNIT["oz"], 130.0),
        Drink("office-double", 60.0, 128.0),
    )


def test_settings_and_reminders_may_live_in_different_files(write: Write) -> None:
    settings = write(
        "settings.toml", '[settings]\nbedtime = "22:00"\n[settings.patterns]\ncalm = { ratio = "4-6" }\n'
    )
    first = write("water.toml", '[settings]\nbedtime = "22:00"\n' + WATER)
    second = write(
        "more.toml",
        '[[reminder]]\nname = "cutoff"\nkind = "caffeine"\n\n'
        '[[reminder]]\nname = "breathe"\nkind = "breathing"\nat = "10:00"\npattern = "calm"\n',
    )
    schedule = load_files([settings, first, second], default_zone=BERLIN)
    assert schedule.files == (settings, first, second)
    assert [r.name for r in schedule.reminders] == ["water", "cutoff", "breathe"]
    assert schedule.reminder("cutoff") is not None
    assert schedule.reminders[1].trigger == At((time(14, 0),))  # the bedtime from the other file
    water = schedule.reminders[0]
    assert (water.source.file, water.source.line, water.source.index) == (first, 4, 1)
    breathe = schedule.reminders[2]
    assert (breathe.source.file, breathe.source.line, breathe.source.index) == (second, 5, 2)


def test_a_setting_given_differently_in_two_files_names_both(cli: Cli, write: Write) -> None:
    first = write("a.toml", '[settings]\nquiet_hours = "22:00-07:00"\n' + WATER)
    second = write("b.toml", '\n[settings]\nquiet_hours = "23:00-07:00"\n')
    result = cli(["check", str(first), str(second)])
    assert result.code == 1
    assert result.stderr.splitlines()[0] == (
        f'{second}:3: settings.quiet_hours: set to "23:00-07:00" here but to "22:00-07:00" in {first}:2; '
        "give it in one file only, or the same in every file"
    )


def test_duplicate_names_across_files_name_both_places(cli: Cli, write: Write) -> None:
    first = write("a.toml", WATER)
    second = write("b.toml", "# more water\n" + WATER)
    result = cli(["check", str(first), str(second)])
    assert result.code == 1
    assert result.stderr.splitlines()[0] == (
        f'{second}:4: reminder[1].name: "water" is also the name of reminder[1] at {first}:3; '
        "expected each name once across all schedule files"
    )


def test_check_summarises_valid_files(cli: Cli, write: Write) -> None:
    first = write("a.toml", WATER)
    second = write(
        "b.toml", '[[reminder]]\nname = "tip"\nkind = "tip"\nat = "10:00"\n' + WATER.replace("water", "sip")
    )
    result = cli(["check", str(first), str(second)])
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        f"{first}: 1 reminder, valid",
        f"{second}: 2 reminders, valid",
        "3 reminders in 2 files, valid together",
    ]


def test_check_without_files_reads_the_config_folder(cli: Cli, xdg_home: Path) -> None:
    config = xdg_home / "xdg_config_home" / "calmcoach"
    config.mkdir(parents=True)
    (config / "mine.toml").write_text(WATER.replace('"45m"', '"soon"'))
    result = cli(["check"])
    assert result.code == 1
    assert result.stderr.splitlines()[0] == (
        f'{config / "mine.toml"}:5: reminder[1].every: expected a duration like "45m", got "soon"'
    )


def test_check_without_files_or_config_checks_the_packaged_default(cli: Cli) -> None:
    result = cli(["check"])
    assert result.code == 0, result.stderr
    assert result.stdout.endswith("default.toml: 7 reminders, valid\n")


def test_check_usage_error_exits_2(cli: Cli) -> None:
    assert cli(["check", "--strict"]).code == 2
