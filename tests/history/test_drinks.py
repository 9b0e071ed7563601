"""The drink table: Mayo Clinic defaults, aliases, sizes and the user's own drinks."""

from __future__ import annotations

import pytest

from calmcoach.intake.drinks import OZ, Serving, drink_table, serving
from calmcoach.schedule.model import Drink

TABLE = drink_table()


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        pytest.param(["coffee"], Serving("brewed coffee", 8 * OZ, 96.0), id="alias"),
        pytest.param(["brewed", "coffee"], Serving("brewed coffee", 8 * OZ, 96.0), id="two-words"),
        pytest.param(["Green-Tea"], Serving("green tea", 8 * OZ, 28.0), id="dashes-and-case"),
        pytest.param(["tea"], Serving("black tea", 8 * OZ, 47.0), id="tea-is-black-tea"),
        pytest.param(["espresso", "double"], Serving("espresso", 2 * OZ, 128.0), id="double"),
        pytest.param(["espresso", "3x"], Serving("espresso", 3 * OZ, 192.0), id="times"),
        pytest.param(["coffee", "12oz"], Serving("brewed coffee", 12 * OZ, 144.0), id="by-volume"),
        pytest.param(["cola", "330ml"], Serving("cola", 330.0, 22 * 330 / (8 * OZ)), id="a-can"),
        pytest.param(["coffee", "150mg"], Serving("brewed coffee", None, 150.0), id="own-dose"),
        pytest.param(["120mg"], Serving(None, None, 120.0), id="bare-dose"),
        pytest.param(["energy", "drink"], Serving("energy drink", 8 * OZ, 72.0), id="energy-drink"),
    ],
)
def test_servings(words: list[str], expected: Serving) -> None:
    got = serving(words, TABLE)
    assert got.drink == expected.drink
    assert got.mg == pytest.approx(expected.mg)
    assert got.volume_ml == pytest.approx(expected.volume_ml)


def test_mayo_figures_per_8_oz() -> None:
    per_8oz = {name: d.caffeine_mg * 8 * OZ / d.serving_ml for name, d in TABLE.items()}
    assert per_8oz == pytest.approx(
        {
            "brewed coffee": 96,
            "espresso": 64 * 8,
            "black tea": 47,
            "green tea": 28,
            "cola": 22,
            "energy drink": 72,
        }
    )


def test_user_drinks_add_and_replace() -> None:
    table = drink_table([Drink("Mate", 350, 80), Drink("cola", 330, 33)])
    assert serving(["mate"], table) == Serving("Mate", 350, 80)
    assert serving(["cola"], table) == Serving("cola", 330, 33)


@pytest.mark.parametrize("words", [["cocoa"], ["coffee", "huge"], ["espresso", "0x"], []])
def test_unknown_words_say_what_is_known(words: list[str]) -> None:
    with pytest.raises(
        ValueError, match=r"known drinks: black tea, brewed coffee|say what you drank|above 0"
    ):
        serving(words, TABLE)


@pytest.mark.parametrize("word", ["0mg", "0.0 mg", "-5mg"])
def test_an_impossible_dose_is_named_as_a_dose_not_an_unknown_drink(word: str) -> None:
    # "0mg" once answered "unknown drink '0mg'; known drinks: ...".
    with pytest.raises(ValueError, match="caffeine dose") as caught:
        serving([word], TABLE)
    assert "unknown drink" not in str(caught.value)
