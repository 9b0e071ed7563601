"""Every command and option given hostile values through `cli([...])`: a clear message and exit 1
or 2, never an internal error or a traceback.

Each template puts the hostile value where `{}` is; one test per template tries every value of its
table (a loop, not a parameter each: the suite stays fast). Templates are chosen so that no value
can start something long: the service (`run`) gets a schedule that does not exist, sessions a
pattern or routine that does not exist, and the control commands find no service running.

Values hold no NUL character: no command line can carry one (execve ends each argument at it).
Each test runs in its own empty folder, and options that write a file never get a path that
leads out of it: `export --csv ../../../../etc/passwd` run as root from the repository once
overwrote /etc/passwd (export, like cp, overwrites what it is told to).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import Cli

# Values no number, duration, time or choice may take.
NOT_A_NUMBER = {
    "empty": "",
    "negative": "-1",
    "negative-float": "-0.5",
    "huge-int": "9" * 40,
    "past-float": "1" + "0" * 400,
    "nan": "nan",
    "inf": "inf",
    "minus-inf": "-inf",
    "long": "9" * 5000,
    "option-like": "--json",
    "shell": "$(touch /tmp/calmcoach-pwned)",
    "emoji": "\U0001f4a7",
}
# Hostile texts: names and words that exist nowhere, whatever their shape.
HOSTILE_TEXT = {
    "long": "x" * 20_000,
    "option-like": "--nope",
    "shell": "$(touch /tmp/calmcoach-pwned); rm -rf ~ `id` | cat &",
    "markup": "<b>&amp;</b><a href='x'>",
    "format": "%s%n{0}{}",
    "newline": "a\nb",
    "bidi": "\u202ewater",
    "emoji": "\U0001f4a7",
    "path-escape": "../../../../etc/passwd",
    "dot": ".",
}
# For options that write: hostile names, but none that climbs out of the test's folder.
IN_HERE = {key: value for key, value in HOSTILE_TEXT.items() if key != "path-escape"}
MISSING = "{missing}"
# No message repeats a value this long in full (calmcoach.cli cuts any longer word).
LONGEST_ECHO = 1000
WRITERS = ("breathe-save", "breathe-events", "export-csv")


def without(values: dict[str, str], *keys: str) -> dict[str, str]:
    """Given a table of values, return it without those that are legal where they go."""
    return {key: value for key, value in values.items() if key not in keys}


# name -> (argv template, values, must it fail?). Free text may be taken as it is (exit 0).
TEMPLATES: dict[str, tuple[list[str], dict[str, str], bool]] = {
    "run-schedule": (["run", "--schedule", "{}"], HOSTILE_TEXT, True),
    "run-session-lead": (["run", "--session-lead", "{}", "--schedule", MISSING], NOT_A_NUMBER, True),
    "check-file": (["check", "{}"], HOSTILE_TEXT, True),
    "agenda-hours": (["agenda", "--hours", "{}"], NOT_A_NUMBER, True),
    "agenda-from": (["agenda", "--from", "{}"], {**NOT_A_NUMBER, **HOSTILE_TEXT}, True),
    "agenda-schedule": (["agenda", "--schedule", "{}"], HOSTILE_TEXT, True),
    "breathe-pattern": (["breathe", "{}", "--quiet", "--cycles", "1"], HOSTILE_TEXT, True),
    "breathe-minutes": (["breathe", "no-such-pattern", "--minutes", "{}"], NOT_A_NUMBER, True),
    "breathe-cycles": (["breathe", "no-such-pattern", "--cycles", "{}"], NOT_A_NUMBER, True),
    "breathe-cue": (["breathe", "no-such-pattern", "--cue", "{}"], HOSTILE_TEXT, True),
    "breathe-cue-how": (["breathe", "no-such-pattern", "--cue", "inhale={}"], HOSTILE_TEXT, True),
    "breathe-save": (["breathe", "no-such-pattern", "--save", "{}"], IN_HERE, True),
    "breathe-events": (["breathe", "no-such-pattern", "--events", "{}"], IN_HERE, True),
    "stretch-routine": (["stretch", "{}", "--quiet"], HOSTILE_TEXT, True),
    "tip-topic": (["tip", "--topic", "{}"], HOSTILE_TEXT, True),
    "log-water-amount": (["log", "water", "{}"], {**NOT_A_NUMBER, **HOSTILE_TEXT}, True),
    "log-water-at": (["log", "water", "--at", "{}"], {**NOT_A_NUMBER, **HOSTILE_TEXT}, False),
    "log-caffeine-drink": (["log", "caffeine", "{}"], {**NOT_A_NUMBER, **HOSTILE_TEXT}, True),
    "log-caffeine-size": (["log", "caffeine", "espresso", "{}"], HOSTILE_TEXT, True),
    "log-twitch-where": (["log", "twitch", "--where", "{}"], HOSTILE_TEXT, False),
    "log-twitch-side": (["log", "twitch", "--side", "{}"], HOSTILE_TEXT, True),
    "log-twitch-stress": (["log", "twitch", "--stress", "{}"], NOT_A_NUMBER, True),
    "log-twitch-note": (["log", "twitch", "--note", "{}"], HOSTILE_TEXT, False),
    "log-what": (["log", "{}"], HOSTILE_TEXT, True),
    "done-name": (["done", "{}"], HOSTILE_TEXT, True),
    # An empty --at is no --at: now.
    "done-at": (["done", "water", "--at", "{}"], without({**NOT_A_NUMBER, **HOSTILE_TEXT}, "empty"), True),
    "stats-days": (["stats", "--days", "{}"], NOT_A_NUMBER, True),
    "export-csv": (["export", "--csv", "{}"], IN_HERE, False),
    "pause-duration": (["pause", "{}"], without(NOT_A_NUMBER, "option-like"), True),
    # `pause until --json` is `pause --json until`: a real option, not a value.
    "pause-until": (["pause", "until", "{}"], without({**NOT_A_NUMBER, **HOSTILE_TEXT}, "option-like"), True),
    "snooze-name": (["snooze", "{}", "20m"], HOSTILE_TEXT, True),
    "snooze-duration": (["snooze", "water", "{}"], NOT_A_NUMBER, True),
    "trigger-name": (["trigger", "{}"], HOSTILE_TEXT, True),
    "service-action": (["service", "{}"], HOSTILE_TEXT, True),
    "command": (["{}"], HOSTILE_TEXT, True),
    "extra-argument": (["status", "{}"], HOSTILE_TEXT, True),
    "doctor-extra": (["doctor", "{}"], HOSTILE_TEXT, True),
}


def _argv(template: list[str], value: str, missing: Path) -> list[str]:
    return [value if word == "{}" else str(missing) if word == MISSING else word for word in template]


@pytest.mark.parametrize("name", TEMPLATES)
def test_hostile_values_get_a_clear_message(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    here = tmp_path / "cwd"
    here.mkdir()
    monkeypatch.chdir(here)  # relative names land here, never in the repository
    template, values, must_fail = TEMPLATES[name]
    wrong: list[str] = []
    for key, value in values.items():
        result = cli(_argv(template, value, tmp_path / "missing.toml"))
        said = result.stderr
        if "Traceback" in said or "internal error" in said:
            wrong.append(f"{key}: {said[-400:]}")
        elif must_fail and (result.code not in (1, 2) or not said.strip()):
            wrong.append(f"{key}: exit {result.code}, stderr {said[:200]!r}, stdout {result.stdout[:200]!r}")
        elif len(value) > LONGEST_ECHO and value in said:
            wrong.append(f"{key}: a {len(value)}-character value is echoed in full: {said[:200]!r}...")
    assert not wrong, "\n".join(wrong)
    assert not Path("/tmp/calmcoach-pwned").exists()


def test_no_writing_option_is_given_a_path_out_of_the_test_folder() -> None:
    for name in WRITERS:
        assert all(".." not in value and not value.startswith("/") for value in TEMPLATES[name][1].values())
