"""`calmcoach check FILE` on files with one mistake each: exit 1, and the mistake reported as
`FILE:LINE: key.path: message`, with what was expected and what was found, never a traceback.

Each case marks the line the problem must point at with `# <-` (no mark: no line is known).
"""

from __future__ import annotations

import pytest

from tests.schedule.conftest import Write
from tests.schedule.support import WATER, assert_reported, problem_lines
from tests.support import Cli

MARK = "# <-"


def _where(path: str, text: str, key: str) -> str:
    marked = [number for number, line in enumerate(text.splitlines(), start=1) if MARK in line]
    location = f"{path}:{marked[0]}" if marked else path
    return f"{location}: {key}" if key else location


def reminder(*lines: str, kind: str = "hydration", trigger: str = 'every = "45m"') -> str:
    """A one-reminder file with extra lines; the table header is on line 1."""
    body = "\n".join(lines)
    return f'[[reminder]]\nname = "r"\nkind = "{kind}"\n{trigger}\n{body}\n'


CASES = [
    # Wrong types: what was expected, and what was found, with its type.
    pytest.param(
        reminder(trigger=f"every = 45  {MARK}"),
        "reminder[1].every",
        'expected a duration like "45m", got 45 (a number); write the unit, like "45m"',
        id="type-duration-number",
    ),
    pytest.param(
        reminder(trigger=f"every = true  {MARK}"),
        "reminder[1].every",
        'expected a duration like "45m", got true (a boolean)',
        id="type-duration-boolean",
    ),
    pytest.param(
        '[[reminder]]\nname = "r"\n' + f'kind = 3  {MARK}\nevery = "1h"\n',
        "reminder[1].kind",
        "expected a kind (hydration, caffeine, stretch, breathing, tip), got 3 (a number)",
        id="type-kind",
    ),
    pytest.param(
        f"[settings]\nwater_goal = 2000  {MARK}\n" + WATER,
        "settings.water_goal",
        'expected an amount like "250ml" or "2l", got 2000 (a number); write the unit, like "2000ml"',
        id="type-amount",
    ),
    pytest.param(
        reminder(f'at = {{ time = "10:00" }}  {MARK}', trigger=""),
        "reminder[1].at",
        'expected a time like "10:30" or a list like ["10:30", "15:00"], got a table',
        id="type-at-table",
    ),
    pytest.param(
        reminder(f"say = 1  {MARK}"),
        "reminder[1].say",
        'expected a list of channels like ["notification", "voice"], got 1 (a number)',
        id="type-say",
    ),
    pytest.param(
        f"[settings]\nvoice = {{ enabled = 1 }}  {MARK}\n" + WATER,
        "settings.voice.enabled",
        "expected true or false, got 1 (a number)",
        id="type-voice-enabled",
    ),
    pytest.param(
        f'reminder = "water"  {MARK}\n',
        "reminder",
        'expected [[reminder]] tables, got "water"',
        id="type-reminder-text",
    ),
    pytest.param(
        f'[reminder]  {MARK}\nname = "water"\nkind = "tip"\nat = "10:00"\n',
        "reminder",
        "expected [[reminder]] tables, with double brackets, got one [reminder] table",
        id="single-bracket-reminder",
    ),
    pytest.param(
        f'[[settings]]  {MARK}\nbedtime = "23:00"\n' + WATER,
        "settings",
        "expected one [settings] table (write [settings] with single brackets), got a list of 1",
        id="double-bracket-settings",
    ),
    # Impossible times and windows.
    pytest.param(
        reminder(f'at = "25:00"  {MARK}', trigger=""),
        "reminder[1].at",
        'expected a time of day from "00:00" to "23:59", got "25:00": hours go from 00 to 23',
        id="time-25",
    ),
    pytest.param(
        reminder(f'at = ["10:00", "10:75"]  {MARK}', trigger=""),
        "reminder[1].at[2]",
        'expected a time of day from "00:00" to "23:59", got "10:75": minutes go from 00 to 59',
        id="time-in-list",
    ),
    pytest.param(
        reminder(f'at = "noon"  {MARK}', trigger=""),
        "reminder[1].at",
        'expected a time of day like "09:30", got "noon"',
        id="time-words",
    ),
    pytest.param(
        f'[settings]\nbedtime = "23:00:30"  {MARK}\n' + WATER,
        "settings.bedtime",
        'expected a time of day like "09:30", got "23:00:30"',
        id="time-with-seconds",
    ),
    pytest.param(
        f'[settings]\nquiet_hours = "22:00-24:00"  {MARK}\n' + WATER,
        "settings.quiet_hours",
        'expected a window like "09:00-18:00", got "22:00-24:00": in "24:00", hours go from 00 to 23',
        id="window-24",
    ),
    pytest.param(
        reminder(f'between = "09:00"  {MARK}'),
        "reminder[1].between",
        'expected a window like "09:00-18:00", got "09:00"',
        id="window-one-time",
    ),
    pytest.param(
        reminder(f'between = "09:00-09:00"  {MARK}'),
        "reminder[1].between",
        'expected a window whose start and end differ, got "09:00-09:00"',
        id="window-empty",
    ),
    # Durations: under 1 s, over a week, not a duration.
    pytest.param(
        reminder(trigger=f'every = "soon"  {MARK}'),
        "reminder[1].every",
        'expected a duration like "45m", got "soon"',
        id="duration-words",
    ),
    pytest.param(
        reminder(trigger=f'every = "0.5s"  {MARK}'),
        "reminder[1].every",
        'expected a duration from 1s to 7 days (168h), got "0.5s"',
        id="duration-under-1s",
    ),
    pytest.param(
        reminder(trigger=f'every = "169h"  {MARK}'),
        "reminder[1].every",
        'expected a duration from 1s to 7 days (168h), got "169h"',
        id="duration-over-a-week",
    ),
    pytest.param(
        reminder(trigger=f'every = "99999999999999h"  {MARK}'),
        "reminder[1].every",
        'expected a duration like "45m", got "99999999999999h"',
        id="duration-overflow",
    ),
    pytest.param(
        reminder(f'grace = "2d"  {MARK}'),
        "reminder[1].grace",
        'expected a duration like "45m", got "2d"',
        id="grace-days-unit",
    ),
    pytest.param(
        f'[settings]\ncaffeine_cutoff = "30h"  {MARK}\n' + WATER,
        "settings.caffeine_cutoff",
        'expected a duration from 0s to 23h, got "30h"',
        id="cutoff-too-long",
    ),
    # Time zones.
    pytest.param(
        f'[settings]\ntimezone = "Mars/Olympus_Mons"  {MARK}\n' + WATER,
        "settings.timezone",
        'expected a time zone name like "Europe/Berlin", got "Mars/Olympus_Mons": unknown zone',
        id="zone-unknown",
    ),
    pytest.param(
        f'[settings]\ntimezone = "europe/berlin"  {MARK}\n' + WATER,
        "settings.timezone",
        'expected a time zone name like "Europe/Berlin", got "europe/berlin": unknown zone; '
        'did you mean "Europe/Berlin"?',
        id="zone-case-hint",
    ),
    pytest.param(
        f'[settings]\ntimezone = "../../etc/passwd"  {MARK}\n' + WATER,
        "settings.timezone",
        'expected a time zone name like "Europe/Berlin", got "../../etc/passwd": unknown zone',
        id="zone-path",
    ),
    pytest.param(
        f'[settings]\ntimezone = "Europe"  {MARK}\n' + WATER,
        "settings.timezone",
        'expected a time zone name like "Europe/Berlin", got "Europe": unknown zone',
        id="zone-folder",
    ),
    # Patterns and routines.
    pytest.param(
        reminder(f'pattern = "boxx"  {MARK}', kind="breathing"),
        "reminder[1].pattern",
        "expected a breathing pattern (box, 4-7-8, coherent, resonant, extended-exhale, cyclic-sigh), "
        'got "boxx"; did you mean "box"?',
        id="pattern-unknown",
    ),
    pytest.param(
        reminder(f'routine = "neck"  {MARK}', kind="stretch"),
        "reminder[1].routine",
        'expected a stretch routine (neck-basic, shoulders, desk-quick), got "neck"',
        id="routine-unknown",
    ),
    pytest.param(
        reminder(f'routine = "neck-basic"  {MARK}'),
        "reminder[1].routine",
        """'routine' applies only to stretch reminders; this one is kind "hydration\"""",
        id="routine-on-hydration",
    ),
    pytest.param(
        reminder(f"minutes = 2  {MARK}", kind="stretch"),
        "reminder[1].minutes",
        """'minutes' applies only to breathing reminders; this one is kind "stretch\"""",
        id="minutes-on-stretch",
    ),
    pytest.param(
        reminder("minutes = 2", f"cycles = 4  {MARK}", kind="breathing"),
        "reminder[1].cycles",
        "expected 'minutes' or 'cycles', not both",
        id="minutes-and-cycles",
    ),
    pytest.param(
        reminder(f"minutes = 0.25  {MARK}", kind="breathing"),
        "reminder[1].minutes",
        "expected minutes from 0.5 to 30, got 0.25 (a number)",
        id="minutes-too-few",
    ),
    pytest.param(
        reminder(f"minutes = 45  {MARK}", kind="breathing"),
        "reminder[1].minutes",
        "expected minutes from 0.5 to 30, got 45 (a number)",
        id="minutes-too-many",  # the same cap as --minutes: the session's audio is held in memory
    ),
    pytest.param(
        reminder(f"cycles = 201  {MARK}", kind="breathing"),
        "reminder[1].cycles",
        "expected a whole number of cycles from 1 to 200, got 201 (a number)",
        id="cycles-too-many",
    ),
    pytest.param(
        reminder(f"cycles = 2.5  {MARK}", kind="breathing"),
        "reminder[1].cycles",
        "expected a whole number of cycles from 1 to 200, got 2.5 (a number)",
        id="cycles-not-whole",
    ),
    # Triggers.
    pytest.param(
        reminder(f'at = ["10:30", "09:00", "10:30"]  {MARK}', trigger=""),
        "reminder[1].at[3]",
        '"10:30" is listed twice (items 1 and 3); expected each time once',
        id="at-duplicates",
    ),
    pytest.param(
        reminder("at = []", trigger="").replace("at = []", f"at = []  {MARK}"),
        "reminder[1].at",
        'expected at least one time, like ["10:30", "15:00"], got an empty list',
        id="at-empty",
    ),
    pytest.param(
        reminder(trigger=f'cron = "0 9 * *"  {MARK}'),
        "reminder[1].cron",
        'expected a cron expression like "0 9 * * mon-fri" (minute hour day month weekday), '
        'got 4 fields in "0 9 * *"',
        id="cron-four-fields",
    ),
    pytest.param(
        reminder(trigger=f'cron = "0 9 * * * *"  {MARK}'),
        "reminder[1].cron",
        'expected a cron expression like "0 9 * * mon-fri" (minute hour day month weekday), '
        'got 6 fields in "0 9 * * * *"',
        id="cron-six-fields",
    ),
    pytest.param(
        reminder(trigger=f'cron = "0 24 * * *"  {MARK}'),
        "reminder[1].cron",
        'expected a cron expression like "0 9 * * mon-fri" (minute hour day month weekday), '
        'got "0 24 * * *": hour 24 is outside 0-23',
        id="cron-hour-range",
    ),
    pytest.param(
        reminder(trigger=f'cron = "0 9 * * fri-mon"  {MARK}'),
        "reminder[1].cron",
        'expected a cron expression like "0 9 * * mon-fri" (minute hour day month weekday), '
        'got "0 9 * * fri-mon": weekday range "fri-mon" goes backwards',
        id="cron-backwards",
    ),
    pytest.param(
        reminder(trigger=f'cron = "0 9 30 feb *"  {MARK}'),
        "reminder[1].cron",
        'expected a date that exists, got "0 9 30 feb *": none of those months has that day',
        id="cron-no-such-date",
    ),
    pytest.param(
        reminder(f'at = "10:00"  {MARK}'),
        "reminder[1]",
        "expected exactly one of 'every', 'at' or 'cron', got 'every' and 'at'",
        id="every-and-at",
    ),
    pytest.param(
        f'[[reminder]]  {MARK}\nname = "r"\nkind = "stretch"\n',
        "reminder[1]",
        'a stretch reminder needs a trigger: expected one of every = "45m", at = "10:30" '
        'or cron = "0 9 * * mon-fri", got none',
        id="no-trigger",
    ),
    # Times that could never fire.
    pytest.param(
        '[settings]\nquiet_hours = "22:00-07:30"\n'
        + reminder(f'at = ["12:00", "23:00"]  {MARK}', trigger=""),
        "reminder[1].at",
        '"23:00" falls inside the quiet hours "22:00-07:30", so it would never fire',
        id="at-in-quiet-hours",
    ),
    pytest.param(
        reminder('between = "13:00-18:00"', trigger=f'at = "12:00"  {MARK}'),
        "reminder[1].at",
        '"12:00" is outside its window, between = "13:00-18:00", so it would never fire',
        id="at-outside-between",
    ),
    pytest.param(
        '[settings]\nquiet_hours = "22:00-07:30"\n' + reminder(f'between = "23:00-01:00"  {MARK}'),
        "reminder[1].between",
        '"23:00-01:00" lies wholly inside the quiet hours "22:00-07:30", so it would never fire',
        id="between-in-quiet-hours",
    ),
    pytest.param(
        '[settings]\nquiet_hours = "22:00-07:30"\nbedtime = "06:00"\n'
        f'[[reminder]]  {MARK}\nname = "cutoff"\nkind = "caffeine"\n',
        "reminder[1]",
        'its caffeine cut-off, 22:00 (bedtime 06:00 minus 8h), falls inside the quiet hours "22:00-07:30", '
        "so it would never fire; change bedtime or caffeine_cutoff, or give it an 'at'",
        id="cutoff-in-quiet-hours",
    ),
    # Names, kinds, channels, days, messages.
    pytest.param(
        f'[[reminder]]  {MARK}\nkind = "tip"\nat = "10:00"\n',
        "reminder[1]",
        """missing 'name'; expected a line like name = "water\"""",
        id="name-missing",
    ),
    pytest.param(
        f'[[reminder]]\nname = "my water"  {MARK}\nkind = "tip"\nat = "10:00"\n',
        "reminder[1].name",
        'expected a short name of letters, digits, "-", "_" or "." like "water", got "my water"',
        id="name-with-space",
    ),
    pytest.param(
        '[[reminder]]\nname = "r"\n' + f'kind = "hydratoin"  {MARK}\nevery = "1h"\n',
        "reminder[1].kind",
        'expected a kind (hydration, caffeine, stretch, breathing, tip), got "hydratoin"; '
        'did you mean "hydration"?',
        id="kind-hint",
    ),
    pytest.param(
        reminder(f'say = ["notification", "sound"]  {MARK}'),
        "reminder[1].say[2]",
        'expected a channel (notification, voice, terminal), got "sound"',
        id="say-unknown",
    ),
    pytest.param(
        reminder(f'say = ["voice", "voice"]  {MARK}'),
        "reminder[1].say[2]",
        '"voice" is listed twice',
        id="say-duplicate",
    ),
    pytest.param(
        reminder(f"say = []  {MARK}"),
        "reminder[1].say",
        "expected at least one channel (notification, voice, terminal), got an empty list",
        id="say-empty",
    ),
    pytest.param(
        reminder(f'days = ["mon", "funday"]  {MARK}'),
        "reminder[1].days[2]",
        'expected a day like "mon" or "sun", got "funday"',
        id="days-unknown",
    ),
    pytest.param(
        reminder(f'days = "weekdys"  {MARK}'),
        "reminder[1].days",
        'expected a day like "mon" or "sun", got "weekdys"; did you mean "weekdays"?',
        id="days-hint",
    ),
    pytest.param(
        reminder(f'message = "{"x" * 301}"  {MARK}'),
        "reminder[1].message",
        "expected a message of at most 300 characters, got 301 characters",
        id="message-too-long",
    ),
    # Unknown keys, with and without a hint, and keys in the wrong table.
    pytest.param(
        reminder(trigger=f'evry = "45m"  {MARK}'),
        "reminder[1].evry",
        "unknown key 'evry'; did you mean 'every'?",
        id="unknown-key-hint",
    ),
    pytest.param(
        reminder(f'colour = "blue"  {MARK}'),
        "reminder[1].colour",
        "unknown key 'colour'; expected one of: name, kind, every, at, cron, between, days, say, "
        "message, grace, pattern, minutes, cycles, routine, respect_dnd, hold_limit",
        id="unknown-key-no-hint",
    ),
    pytest.param(
        reminder(f'"two\\nlines" = 1  {MARK}'),
        'reminder[1]."two\\nlines"',
        'unknown key "two\\nlines"; expected one of: ',
        id="unknown-key-with-a-line-break",
    ),
    pytest.param(
        f'[settings]\nquiet_hour = "22:00-07:00"  {MARK}\n' + WATER,
        "settings.quiet_hour",
        "unknown key 'quiet_hour'; did you mean 'quiet_hours'?",
        id="unknown-setting-hint",
    ),
    pytest.param(
        f'[settings]\nevery = "45m"  {MARK}\n' + WATER,
        "settings.every",
        "'every' belongs in a [[reminder]] table, not in [settings]",
        id="reminder-key-in-settings",
    ),
    pytest.param(
        reminder(f'bedtime = "23:00"  {MARK}'),
        "reminder[1].bedtime",
        "'bedtime' belongs in the [settings] table, not in a [[reminder]]",
        id="setting-in-reminder",
    ),
    pytest.param(
        f'[[reminders]]  {MARK}\nname = "x"\n' + WATER,
        "reminders",
        "unknown key 'reminders'; did you mean 'reminder'?",
        id="unknown-table-hint",
    ),
    pytest.param(
        f'timezone = "UTC"  {MARK}\n' + WATER,
        "timezone",
        "'timezone' belongs in the [settings] table: put it below a [settings] line",
        id="setting-at-top-level",
    ),
    # Settings tables: voice, drinks, patterns.
    pytest.param(
        f"[settings.voice]\nrate = 20  {MARK}\n" + WATER,
        "settings.voice.rate",
        "expected words per minute from 80 to 400, got 20 (a number)",
        id="voice-rate",
    ),
    pytest.param(
        f"[settings.voice]\nvolume = 1.5  {MARK}\n" + WATER,
        "settings.voice.volume",
        "expected a volume from 0 to 1, got 1.5 (a number)",
        id="voice-volume",
    ),
    pytest.param(
        f"[settings.voice]\nspeed = 1  {MARK}\n" + WATER,
        "settings.voice.speed",
        "unknown key 'speed'; expected one of: enabled, rate, volume, voice",
        id="voice-unknown-key",
    ),
    pytest.param(
        f'[settings.drinks]\nlatte = {{ serving = "12oz" }}  {MARK}\n' + WATER,
        "settings.drinks.latte",
        """missing 'caffeine'; expected a line like caffeine = "96mg\"""",
        id="drink-missing-caffeine",
    ),
    pytest.param(
        f'[settings.drinks]\nlatte = {{ serving = "big", caffeine = "96mg" }}  {MARK}\n' + WATER,
        "settings.drinks.latte.serving",
        'expected an amount like "250ml", "2l" or "8oz", got "big"',
        id="drink-bad-serving",
    ),
    pytest.param(
        f"[settings.patterns]\nbox = {{ inhale = 4, exhale = 4 }}  {MARK}\n" + WATER,
        "settings.patterns.box",
        '"box" is a built-in pattern; give yours another name',
        id="pattern-built-in-name",
    ),
    pytest.param(
        f"[settings.patterns.calm]\ninhale = 0  {MARK}\nexhale = 6\n" + WATER,
        "settings.patterns.calm.inhale",
        "expected seconds above 0 for the breath in, got 0",
        id="pattern-zero-inhale",
    ),
    pytest.param(
        f"[settings.patterns.calm]  {MARK}\ninhale = 4\n" + WATER,
        "settings.patterns.calm",
        "missing 'exhale'; expected the seconds of each phase",
        id="pattern-no-exhale",
    ),
    pytest.param(
        f"[settings.patterns.calm]\ninhale = -1  {MARK}\nexhale = 6\n" + WATER,
        "settings.patterns.calm.inhale",
        "expected seconds from 0 to 60, got -1 (a number)",
        id="pattern-negative",
    ),
    pytest.param(
        f'[settings.patterns.calm]\nratio = "4-x-8"  {MARK}\n' + WATER,
        "settings.patterns.calm.ratio",
        'expected a ratio like "4-7-8" (in-hold-out) or "4-7-8-0", got "4-x-8"',
        id="pattern-bad-ratio",
    ),
    pytest.param(
        f'[settings.patterns.calm]\nratio = "4-8"\nunit = "0s"  {MARK}\n' + WATER,
        "settings.patterns.calm.unit",
        'expected a duration from 0.1s to 30s, got "0s"',
        id="pattern-zero-unit",
    ),
    pytest.param(
        f'[settings.patterns.calm]\nratio = "4-8"\ninhale = 4  {MARK}\n' + WATER,
        "settings.patterns.calm",
        "expected either a ratio or the seconds of each phase, got both 'ratio' and 'inhale'",
        id="pattern-ratio-and-seconds",
    ),
    pytest.param(
        f'[settings.patterns.calm]\nratio = "4-8"\nunit = 10  {MARK}\n' + WATER,
        "settings.patterns.calm.unit",
        "expected phases of at most 60 seconds, got 80 with this unit",
        id="pattern-phase-too-long",
    ),
    # The file as a whole.
    pytest.param(
        f'[settings]\nbedtime = "23:00"\n\n[[reminder]]\nname = "water"\nkind = "hydration"\nevery  {MARK}\n',
        "",
        "TOML syntax error: Expected '=' after a key in a key/value pair (column 8)",
        id="syntax-error",
    ),
    pytest.param(
        f'[[reminder]]\nname = "water"\nkind = "hydration"\nevery = "45m  {MARK}\n',
        "",
        "TOML syntax error: the line ends inside a quoted text; is a closing quote missing? (column 19)",
        id="syntax-unterminated-string",
    ),
    pytest.param(
        WATER + f"\n[[reminder]]\nname = 'x'\nname = 'y'  {MARK}\n",
        "",
        "TOML syntax error: Cannot overwrite a value (column 11)",
        id="syntax-duplicate-key",
    ),
    pytest.param("", "", "no [[reminder]] tables: the file is empty", id="empty"),
    pytest.param(
        "# nothing here yet\n\n", "", "no [[reminder]] tables: the file is empty", id="only-comments"
    ),
    pytest.param(
        '[settings]\nbedtime = "23:00"\n',
        "",
        "no [[reminder]] tables in this file: expected at least one",
        id="settings-only",
    ),
]


