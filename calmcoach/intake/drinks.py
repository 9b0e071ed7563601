"""The drink table `calmcoach log caffeine` knows, and how a typed drink and size become milligrams.

The built-in figures are Mayo Clinic's ("Caffeine content for coffee, tea, soda and more"): brewed
coffee 96 mg per 8 oz, espresso 64 mg per 1 oz, black tea 47 mg per 8 oz, green tea 28 mg per
8 oz, cola 22 mg per 8 oz, energy drink 72 mg per 8 oz. They are defaults: a drink of the same
name in the user's `settings.drinks` replaces one here, and new names are added.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from calmcoach.schedule.model import Drink
from calmcoach.units import ML_PER_UNIT, cut, parse_caffeine_mg, parse_volume_ml

OZ = ML_PER_UNIT["oz"]

BUILT_IN_DRINKS: tuple[Drink, ...] = (
    Drink("brewed coffee", 8 * OZ, 96.0),
    Drink("espresso", 1 * OZ, 64.0),
    Drink("black tea", 8 * OZ, 47.0),
    Drink("green tea", 8 * OZ, 28.0),
    Drink("cola", 8 * OZ, 22.0),
    Drink("energy drink", 8 * OZ, 72.0),
)

# Other words people type for the same drinks.
ALIASES: Mapping[str, str] = {
    "coffee": "brewed coffee",
    "filter coffee": "brewed coffee",
    "drip coffee": "brewed coffee",
    "tea": "black tea",
    "coke": "cola",
    "energy": "energy drink",
    "shot": "espresso",
}

# Sizes that count servings rather than volume ("double" espresso).
SERVINGS: Mapping[str, float] = {"single": 1.0, "double": 2.0, "triple": 3.0}
_TIMES = re.compile(r"^(\d+(?:\.\d+)?)\s*x$")


def normalize(name: str) -> str:
    """Given a drink name as typed ("Green-Tea"), return the form used to look it up ("green tea")."""
    return " ".join(name.lower().replace("-", " ").replace("_", " ").split())


def drink_table(user_drinks: Iterable[Drink] = ()) -> dict[str, Drink]:
    """Given the user's drinks from the settings, return every known drink by normalized name."""
    table = {normalize(d.name): d for d in BUILT_IN_DRINKS}
    table.update({normalize(d.name): d for d in user_drinks})
    return table


@dataclass(frozen=True)
class Serving:
    """What was drunk: the drink's name (None for a bare dose), its volume if known, and the mg."""

    drink: str | None
    volume_ml: float | None
    mg: float


def lookup(name: str, table: Mapping[str, Drink]) -> Drink:
    """Given a drink name and the drink table, return the drink; raise ValueError naming the known ones."""
    key = normalize(name)
    drink = table.get(key) or table.get(ALIASES.get(key, ""))
    if drink is None:
        known = ", ".join(sorted(table))
        raise ValueError(
            f"unknown drink {cut(name)!r}; known drinks: {known} (or give a dose like 120mg, or add the "
            "drink to [settings] drinks in your schedule)"
        )
    return drink


def serving(words: list[str], table: Mapping[str, Drink]) -> Serving:
    """Given the words after `log caffeine` and the drink table, return the serving they describe.

    Accepted: a dose ("120mg"); a drink ("coffee", "green tea"); a drink and a size, the size being
    a volume ("12oz", "350ml", "cup"), a serving count ("double", "2x") or a
    dose ("coffee 150mg", for a drink whose strength you know).
    """
    if not words:
        raise ValueError('say what you drank: a drink like "coffee" or a dose like "120mg"')
    if len(words) == 1:
        try:
            return Serving(None, None, parse_caffeine_mg(words[0]))
        except ValueError:
            # "0mg" is a dose that cannot be, not an unknown drink called "0mg".
            if re.fullmatch(r"\s*-?[\d.]+\s*mg\s*", words[0], flags=re.IGNORECASE):
                raise
    # The last word is a size when it reads as one and something is left for the drink's name.
    size = words[-1] if len(words) > 1 and _is_size(words[-1]) else None
    name_words = words[:-1] if size is not None else words
    drink = lookup(" ".join(name_words), table)
    if size is None:
        return Serving(drink.name, drink.serving_ml, drink.caffeine_mg)
    return _sized(drink, size)


def _is_size(word: str) -> bool:
    try:
        _sized(Drink("x", 1.0, 1.0), word)
    except ValueError:
        return False
    return True


def _sized(drink: Drink, size: str) -> Serving:
    word = size.lower()
    times = _TIMES.match(word)
    count = SERVINGS.get(word) or (float(times[1]) if times else None)
    if count is not None:
        if count <= 0:
            raise ValueError(f"expected a number of servings above 0, got {cut(size)!r}")
        return Serving(drink.name, drink.serving_ml * count, drink.caffeine_mg * count)
    try:
        return Serving(drink.name, None, parse_caffeine_mg(word))
    except ValueError:
        pass
    volume = parse_volume_ml(word)  # raises ValueError with the accepted forms
    return Serving(drink.name, volume, drink.caffeine_mg * volume / drink.serving_ml)
