"""The pure "which tip next" logic: no repeats within a topic's round, and rounds that restart well."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calmcoach.content.tips import (
    ANY_TOPIC,
    CATEGORIES,
    Rotation,
    Tip,
    choose_next,
    extend_round,
    of_topic,
    pick_tip,
)


def _run(tips: tuple[Tip, ...], category: str | None, count: int, seed: int) -> list[str]:
    """Pick `count` tips of one topic in a row, remembering like the command does."""
    rng, rotation, shown = random.Random(seed), Rotation(), []
    for _ in range(count):
        tip, rotation = choose_next(tips, category, rotation, rng)
        shown.append(tip.id)
    return shown


@pytest.mark.parametrize("category", [None, *CATEGORIES])
def test_three_rounds_each_show_every_tip_once_and_never_the_same_twice_in_a_row(
    tips: tuple[Tip, ...], category: str | None
) -> None:
    pool = {t.id for t in of_topic(tips, category)}
    n = len(pool)
    for seed in range(40):
        shown = _run(tips, category, 3 * n, seed)
        for start in (0, n, 2 * n):
            assert set(shown[start : start + n]) == pool, (seed, start)
        assert all(a != b for a, b in itertools.pairwise(shown)), seed


def test_rounds_are_shuffled_differently(tips: tuple[Tip, ...]) -> None:
    orders = {tuple(_run(tips, "caffeine", 10, seed)) for seed in range(20)}
    assert len(orders) > 10


def test_pick_never_returns_a_tip_already_shown_in_the_round(tips: tuple[Tip, ...]) -> None:
    pool = [t.id for t in of_topic(tips, "doctor")]
    rng = random.Random(7)
    for _ in range(200):
        shown = rng.sample(pool, rng.randrange(len(pool)))  # a round not yet complete
        assert pick_tip(tips, "doctor", shown, rng).id not in shown


def test_a_complete_round_restarts_without_the_tip_shown_last(tips: tuple[Tip, ...]) -> None:
    pool = [t.id for t in of_topic(tips, "rest")]
    for seed in range(200):
        assert pick_tip(tips, "rest", pool, random.Random(seed)).id != pool[-1]


def test_a_set_of_shown_ids_works_but_has_no_last(tips: tuple[Tip, ...]) -> None:
    pool = {t.id for t in of_topic(tips, "rest")}
    picks = {pick_tip(tips, "rest", pool, random.Random(seed)).id for seed in range(200)}
    assert picks == pool
    assert pick_tip(tips, "rest", pool - {"rest-at-home"}, random.Random(1)).id == "rest-at-home"


def test_a_topic_of_one_tip_repeats_it() -> None:
    only = Tip("doctor-only", "doctor", "See a doctor.", "See a doctor.", "Home remedies")
    assert _run((only,), "doctor", 3, seed=1) == ["doctor-only"] * 3


def test_a_topic_without_tips_is_a_bug(tips: tuple[Tip, ...]) -> None:
    with pytest.raises(ValueError, match="no tips in topic 'nothing'"):
        pick_tip(tips, "nothing", (), random.Random(1))


def test_extend_round_forgets_ids_no_longer_in_the_catalogue(tips: tuple[Tip, ...]) -> None:
    tip = next(t for t in tips if t.id == "caffeine-half-life")
    assert extend_round(tips, "caffeine", ("caffeine-gone", "caffeine-daily-limit"), tip) == (
        "caffeine-daily-limit",
        "caffeine-half-life",
    )


def test_a_tip_shown_twice_moves_to_the_end_instead_of_restarting_the_round(tips: tuple[Tip, ...]) -> None:
    tip = next(t for t in tips if t.id == "caffeine-half-life")
    before = ("caffeine-half-life", "caffeine-daily-limit")
    assert extend_round(tips, None, before, tip) == ("caffeine-daily-limit", "caffeine-half-life")


def test_a_tip_is_remembered_in_its_topic_and_in_the_any_topic_round(tips: tuple[Tip, ...]) -> None:
    rng = random.Random(3)
    tip, rotation = choose_next(tips, "caffeine", Rotation(), rng)
    assert rotation.shown("caffeine") == (tip.id,)
    assert rotation.shown(None) == (tip.id,)
    other, rotation = choose_next(tips, None, rotation, rng)
    assert rotation.shown(None) == (tip.id, other.id)
    assert other.id in rotation.shown(other.category)
    assert set(rotation.rounds) == {ANY_TOPIC, "caffeine", other.category}


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    topics=st.lists(st.sampled_from([None, *CATEGORIES]), min_size=1, max_size=120),
)
def test_any_mix_of_topics_keeps_every_round_consistent(
    tips: tuple[Tip, ...], seed: int, topics: list[str | None]
) -> None:
    # `tips` is session-scoped, so hypothesis may share it between examples.
    rng, rotation = random.Random(seed), Rotation()
    for topic in topics:
        pool = {t.id for t in of_topic(tips, topic)}
        before = rotation.shown(topic)
        tip, rotation = choose_next(tips, topic, rotation, rng)
        assert tip.id in pool
        if not pool <= set(before):  # the round was not complete: no repeat
            assert tip.id not in before
        for key, round_ in rotation.rounds.items():
            category = None if key == ANY_TOPIC else key
            assert len(set(round_)) == len(round_), key
            assert set(round_) <= {t.id for t in of_topic(tips, category)}, key
