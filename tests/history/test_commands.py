"""The log, done, today, stats and export commands through `main`, at a fixed time (Monday 6 May
2024, 14:00 in Berlin), with the schedule in conftest: goal 2 l across 08:00-20:00, limit 400 mg,
half-life 5 h, bedtime 23:00."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest

from calmcoach.history import History
from calmcoach.paths import Paths
from tests.history.conftest import NOON, Run, lines
from tests.support import Cli

# -- log water ---------------------------------------------------------------------------------


def test_log_water_a_glass_by_default(run: Run) -> None:
    # At 14:00, halfway through 08:00-20:00, the pace is 1 l; 250 ml is 750 ml behind it.
    assert run.ok("log", "water") == (
        "Logged 250 ml of water. Today: 250 ml of 2 l (13%), 750 ml behind the pace.\n"
    )


@pytest.mark.parametrize(
    ("amount", "logged"),
    [
        pytest.param(["0.5l"], "500 ml", id="litres"),
        pytest.param(["330", "ml"], "330 ml", id="spaced-unit"),
        pytest.param(["12oz"], "355 ml", id="ounces"),
        pytest.param(["2", "glasses"], "500 ml", id="glasses"),
        pytest.param(["glass"], "250 ml", id="glass"),
        pytest.param(["a", "glass"], "250 ml", id="a-glass"),
        pytest.param(["bottle"], "500 ml", id="bottle"),
        pytest.param(["1.5", "glasses"], "375 ml", id="part-glasses"),
        pytest.param(["1.5l"], "1.5 l", id="big"),
    ],
)
def test_log_water_amounts(run: Run, amount: list[str], logged: str) -> None:
    assert run.ok("log", "water", *amount).startswith(f"Logged {logged} of water. Today: {logged} of 2 l")


def test_running_total(run: Run) -> None:
    run.ok("log", "water", "500ml", "--at", "09:00")
    run.ok("log", "water", "500ml", "--at", "11:00")
    assert run.ok("log", "water") == ("Logged 250 ml of water. Today: 1.25 l of 2 l (63%), on pace.\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["3"], 'has no unit: did you mean "3 glasses" or "3l"?', id="bare-small-number"),
        pytest.param(["25l"], "looks like a typo", id="too-much"),
        pytest.param(["lots"], 'expected an amount like "250ml"', id="words"),
        pytest.param(["0ml"], "expected an amount", id="nothing"),
        pytest.param(["0", "glasses"], "expected an amount", id="no-glasses"),
        pytest.param([""], "expected an amount", id="empty"),  # once logged a glass
        pytest.param(["--at", "15:00"], "--at: '15:00' is in the future", id="future"),
        pytest.param(["--at", "noonish"], '--at: expected "HH:MM"', id="bad-time"),
    ],
)
def test_log_water_mistakes_are_usage_errors(run: Run, args: list[str], message: str, paths: Paths) -> None:
    result = run("log", "water", *args)
    assert result.code == 2
    assert result.stderr.startswith("calmcoach log water: ")
    assert message in result.stderr
    assert result.stdout == ""
    with History.open(paths.history_db) as history:
        assert history.count("water") == 0


def test_at_records_the_given_time(run: Run, paths: Paths) -> None:
    assert run.ok("log", "water", "--at", "09:30").startswith("Logged 250 ml of water at 09:30.")
    assert run.ok("log", "water", "--at", "2024-05-05T21:00").startswith(
        "Logged 250 ml of water at Sun 05 May 21:00."
    )
    assert run.ok("log", "water", "--at", "90m ago").startswith("Logged 250 ml of water at 12:30.")
    assert run.ok("log", "water", "--at", "2024-05-06T10:00Z").startswith("Logged 250 ml of water at 12:00.")
    with History.open(paths.history_db) as history:
        times = [w.at for w in history.water(NOON - timedelta(days=2))]
    assert times == [
        NOON - timedelta(hours=17),
        NOON - timedelta(hours=4, minutes=30),
        NOON - timedelta(hours=2),
        NOON - timedelta(hours=1.5),
    ]


# -- log caffeine ------------------------------------------------------------------------------


def test_log_caffeine_a_coffee(run: Run) -> None:
    # 96 mg at 14:00 is 96 x 0.5^(9/5) = 27.6 mg at 23:00.
    assert run.ok("log", "caffeine", "coffee") == (
        "Logged 96 mg of caffeine (brewed coffee, 237 ml). Today: 96 mg of 400 mg (24%); "
        "96 mg in the body now, about 28 mg at bedtime (23:00).\n"
    )


def test_log_caffeine_forms(run: Run) -> None:
    assert run.ok("log", "caffeine", "120mg").startswith("Logged 120 mg of caffeine. Today: 120 mg")
    assert run.ok("log", "caffeine", "espresso", "double").startswith(
        "Logged 128 mg of caffeine (espresso, 59 ml). Today: 248 mg"
    )
    assert run.ok("log", "caffeine", "green", "tea", "12oz").startswith(
        "Logged 42 mg of caffeine (green tea, 355 ml). Today: 290 mg"
    )
    # The schedule's own drink.
    assert run.ok("log", "caffeine", "mate").startswith(
        "Logged 80 mg of caffeine (mate, 500 ml). Today: 370 mg"
    )


def test_a_late_strong_drink_warns_with_numbers_and_a_tip(run: Run) -> None:
    # 240 mg at 14:00: 240 x 0.5^(9/5) = 68.9 mg at 23:00; below 50 mg after 5 h x log2(240/50)
    # = 11.3 h, at 01:18.
    out = lines(run.ok("log", "caffeine", "coffee", "20oz"))
    assert out[0].startswith("Logged 240 mg of caffeine (brewed coffee, 591 ml).")
    assert out[1] == (
        "About 69 mg will still be in your body at bedtime (23:00); it falls below 50 mg around 01:18."
    )
    assert out[2].startswith("Tip: ")
    assert out[2].endswith("(Gardiner et al. 2023)")
    assert len(out) == 3


def test_going_over_the_limit_warns(run: Run) -> None:
    run.at(NOON.replace(hour=7), "log", "caffeine", "300mg")
    out = lines(run.at(NOON, "log", "caffeine", "150mg"))
    assert out[0].startswith("Logged 150 mg of caffeine. Today: 450 mg of 400 mg (113%);")
    assert out[1] == "That makes 450 mg today, over your daily limit of 400 mg."
    # 300 x 0.5^(16/5) + 150 x 0.5^(9/5) = 32.6 + 43.1 = 75.7 mg at bedtime.
    assert out[2].startswith("About 76 mg will still be in your body at bedtime (23:00)")
    assert out[3].startswith("Tip: ")


def test_unknown_drink_lists_the_known_ones(run: Run) -> None:
    result = run("log", "caffeine", "cocoa")
    assert result.code == 2
    assert (
        "calmcoach log caffeine: unknown drink 'cocoa'; known drinks: black tea, brewed coffee"
        in result.stderr
    )
    assert "mate" in result.stderr


# -- log twitch and undo -----------------------------------------------------------------------


def test_log_twitch_plain(run: Run) -> None:
    assert run.ok(
        "log", "twitch", "--where", "neck", "--side", "left", "--stress", "6", "--note", "deadline"
    ) == ("Logged a twitch (neck, left, stress 6). Today: 1 twitch.\n")
    assert run.ok("log", "twitch") == "Logged a twitch. Today: 2 twitches.\n"


def test_a_warning_sign_brings_the_doctor_advice(run: Run) -> None:
    out = lines(run.ok("log", "twitch", "--where", "shoulder", "--side", "both", "--weakness"))
    assert out[0] == "Logged a twitch (shoulder, both, weakness). Today: 1 twitch."
    assert out[1].startswith(
        "Worth showing a doctor: your journal shows twitching on both sides at once (on 06 May); "
        "weakness with the twitching (on 06 May)."
    )
    assert "not a diagnosis" in out[1]


@pytest.mark.parametrize("stress", ["11", "-1", "high"])
def test_stress_is_0_to_10(run: Run, stress: str) -> None:
    result = run("log", "twitch", "--stress", stress)
    assert result.code == 2
    assert "expected a whole number from 0 to 10" in result.stderr


def test_undo(run: Run, paths: Paths) -> None:
    run.ok("log", "water")
    run.ok("log", "caffeine", "tea")
    assert run.ok("log", "undo") == "Removed 47 mg of caffeine (black tea) at Mon 06 May 14:00.\n"
    assert run.ok("log", "undo") == "Removed 250 ml of water at Mon 06 May 14:00.\n"
    result = run("log", "undo")
    assert (result.code, result.stdout) == (1, "")
    assert "nothing to undo" in result.stderr


def test_undo_shows_a_time_given_with_another_offset_as_log_did(run: Run) -> None:
    # Undo once named the time in the offset the user typed (10:00) while log said 12:00.
    assert run.ok("log", "water", "--at", "2024-05-06T10:00Z").startswith("Logged 250 ml of water at 12:00.")
    assert run.ok("log", "undo") == "Removed 250 ml of water at Mon 06 May 12:00.\n"


# -- done --------------------------------------------------------------------------------------


def test_done_water_marks_the_delivery_and_logs_a_glass(run: Run, paths: Paths) -> None:
    with History.open(paths.history_db) as history:
        history.record_delivery("water", "hydration", NOON - timedelta(minutes=5), "notification")
    assert run.ok("done", "water") == (
        "Marked 'water' as done. Logged 250 ml of water. "
        "Today: 250 ml of 2 l (13%), 750 ml behind the pace.\n"
    )
    with History.open(paths.history_db) as history:
        (delivery,) = history.deliveries(NOON - timedelta(hours=1))
        assert delivery.acted_at == NOON
        assert history.water_since(NOON - timedelta(hours=1)) == 250


def test_done_a_stretch_logs_no_water(run: Run, paths: Paths) -> None:
    with History.open(paths.history_db) as history:
        history.record_delivery("neck", "stretch", NOON - timedelta(hours=3), "voice")
    assert run.ok("done", "neck", "--at", "11:05") == "Marked 'neck' as done.\n"
    with History.open(paths.history_db) as history:
        assert history.count("water") == 0
        assert history.deliveries(NOON - timedelta(hours=4))[0].acted_at == NOON.replace(hour=11, minute=5)


def test_done_without_a_delivery_still_logs_the_glass(run: Run) -> None:
    assert run.ok("done", "water").startswith(
        "No delivery of 'water' is recorded yet, so nothing to mark. Logged 250 ml of water."
    )


def test_done_an_unknown_reminder(run: Run) -> None:
    result = run("done", "coffee")
    assert result.code == 2
    assert "calmcoach done: no reminder named 'coffee' (the schedule has: water, neck)" in result.stderr


# -- today -------------------------------------------------------------------------------------


def fill_the_day(run: Run, paths: Paths) -> None:
    run.ok("log", "water", "500ml", "--at", "09:00")
    run.ok("log", "water", "--at", "12:00")
    run.ok("log", "caffeine", "100mg", "--at", "2024-05-05T21:00")  # yesterday evening
    run.ok("log", "caffeine", "200mg", "--at", "09:00")
    run.ok("log", "twitch", "--where", "neck", "--side", "right", "--stress", "7", "--at", "10:15")
    with History.open(paths.history_db) as history:
        history.record_delivery("water", "hydration", NOON - timedelta(hours=3), "notification")
        history.record_delivery("neck", "stretch", NOON - timedelta(hours=3), "voice")
        history.mark_acted("neck", NOON - timedelta(hours=2))
        history.record_session("breathing", "box", NOON - timedelta(hours=1), 4, 4, True)
        history.record_session("stretch", "neck", NOON - timedelta(minutes=30), 6, 2, False)


def test_today_json(run: Run, paths: Paths) -> None:
    fill_the_day(run, paths)
    data = json.loads(run.ok("today", "--json"))
    # Now: 100 x 0.5^(17/5) + 200 x 0.5^(5/5) = 9.47 + 100 = 109.47 mg.
    # Bedtime: 100 x 0.5^(26/5) + 200 x 0.5^(14/5) = 2.7 + 28.7 = 31.4 mg.
    assert data["water_ml"] == 750
    assert data["water_goal_ml"] == 2000
    assert data["water_expected_ml"] == 1000
    assert data["caffeine_mg_total"] == 200
    assert data["caffeine_mg_now"] == pytest.approx(109.5, abs=0.05)  # rounded to 0.1 mg
    assert data["caffeine_mg_at_bedtime"] == pytest.approx(31.4, abs=0.05)
    assert data["bedtime"] == "2024-05-06T23:00+02:00"
    assert (data["reminders_delivered"], data["reminders_acted_on"]) == (2, 1)
    assert data["sessions_completed"] == 1
    assert [s["name"] for s in data["sessions"]] == ["box", "neck"]
    assert data["twitches"] == [
        {
            "at": "2024-05-06T10:15:00+02:00",
            "where": "neck",
            "side": "right",
            "stress": 7,
            "note": None,
            "new_symptom": False,
            "weakness": False,
        }
    ]
    assert data["warning_signs"] == []
    assert data["doctor_advice"] is None


def test_today_text(run: Run, paths: Paths) -> None:
    fill_the_day(run, paths)
    assert lines(run.ok("today")) == [
        "Today, Mon 06 May (Europe/Berlin, now 14:00)",
        "Water      750 ml of 2 l (38%), 250 ml behind the pace",
        "Caffeine   200 mg of 400 mg today; 109 mg in the body now, about 31 mg at bedtime (23:00)",
        "Sessions   1 of 2 completed: box, neck (2/6, stopped)",
        "Reminders  2 delivered, 1 acted on",
        "Twitches   1: 10:15 (neck, right, stress 7)",
    ]


def test_today_on_an_empty_history(run: Run) -> None:
    data = json.loads(run.ok("today", "--json"))
    assert (data["water_ml"], data["caffeine_mg_total"], data["caffeine_mg_now"]) == (0, 0, 0)


# -- stats -------------------------------------------------------------------------------------


def test_stats(run: Run, paths: Paths) -> None:
    fill_the_day(run, paths)
    run.ok("log", "caffeine", "350mg", "--at", "2024-05-04T09:00")
    run.ok("log", "twitch", "--at", "2024-05-04T18:00")
    data = json.loads(run.ok("stats", "--days", "3", "--json"))
    assert [
        (d["day"], d["water_ml"], d["caffeine_mg"], d["sessions"], d["twitches"]) for d in data["days"]
    ] == [
        ("2024-05-04", 0, 350, 0, 1),
        ("2024-05-05", 0, 100, 0, 0),
        ("2024-05-06", 750, 200, 1, 1),
    ]
    assert (data["days_logged"], data["twitch_days"]) == (3, 2)
    assert data["associations"] == [
        "Twitching was logged on 2 of the 3 days with entries.",
        "1 of the 2 days with twitching had more than 300 mg of caffeine, against 0 of the 1 without.",
        "1 of the 1 day with twitching and water logged had less than the water goal (2 l).",
        "3 days in all — too few to draw conclusions.",
    ]
    text = lines(run.ok("stats", "--days", "3"))
    assert text[0] == "The last 3 days (water goal 2 l, caffeine limit 400 mg)"
    assert text[1].split() == ["day", "water", "caffeine", "sessions", "twitches"]
    assert text[2].startswith("Sat 04 May") and "350 mg" in text[2]
    assert text[4].startswith("Mon 06 May  ####...... 750 ml")
    assert text[-1] == "3 days in all — too few to draw conclusions."


@pytest.mark.parametrize("days", ["0", "400", "week"])
def test_stats_days_must_be_sensible(run: Run, days: str) -> None:
    assert run("stats", "--days", days).code == 2


# -- export ------------------------------------------------------------------------------------


def test_export_csv_has_every_entry(run: Run, paths: Paths, tmp_path: Path) -> None:
    fill_the_day(run, paths)
    target = tmp_path / "out.csv"
    assert run.ok("export", "--csv", str(target)) == f"Wrote 9 entries to {target}.\n"
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert sorted(r["type"] for r in rows) == sorted(
        ["water"] * 2 + ["caffeine"] * 2 + ["twitch"] + ["delivery"] * 2 + ["session"] * 2
    )
    assert rows[0] == {**rows[0], "type": "caffeine", "mg": "100.0", "local": "2024-05-05T21:00:00+02:00"}
    twitch = next(r for r in rows if r["type"] == "twitch")
    assert (twitch["where"], twitch["side"], twitch["stress"]) == ("neck", "right", "7")
    assert run.ok("export", "--csv", "-") == target.read_text(encoding="utf-8")


def test_export_to_a_folder_that_does_not_exist(run: Run, tmp_path: Path) -> None:
    result = run("export", "--csv", str(tmp_path / "no" / "such" / "file.csv"))
    assert result.code == 1
    assert "calmcoach export: cannot write" in result.stderr


# -- a damaged history -------------------------------------------------------------------------


def test_export_refuses_a_corrupt_database_and_leaves_it_alone(run: Run, paths: Paths) -> None:
    # The other history commands move a damaged file aside and carry on (test_damaged.py); an
    # export of a new, empty history would say nothing, so export refuses and says how to recover.
    paths.history_db.parent.mkdir(parents=True, exist_ok=True)
    garbage = bytes(range(256)) * 64
    paths.history_db.write_bytes(garbage)
    result = run("export", "--csv", "-")
    assert result.code == 1
    assert result.stdout == ""
    assert f"the history database {paths.history_db} is damaged" in result.stderr
    assert "Traceback" not in result.stderr
    assert paths.history_db.read_bytes() == garbage


# -- in a terminal -----------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_output_uses_rich(run: Run, paths: Paths) -> None:
    from calmcoach.cli import main
    from calmcoach.context import Context

    fill_the_day(run, paths)
    for command, expected in ((["today"], "750 ml of 2 l"), (["stats", "--days", "3"], "█")):
        out = Terminal()
        ctx = Context(paths=paths, clock=run.clock, stdout=out, stderr=io.StringIO())
        assert main(command, ctx) == 0
        assert expected in out.getvalue()


def test_the_packaged_default_schedule_is_used_when_the_user_has_none(cli: Cli, paths: Paths) -> None:
    from calmcoach.context import Context
    from tests.history.conftest import StillClock

    assert paths.user_schedules == []
    ctx = Context(paths=paths, clock=StillClock(NOON))
    logged = cli(["log", "water"], ctx)
    assert (logged.code, logged.stderr) == (0, "")
    assert logged.stdout.startswith("Logged 250 ml of water. Today: 250 ml of ")
    data = json.loads(cli(["today", "--json"], Context(paths=paths, clock=StillClock(NOON))).stdout)
    assert data["water_ml"] == 250
