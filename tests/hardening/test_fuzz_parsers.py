"""Property-based fuzzing of the parsers people feed text to: the units (durations, amounts, doses,
times of day), the log commands' `--at` and the schedule loader. Whatever the input, the answer is
a value or the one error type the caller handles (ValueError; CalmcoachError; ScheduleError), never
anything else.
"""

from __future__ import annotations

import json
import math
import random
from argparse import Namespace
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from calmcoach.commands.log import moment as when_logged
from calmcoach.errors import EXIT_USAGE, CalmcoachError, ScheduleError
from calmcoach.history.store import from_text, to_text
from calmcoach.intake.when import EARLIEST, FUTURE_SLACK
from calmcoach.schedule.loader import load_text
from calmcoach.schedule.model import Kind, Schedule
from calmcoach.schedule.reminders import ALL_KEYS as REMINDER_KEYS
from calmcoach.schedule.settings import KEYS as SETTINGS_KEYS
from calmcoach.units import parse_caffeine_mg, parse_clock, parse_duration, parse_volume_ml

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
UTC = ZoneInfo("UTC")

# -- the units --------------------------------------------------------------------------------

NUMBERS = st.one_of(
    st.integers(min_value=0, max_value=10**30).map(str),
    st.text("0123456789", min_size=1, max_size=400),  # far past float and timedelta
    st.floats(min_value=0, allow_nan=False, allow_infinity=False).map(lambda f: f"{f:f}"),
    st.sampled_from(
        ["", ".", "1.", ".5", "-1", "+1", "1e3", "nan", "inf", "\u0663", "\uff11"]
    ),  # Arabic-Indic 3, fullwidth 1
)
UNITS = st.sampled_from(
    ["h", "m", "s", "H", "ms", "d", "ml", "l", "cl", "oz", "mg", "g", "glass", "glasses", ""]
)
NEAR_MISS = st.builds(
    lambda parts, space: space.join(n + u for n, u in parts),
    st.lists(st.tuples(NUMBERS, UNITS), min_size=1, max_size=4),
    st.sampled_from(["", " ", "\t", "\n"]),
)
ANY_TEXT = st.one_of(st.text(max_size=60), NEAR_MISS)
NOT_TEXT = st.one_of(
    st.none(), st.integers(), st.floats(), st.booleans(), st.lists(st.integers(), max_size=2)
)


@FUZZ
@given(ANY_TEXT)
@example("99999999999999h")  # past timedelta's range: was an OverflowError
@example("1" * 400 + "s")  # past float's range: inf seconds
def test_parse_duration_returns_a_duration_or_raises_value_error(text: str) -> None:
    try:
        delta = parse_duration(text)
    except ValueError as error:
        assert str(error)
        return
    assert delta >= timedelta(0)


@FUZZ
@given(ANY_TEXT)
def test_parse_volume_returns_a_positive_amount_or_raises_value_error(text: str) -> None:
    try:
        amount = parse_volume_ml(text)
    except ValueError as error:
        assert str(error)
        return
    assert amount > 0 and not math.isnan(amount)


@FUZZ
@given(ANY_TEXT)
def test_parse_caffeine_returns_a_positive_dose_or_raises_value_error(text: str) -> None:
    try:
        dose = parse_caffeine_mg(text)
    except ValueError as error:
        assert str(error)
        return
    assert dose > 0 and not math.isnan(dose)


@FUZZ
@given(st.one_of(st.text(max_size=8), st.from_regex(r"\A-?\d{1,3}:\d{1,3}\Z")))
def test_parse_clock_returns_a_time_or_raises_value_error(text: str) -> None:
    try:
        parse_clock(text)
    except ValueError as error:
        assert str(error)


@FUZZ
@given(NOT_TEXT)
def test_every_unit_parser_refuses_what_is_not_text_with_value_error(value: Any) -> None:
    for parse in (parse_duration, parse_volume_ml, parse_caffeine_mg, parse_clock):
        try:
            parse(value)
        except ValueError:
            continue
        raise AssertionError(f"{parse.__name__} accepted {value!r}")


# -- the --at values of the log commands --------------------------------------------------------

# Every fixed offset a datetime may carry, whole minutes within a day either way.
OFFSETS = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
ISO_TIMES = st.builds(
    lambda moment, sep, spec, zulu: moment.isoformat(sep=sep, timespec=spec).replace(
        "+00:00", "Z" if zulu else "+00:00"
    ),
    st.datetimes(  # the whole range of datetime, naive (read in the schedule's zone) or with an offset
        min_value=datetime.min, max_value=datetime.max, timezones=st.one_of(st.none(), OFFSETS, st.just(UTC))
    ),
    st.sampled_from(["T", " "]),
    st.sampled_from(["minutes", "seconds", "microseconds"]),
    st.booleans(),
)
AGO = st.builds(
    lambda elapsed, form: form.format(int(elapsed.total_seconds())),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta.max),
    st.sampled_from(["{}s ago", "-{}s", "{}m ago"]),
)
ZONES = st.sampled_from(
    [
        UTC,
        ZoneInfo("Europe/Berlin"),
        ZoneInfo("Pacific/Kiritimati"),  # +14:00
        ZoneInfo("Pacific/Pago_Pago"),  # -11:00
        timezone(timedelta(hours=-12)),
    ]
)


