"""`calmcoach agenda` through main(): schedule files on disk, the real loader, an injected clock."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, tzinfo
from itertools import pairwise
from pathlib import Path

import pytest

from calmcoach.cli import main
from calmcoach.context import Context
from calmcoach.paths import Paths
from tests.planner.build import BERLIN
from tests.support import Cli, CliResult

# Monday 2026-03-09, 08:00 in Berlin.
MONDAY_8 = datetime(2026, 3, 9, 8, 0, tzinfo=BERLIN)


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self, tz: tzinfo | None = None) -> datetime:
        return self.moment.astimezone(tz)

    def monotonic(self) -> float:
        return 0.0


class Terminal(io.StringIO):
    """A stdout that says it is a terminal, as a person's would."""

    def isatty(self) -> bool:
        return True


def write_schedule(folder: Path, body: str, *, zone: str = "Europe/Berlin", extra_settings: str = "") -> Path:
    path = folder / "schedule.toml"
    settings = f'[settings]\ntimezone = "{zone}"\n{extra_settings}\n'
    path.write_text(settings + textwrap.dedent(body), encoding="utf-8")
    return path


def agenda(cli: Cli, paths: Paths, *args: str, now: datetime = MONDAY_8) -> CliResult:
    return cli(["agenda", *args], Context(paths=paths, clock=FixedClock(now)))


def as_json(result: CliResult) -> list[tuple[str, str]]:
    assert result.code == 0, result.stderr
    return [(entry["name"], entry["at"]) for entry in json.loads(result.stdout)]


OFFICE = """
[[reminder]]
name = "water"
kind = "hydration"
every = "50m"
between = "09:00-12:00"
days = "mon-fri"

[[reminder]]
name = "coffee-stop"
kind = "caffeine"
at = "11:00"
say = ["notification", "voice"]

[[reminder]]
name = "breathe"
kind = "breathing"
at = ["10:40", "11:00"]
pattern = "box"
minutes = 2
"""


def test_plain_output_is_one_aligned_line_per_firing(cli: Cli, paths: Paths, tmp_path: Path) -> None:
    schedule = write_schedule(tmp_path, OFFICE)
    result = agenda(cli, paths, "--schedule", str(schedule), "--hours", "4")
    assert result.code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Mon 2026-03-09  09:50 CET  water        hydration  notification",
        "Mon 2026-03-09  10:40 CET  breathe      breathing  notification",
        "Mon 2026-03-09  10:40 CET  water        hydration  notification",
        "Mon 2026-03-09  11:00 CET  breathe      breathing  notification",
        "Mon 2026-03-09  11:00 CET  coffee-stop  caffeine   notification, voice",
        "Mon 2026-03-09  11:30 CET  water        hydration  notification",
    ]
    assert result.stderr == ""


def test_json_lists_name_kind_and_an_iso_time_with_offset(cli: Cli, paths: Paths, tmp_path: Path) -> None:
    schedule = write_schedule(tmp_path, OFFICE)
    result = agenda(cli, paths, "--schedule", str(schedule), "--hours", "3", "--json")
    entries = json.loads(result.stdout)
    assert entries[0] == {
        "name": "water",
        "kind": "hydration",
        "at": "2026-03-09T09:50:00+01:00",
        "channels": ["notification"],
    }
    assert [e["name"] for e in entries] == ["water", "breathe", "water"]  # 11:00 is the end: outside
    assert all(datetime.fromisoformat(e["at"]).utcoffset() == timedelta(hours=1) for e in entries)


def test_the_span_starts_now_includes_now_and_excludes_its_end(
    cli: Cli, paths: Paths, tmp_path: Path
) -> None:
    schedule = write_schedule(tmp_path, OFFICE)
    now = datetime(2026, 3, 9, 10, 40, tzinfo=BERLIN)
    result = agenda(cli, paths, "--schedule", str(schedule), "--hours", "0.25", "--json", now=now)
    assert as_json(result) == [
        ("breathe", "2026-03-09T10:40:00+01:00"),
        ("water", "2026-03-09T10:40:00+01:00"),
    ]