@pytest.mark.parametrize(("text", "key", "message"), CASES)
def test_check_reports_the_mistake(cli: Cli, write: Write, text: str, key: str, message: str) -> None:
    path = write("schedule.toml", text)
    result = cli(["check", str(path)])
    assert_reported(result, _where(str(path), text, key), message)
    assert result.stdout == ""


def test_every_problem_in_a_file_is_reported_at_once(cli: Cli, write: Write) -> None:
    path = write(
        "many.toml",
        "\n".join(
            [
                "[settings]",
                'timezone = "Nowhere/Land"',  # 2
                'bedtime = "25:00"',  # 3
                "[[reminder]]",  # 4
                'name = "water"',
                'kind = "hydration"',
                'every = "soon"',  # 7
                "[[reminder]]",  # 8
                'name = "neck"',
                'kind = "stretch"',
                'routine = "necks"',  # 11
                "[[reminder]]",  # 12
                'name = "water"',  # 13
                'kind = "tip"',
                'at = "10:00"',
                "",
            ]
        ),
    )
    result = cli(["check", str(path)])
    lines = problem_lines(result)
    assert [line.split(": ")[0:2] for line in lines] == [
        [f"{path}:2", "settings.timezone"],
        [f"{path}:3", "settings.bedtime"],
        [f"{path}:7", "reminder[1].every"],
        [f"{path}:8", "reminder[2]"],
        [f"{path}:11", "reminder[2].routine"],
        [f"{path}:13", "reminder[3].name"],
    ]
    assert result.stderr.splitlines()[-1] == "calmcoach: 6 problems in 1 file"


def test_a_bad_trigger_value_is_reported_even_next_to_a_second_trigger(cli: Cli, write: Write) -> None:
    path = write("two.toml", reminder('at = ["10:00", "10:00"]', trigger='every = "soon"'))
    lines = problem_lines(cli(["check", str(path)]))
    keys = sorted(line.split(": ")[1] for line in lines)
    assert keys == ["reminder[1]", "reminder[1].at[2]", "reminder[1].every"]
