"""Cron expressions: `check` accepts exactly what the planner can run."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calmcoach.planner.cron import parse_cron
from calmcoach.schedule.cron import cron
from calmcoach.schedule.values import Invalid

TOKENS = [
    "*",
    "0",
    "1",
    "5",
    "7",
    "12",
    "23",
    "29",
    "30",
    "31",
    "59",
    "60",
    "mon",
    "fri",
    "sun",
    "sat",
    "feb",
    "dec",
    "x",
    "",
]
ITEM = st.builds(
    lambda first, dash, last, slash, step: (
        first + (f"-{last}" if dash else "") + (f"/{step}" if slash else "")
    ),
    st.sampled_from(TOKENS),
    st.booleans(),
    st.sampled_from(TOKENS),
    st.booleans(),
    st.sampled_from(["0", "1", "2", "15", "a", ""]),
)
FIELD = st.lists(ITEM, min_size=1, max_size=3).map(",".join)


def planner_can_run(expression: str) -> bool:
    try:
        return parse_cron(expression).can_ever_fire()
    except ValueError:
        return False


@settings(max_examples=200, deadline=None)
@given(st.lists(FIELD, min_size=5, max_size=5).map(" ".join))
def test_check_accepts_exactly_what_the_planner_runs(expression: str) -> None:
    try:
        cron(expression)
    except Invalid:
        accepted = False
    else:
        accepted = True
    assert accepted == planner_can_run(expression)


@pytest.mark.parametrize(
    "expression",
    [
        "0 9 * * 1-5",
        "*/15 9-17 * * mon-fri",
        "0 9 * jan-mar/2 *",
        "0 9 * * sat-sun",
        "5/15 * * * *",
        "0 9 1 * mon",
        "0 0 29 2 *",
        "30 7 * * 0,7",
    ],
)
def test_valid_expressions(expression: str) -> None:
    assert cron(expression) == expression
    assert planner_can_run(expression)


def test_the_expression_is_tidied() -> None:
    assert cron("  0   9 * *  MON-FRI ") == "0 9 * * mon-fri"