def test_from_without_an_offset_is_read_in_the_schedule_zone(cli: Cli, paths: Paths, tmp_path: Path) -> None:
    schedule = write_schedule(tmp_path, OFFICE)
    naive = agenda(
        cli, paths, "--schedule", str(schedule), "--from", "2026-03-10T10:50", "--hours", "1", "--json"
    )
    assert as_json(naive) == [
        ("breathe", "2026-03-10T11:00:00+01:00"),
        ("coffee-stop", "2026-03-10T11:00:00+01:00"),
        ("water", "2026-03-10T11:30:00+01:00"),
    ]
    # 09:50 UTC is 10:50 in Berlin: the same span.
    with_offset = agenda(
        cli, paths, "--schedule", str(schedule), "--from", "2026-03-10T09:50+00:00", "--hours", "1", "--json"
    )
    assert as_json(with_offset) == as_json(naive)


def test_nothing_to_show_is_said_plainly(cli: Cli, paths: Paths, tmp_path: Path) -> None:
    schedule = write_schedule(tmp_path, OFFICE, extra_settings='days = "mon-fri"')
    saturday = datetime(2026, 3, 14, 8, 0, tzinfo=BERLIN)
    result = agenda(cli, paths, "--schedule", str(schedule), now=saturday)
    assert result.code == 0
    assert result.stdout == (
        "Nothing fires from Sat 2026-03-14 08:00 CET to Sun 2026-03-15 08:00 CET (Europe/Berlin).\n"
    )
    assert agenda(cli, paths, "--schedule", str(schedule), "--json", now=saturday).stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        pytest.param(["--hours", "0"], "--hours expects a number of hours above 0", id="hours-zero"),
        pytest.param(["--hours", "-3"], "got '-3'", id="hours-negative"),
        pytest.param(["--hours", "745"], "at most 744 (31 days)", id="hours-over-a-month"),
        pytest.param(["--hours", "soon"], "got 'soon'", id="hours-not-a-number"),
        pytest.param(["--hours", "nan"], "got 'nan'", id="hours-nan"),
        pytest.param(["--hours", "inf"], "got 'inf'", id="hours-infinite"),
        pytest.param(["--from", "tomorrow"], "--from expects an ISO 8601 date and time", id="from-words"),
        pytest.param(["--from", "2026-13-01T08:00"], "got '2026-13-01T08:00'", id="from-month-13"),
        pytest.param(["--from", "09:00"], "got '09:00'", id="from-time-only"),
        pytest.param(["--from", "0001-01-01T00:00+00:00"], "runs off the calendar", id="from-year-1"),
        pytest.param(
            ["--from", "9999-12-31T23:00", "--hours", "48"], "between the years 1 and 9999", id="past-9999"
        ),
    ],
)
def test_bad_arguments_are_usage_errors(
    cli: Cli, paths: Paths, tmp_path: Path, args: list[str], words: str
) -> None:
    schedule = write_schedule(tmp_path, OFFICE)
    result = agenda(cli, paths, "--schedule", str(schedule), *args)
    assert result.code == 2
    assert words in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_an_invalid_schedule_reports_its_problems(cli: Cli, paths: Paths, tmp_path: Path) -> None:
    schedule = write_schedule(tmp_path, '[[reminder]]\nname = "w"\nkind = "hydration"\nevery = "soon"\n')
    result = agenda(cli, paths, "--schedule", str(schedule))
    assert result.code == 1
    assert re.search(r"schedule\.toml:\d+: reminder\[1\]\.every: ", result.stderr), result.stderr


def test_without_schedule_option_the_users_files_are_used(cli: Cli, paths: Paths) -> None:
    paths.config.mkdir(parents=True, exist_ok=True)
    write_schedule(paths.config, '[[reminder]]\nname = "mine"\nkind = "tip"\nat = "09:30"\n')
    assert as_json(agenda(cli, paths, "--json")) == [("mine", "2026-03-09T09:30:00+01:00")]


