"""reminders.compose: wording from the catalogue, varied, never twice in a row; hydration adapts."""

from __future__ import annotations

import itertools
import random
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from calmcoach.content.tips import Rotation, load_tips
from calmcoach.reminders import FIRM_TITLES, TITLES, TOPIC, Composed, ReminderContext, Skip, compose
from calmcoach.schedule.model import At, Every, Kind, Reminder, Settings, Source, TimeWindow

ZONE = ZoneInfo("Europe/Berlin")
SETTINGS = Settings(timezone=ZONE, bedtime=time(23, 0), water_goal_ml=2000.0)
NOON = datetime(2024, 5, 6, 12, 0, tzinfo=ZONE)
TIPS = load_tips()


def reminder(kind: Kind, **extra: object) -> Reminder:
    return Reminder(
        name=kind.value,
        kind=kind,
        trigger=Every(timedelta(minutes=45)),
        source=Source(Path("s.toml"), 1, 1),
        between=TimeWindow(time(8, 0), time(20, 0)),
        **extra,  # type: ignore[arg-type]
    )


def run_many(rem: Reminder, count: int, context: ReminderContext, seed: int = 1) -> list[Composed]:
    rng = random.Random(seed)
    out: list[Composed] = []
    previous: str | None = None
    rotation = Rotation()
    for _ in range(count):
        result = compose(
            rem,
            SETTINGS,
            ReminderContext(**{**vars(context), "previous": previous, "rotation": rotation}),
            TIPS,
            rng,
        )
        assert isinstance(result, Composed)
        out.append(result)
        previous, rotation = result.wording, result.rotation
    return out


@pytest.mark.parametrize("kind", list(Kind))
def test_never_the_same_words_twice_in_a_row_and_they_do_vary(kind: Kind) -> None:
    results = run_many(reminder(kind), 60, ReminderContext(now=NOON))
    for before, after in itertools.pairwise(results):
        assert after.wording != before.wording
        assert after.message.body != before.message.body
    assert len({r.message.body for r in results}) >= 5


@pytest.mark.parametrize("kind", [k for k in Kind if TOPIC[k] is not None])
def test_tips_come_from_the_kinds_topic(kind: Kind) -> None:
    topic_texts = {t.text for t in TIPS if t.category == TOPIC[kind]}
    for result in run_many(reminder(kind), 20, ReminderContext(now=NOON)):
        assert any(result.message.body.endswith(text) for text in topic_texts)
        assert result.message.title in TITLES[kind]
        assert result.message.speech


def test_never_twice_in_a_row_even_when_a_new_round_starts_elsewhere() -> None:
    # The rotation is shared with `calmcoach tip`: a round it just finished must not bring back
    # the tip this reminder said last.
    hydration = [t.id for t in TIPS if t.category == "hydration"]
    finished = Rotation({"hydration": tuple(hydration)})
    for seed in range(40):
        for previous in hydration:
            result = compose(
                reminder(Kind.HYDRATION),
                SETTINGS,
                ReminderContext(now=NOON, previous=previous, rotation=finished),
                TIPS,
                random.Random(seed),
            )
            assert isinstance(result, Composed)
            assert result.wording != previous


def test_hydration_is_skipped_when_on_pace_and_drank_recently() -> None:
    context = ReminderContext(now=NOON, water_ml_today=1000.0, last_drink_at=NOON - timedelta(minutes=10))
    result = compose(reminder(Kind.HYDRATION), SETTINGS, context, TIPS, random.Random(0))
    assert isinstance(result, Skip)
    assert result.reason.startswith("1 l drunk today, on pace")


def test_hydration_is_firm_when_behind_with_the_figures() -> None:
    context = ReminderContext(now=NOON, water_ml_today=250.0, last_drink_at=NOON - timedelta(hours=3))
    result = compose(reminder(Kind.HYDRATION), SETTINGS, context, TIPS, random.Random(0))
    assert isinstance(result, Composed)
    assert result.firm
    assert result.message.title in FIRM_TITLES
    assert "250 ml of 2 l so far today" in result.message.body
    assert "ml" not in result.message.speech  # figures are read, not spoken


def test_hydration_is_normal_on_pace_without_a_recent_drink() -> None:
    context = ReminderContext(now=NOON, water_ml_today=1000.0, last_drink_at=NOON - timedelta(hours=2))
    result = compose(reminder(Kind.HYDRATION), SETTINGS, context, TIPS, random.Random(0))
    assert isinstance(result, Composed) and not result.firm
    assert result.message.title in TITLES[Kind.HYDRATION]


def test_hydration_without_history_is_a_plain_reminder() -> None:
    result = compose(reminder(Kind.HYDRATION), SETTINGS, ReminderContext(now=NOON), TIPS, random.Random(0))
    assert isinstance(result, Composed)
    assert result.message.body.startswith("Have a glass of water.")


def test_caffeine_cut_off_names_bedtime_and_the_figures() -> None:
    rem = Reminder("coffee", Kind.CAFFEINE, At((time(15, 0),)), Source(Path("s.toml"), 1, 1))
    context = ReminderContext(now=NOON, caffeine_mg_today=180.0, caffeine_mg_at_bedtime=42.4)
    result = compose(rem, SETTINGS, context, TIPS, random.Random(0))
    assert isinstance(result, Composed)
    assert "Bedtime is at 23:00" in result.message.body
    assert "180 mg of 400 mg" in result.message.body
    assert "about 42 mg still in you at bedtime" in result.message.body


def test_session_reminders_announce_the_session() -> None:
    context = ReminderContext(
        now=NOON, session_length=timedelta(seconds=128), session_lead=timedelta(seconds=30)
    )
    result = compose(reminder(Kind.BREATHING), SETTINGS, context, TIPS, random.Random(0))
    assert isinstance(result, Composed)
    assert result.message.body.startswith("A two-minute breathing break starts in 30 seconds.")
    stretch = compose(
        reminder(Kind.STRETCH),
        SETTINGS,
        ReminderContext(now=NOON, session_length=timedelta(minutes=3)),
        TIPS,
        random.Random(0),
    )
    assert isinstance(stretch, Composed)
    assert stretch.message.speech.startswith("A three-minute stretch break starts now.")


@pytest.mark.parametrize("kind", list(Kind))
def test_own_words_are_kept_and_the_title_still_varies(kind: Kind) -> None:
    # A tip reminder once had one title: with the user's own words it said the same twice.
    rem = reminder(kind, message="Roll your shoulders back.")
    results = run_many(rem, 10, ReminderContext(now=NOON))
    assert {r.message.body for r in results} == {"Roll your shoulders back."}
    for before, after in itertools.pairwise(results):
        assert after.message.title != before.message.title


def test_a_session_under_a_minute_is_a_short_break() -> None:
    context = ReminderContext(now=NOON, session_length=timedelta(seconds=20))
    result = compose(reminder(Kind.BREATHING), SETTINGS, context, TIPS, random.Random(0))
    assert isinstance(result, Composed)
    assert result.message.body.startswith("A short breathing break starts now.")