@FUZZ
@given(
    st.one_of(ISO_TIMES, AGO, ANY_TEXT),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
    ZONES,
)
@example("0999-06-01T10:00Z", datetime(2026, 12, 4, tzinfo=UTC), UTC)  # stored as "999-...", after 2026
@example("99999999h ago", datetime(2026, 12, 4, tzinfo=UTC), UTC)  # was an OverflowError
@example("0001-01-01T00:00", datetime(2026, 12, 4, tzinfo=UTC), ZoneInfo("Europe/Berlin"))  # likewise
@example("9999-12-31T23:59-12:00", datetime(2026, 12, 4, tzinfo=UTC), UTC)  # likewise
@example("2000-01-01T00:00Z", datetime(2000, 1, 1, tzinfo=UTC), UTC)  # the earliest, now
def test_at_returns_a_time_within_the_bounds_or_raises_a_usage_error(
    text: str, now: datetime, tz: tzinfo
) -> None:
    try:
        moment = when_logged(Namespace(at=text), "log water", now, tz)
    except CalmcoachError as error:
        assert error.exit_code == EXIT_USAGE
        assert error.message.startswith("calmcoach log water: --at: ")
        return
    assert moment.tzinfo is not None and moment.utcoffset() is not None
    assert EARLIEST <= moment <= now + FUTURE_SLACK
    assert from_text(to_text(moment)) == moment  # stored and read back as the same instant


# -- the schedule loader ----------------------------------------------------------------------

GOOD_WORDS = [
    "45m",
    "90s",
    "1h30m",
    "0s",
    "10:00",
    "23:59",
    "25:00",
    "09:00-18:00",
    "22:00-07:30",
    "mon-fri",
    "daily",
    "sat",
    "0 9 * * mon-fri",
    "*/15 * * * *",
    "notification",
    "voice",
    "terminal",
    "2l",
    "250ml",
    "96mg",
    "UTC",
    "Europe/Berlin",
    "box",
    "4-7-8",
    "neck-basic",
    *(str(kind) for kind in Kind),
]
SCALARS = st.one_of(
    st.sampled_from(GOOD_WORDS),
    st.text(max_size=12),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.booleans(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["a", "rate", "inhale", "ratio", "serving", "x y"]), inner, max_size=3
        ),
    ),
    max_leaves=6,
)
REMINDER = st.dictionaries(
    st.sampled_from([*REMINDER_KEYS, "bedtime", "evry", "ünïcode"]), VALUES, max_size=7
)
SETTINGS = st.dictionaries(st.sampled_from([*SETTINGS_KEYS, "every", "nope"]), VALUES, max_size=5)


def _toml_float(value: float) -> str:
    if math.isnan(value):
        return "nan"
    return ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)


def toml_value(value: object) -> str:
    """Given a generated value, return it written as an inline TOML value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _toml_float(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    assert isinstance(value, dict)
    return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"


def toml_document(settings_table: dict[str, Any], reminders: list[dict[str, Any]]) -> str:
    lines = ["[settings]", *(f"{json.dumps(k)} = {toml_value(v)}" for k, v in settings_table.items())]
    for table in reminders:
        lines += ["", "[[reminder]]", *(f"{json.dumps(k)} = {toml_value(v)}" for k, v in table.items())]
    return "\n".join(lines) + "\n"


def assert_loads_or_reports(text: str) -> Schedule | None:
    """Load the text; it must give a schedule or a ScheduleError of one-line problems, nothing else."""
    try:
        return load_text(text, "fuzz.toml", default_zone=UTC)
    except ScheduleError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.file == "fuzz.toml"
            assert problem.message and "\n" not in str(problem), str(problem)
        return None


@FUZZ
@given(SETTINGS, st.lists(REMINDER, max_size=3))
def test_generated_documents_load_or_raise_schedule_error(
    settings_table: dict[str, Any], reminders: list[dict[str, Any]]
) -> None:
    assert_loads_or_reports(toml_document(settings_table, reminders))


VALID_REMINDER = st.fixed_dictionaries(
    {
        "name": st.from_regex(r"\A[a-z][a-z0-9_-]{0,10}\Z"),
        "kind": st.sampled_from(["hydration", "tip", "stretch"]),
        "every": st.sampled_from(["45m", "1h", "90s", "2h30m"]),
    },
    optional={
        "between": st.sampled_from(["09:00-18:00", "22:00-02:00"]),
        "days": st.sampled_from(["mon-fri", "daily", ["sat", "sun"]]),
        "say": st.sampled_from([["notification"], ["voice", "terminal"]]),
        "message": st.text(min_size=1, max_size=40).filter(lambda t: t.strip() and t.isprintable()),
    },
)


@FUZZ
@given(st.lists(VALID_REMINDER, min_size=1, max_size=4, unique_by=lambda r: r["name"]))
def test_valid_documents_load_with_every_reminder(reminders: list[dict[str, Any]]) -> None:
    schedule = assert_loads_or_reports(toml_document({"timezone": "UTC"}, reminders))
    assert schedule is not None
    assert [r.name for r in schedule.reminders] == [r["name"] for r in reminders]


def mutate(text: str, seed: int) -> str:
    """Given a document and a seed, return it with a few random cuts, insertions and repeats."""
    rng = random.Random(seed)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(text) + 1)
        match rng.randrange(4):
            case 0:
                text = text[:at] + text[at + rng.randint(1, 8) :]
            case 1:
                text = text[:at] + rng.choice(list("[]{}=\"'#,.\n\\ \t\x7f\u2028é0-:")) + text[at:]
            case 2:
                lines = text.splitlines(keepends=True)
                if lines:
                    index = rng.randrange(len(lines))
                    lines.insert(index, lines[index])
                text = "".join(lines)
            case _:
                text = text[:at] + text[at:][::-1][: rng.randint(0, 5)] + text[at:]
    return text


@FUZZ
@given(st.lists(VALID_REMINDER, min_size=1, max_size=3), st.integers(min_value=0, max_value=2**32))
def test_mutated_documents_load_or_raise_schedule_error(reminders: list[dict[str, Any]], seed: int) -> None:
    assert_loads_or_reports(mutate(toml_document({"quiet_hours": "22:00-07:00"}, reminders), seed))