def test_the_packaged_default_schedule_has_an_agenda(cli: Cli, paths: Paths) -> None:
    result = agenda(cli, paths, "--json", "--hours", str(24 * 7))
    assert result.code == 0, result.stderr
    entries = json.loads(result.stdout)
    assert entries, "the default schedule should fire within a week"
    assert {"hydration", "caffeine", "stretch", "breathing"} <= {e["kind"] for e in entries}


# The daylight-saving changes of 2026 the issue names, each with the day before it.
CHANGES = [
    pytest.param("Europe/Berlin", "2026-03-29", "03:00", "+02:00", id="berlin-spring"),
    pytest.param("Europe/Berlin", "2026-10-25", "02:30", "+02:00", id="berlin-autumn"),
    pytest.param("America/New_York", "2026-03-08", "03:00", "-04:00", id="new-york-spring"),
    pytest.param("America/New_York", "2026-11-01", "02:30", "-05:00", id="new-york-autumn"),
]


@pytest.mark.parametrize(("zone", "day", "fires", "offset"), CHANGES)
def test_a_daily_0230_reminder_fires_once_on_the_change_day(  # noqa: PLR0917  # pytest passes them by name
    cli: Cli, paths: Paths, tmp_path: Path, zone: str, day: str, fires: str, offset: str
) -> None:
    body = '[[reminder]]\nname = "night"\nkind = "tip"\nat = "02:30"\n'
    schedule = write_schedule(tmp_path, body, zone=zone, extra_settings='days = "daily"')
    result = agenda(
        cli, paths, "--schedule", str(schedule), "--from", f"{day}T00:00", "--hours", "24", "--json"
    )
    assert as_json(result) == [("night", f"{day}T{fires}:00{offset}")]
    # Three days around it: once a day, every day.
    around = agenda(
        cli, paths, "--schedule", str(schedule), "--from", f"{day}T00:00", "--hours", "96", "--json"
    )
    days = [at[:10] for _, at in as_json(around)]
    assert len(days) == len(set(days)) == 4


@pytest.mark.parametrize(("zone", "day", "fires", "offset"), CHANGES)
def test_every_neither_doubles_nor_skips_across_the_change(  # noqa: PLR0917  # pytest passes them by name
    cli: Cli, paths: Paths, tmp_path: Path, zone: str, day: str, fires: str, offset: str
) -> None:
    body = '[[reminder]]\nname = "water"\nkind = "hydration"\nevery = "20m"\nbetween = "00:00-06:00"\n'
    schedule = write_schedule(tmp_path, body, zone=zone, extra_settings='days = "daily"')
    result = agenda(
        cli, paths, "--schedule", str(schedule), "--from", f"{day}T00:00", "--hours", "8", "--json"
    )
    instants = [datetime.fromisoformat(at).timestamp() for _, at in as_json(result)]
    assert {b - a for a, b in pairwise(instants)} == {20 * 60.0}
    # The window lasts 5, 6 or 7 real hours that night: one step fewer or more than 6 h's 17.
    hours = 5 if "03-" in day else 7
    assert len(instants) == hours * 3 - 1


def test_plain_output_tells_the_repeated_hour_apart_by_its_zone_name(
    cli: Cli, paths: Paths, tmp_path: Path
) -> None:
    body = '[[reminder]]\nname = "water"\nkind = "hydration"\nevery = "30m"\nbetween = "02:00-03:30"\n'
    schedule = write_schedule(tmp_path, body, extra_settings='days = "daily"')
    result = agenda(cli, paths, "--schedule", str(schedule), "--from", "2026-10-25T00:00", "--hours", "6")
    assert [line.split()[2:4] for line in result.stdout.splitlines()] == [
        ["02:30", "CEST"],
        ["02:00", "CET"],
        ["02:30", "CET"],
        ["03:00", "CET"],
    ]


RULES = [
    pytest.param(
        'quiet_hours = "22:00-07:00"',
        'every = "2h"\n',
        "2026-03-09T20:30",
        "18",
        ["2026-03-10T08:00", "2026-03-10T10:00", "2026-03-10T12:00", "2026-03-10T14:00"],
        id="quiet-hours-across-midnight",
    ),
    pytest.param(
        "",
        'every = "2h"\nbetween = "22:00-04:00"\ndays = "fri"\n',
        "2026-03-13T00:00",
        "168",
        ["2026-03-14T00:00", "2026-03-14T02:00"],
        id="window-across-midnight-belongs-to-friday",
    ),
    pytest.param(
        'days = "mon,wed"',
        'at = "09:00"\n',
        "2026-03-09T00:00",
        "168",
        ["2026-03-09T09:00", "2026-03-11T09:00"],
        id="settings-days",
    ),
    pytest.param(
        'days = "mon,wed"',
        'at = "09:00"\ndays = "weekends"\n',
        "2026-03-09T00:00",
        "168",
        ["2026-03-14T09:00", "2026-03-15T09:00"],
        id="reminder-days-win",
    ),
    pytest.param(
        "",
        'cron = "*/15 9 * * *"\n',
        "2026-03-09T00:00",
        "24",
        ["2026-03-09T09:00", "2026-03-09T09:15", "2026-03-09T09:30", "2026-03-09T09:45"],
        id="cron-every-quarter-hour",
    ),
    pytest.param(
        "",
        'cron = "0 12 * * mon-fri"\n',
        "2026-03-12T00:00",
        "96",  # Thursday to Monday 00:00: the weekend has none
        ["2026-03-12T12:00", "2026-03-13T12:00"],
        id="cron-weekdays",
    ),
    pytest.param(
        "",
        'cron = "0 12 14 * wed"\n',
        "2026-03-10T00:00",
        "168",  # Wednesdays and the 14th (a Saturday)
        ["2026-03-11T12:00", "2026-03-14T12:00"],
        id="cron-day-of-month-or-weekday",
    ),
    pytest.param(
        "",
        'at = ["13:15", "08:05", "21:40"]\n',
        "2026-03-09T00:00",
        "24",
        ["2026-03-09T08:05", "2026-03-09T13:15", "2026-03-09T21:40"],
        id="at-list-in-order",
    ),
]


@pytest.mark.parametrize(("settings", "trigger", "start", "hours", "expected"), RULES)
def test_schedule_rules_through_the_loader(  # noqa: PLR0917  # pytest passes parameters by name
    cli: Cli,
    paths: Paths,
    tmp_path: Path,
    settings: str,
    trigger: str,
    start: str,
    hours: str,
    expected: list[str],
) -> None:
    body = f'[[reminder]]\nname = "r"\nkind = "tip"\n{trigger}'
    extra = settings if "days" in settings else f'days = "daily"\n{settings}'
    schedule = write_schedule(tmp_path, body, extra_settings=extra)
    result = agenda(cli, paths, "--schedule", str(schedule), "--from", start, "--hours", hours, "--json")
    assert [at[:16] for _, at in as_json(result)] == expected


COLOUR = re.compile(r"\x1b\[(?:3[0-7]|38;|9[0-7])")


def on_a_terminal(paths: Paths, *args: str) -> str:
    """Run calmcoach with a stdout that says it is a terminal; return what it printed."""
    out, err = Terminal(), io.StringIO()
    ctx = Context(paths=paths, clock=FixedClock(MONDAY_8), stdout=out, stderr=err)
    assert main(list(args), ctx) == 0, err.getvalue()
    return out.getvalue()


def test_a_terminal_gets_a_coloured_table(paths: Paths, tmp_path: Path) -> None:
    schedule = write_schedule(tmp_path, OFFICE)
    text = on_a_terminal(paths, "agenda", "--schedule", str(schedule), "--hours", "4")
    assert "coffee-stop" in text and "09:50 CET" in text and "6 firings" in text
    assert COLOUR.search(text)


def test_no_color_keeps_the_table_but_drops_the_colours(
    paths: Paths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    schedule = write_schedule(tmp_path, OFFICE)
    text = on_a_terminal(paths, "agenda", "--schedule", str(schedule), "--hours", "4")
    assert "coffee-stop" in text
    assert not COLOUR.search(text)


def test_importing_the_command_stays_light() -> None:
    code = (
        "import sys, calmcoach.commands.agenda, calmcoach.planner\n"
        "heavy = {'rich', 'apscheduler', 'plyer', 'pyttsx3'} & {m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
