"""A broken catalogue is a bug: `parse_tips` reports every problem in it, clearly, and never half-loads."""

from __future__ import annotations

import json

import pytest

from calmcoach.content.tips import TipDataError, parse_tips

GOOD = """
[[tip]]
id = "caffeine-one"
category = "caffeine"
text = "A tip."
spoken = "A tip."
source = "Causes of Twitching Muscle"
"""


def _tip(**fields: str) -> str:
    values = {
        "id": "caffeine-one",
        "category": "caffeine",
        "text": "A tip.",
        "spoken": "A tip.",
        "source": "Causes of Twitching Muscle",
    } | fields
    # A JSON string is a valid TOML basic string for the plain text used here.
    return "[[tip]]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items())


def test_a_good_catalogue_loads() -> None:
    (tip,) = parse_tips(GOOD)
    assert (tip.id, tip.category, tip.source) == ("caffeine-one", "caffeine", "Causes of Twitching Muscle")


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        pytest.param("[[tip]\n", "not valid TOML", id="bad-toml"),
        pytest.param("", "at least one [[tip]]", id="empty"),
        pytest.param('tip = "x"\n', "at least one [[tip]]", id="tip-not-a-list"),
        pytest.param(GOOD + "[extra]\n", "unknown top-level key 'extra'", id="unknown-top-level"),
        pytest.param(GOOD + GOOD, "tip[1].id: duplicate id 'caffeine-one'", id="duplicate-id"),
        pytest.param(
            _tip(category="coffee", id="coffee-one"),
            "tip[0].category: unknown category 'coffee'",
            id="category",
        ),
        pytest.param(_tip(id="water-one"), "expected it to start with its category", id="id-prefix"),
        pytest.param(_tip(id="Caffeine One"), "expected a lower-case slug", id="id-slug"),
        pytest.param(
            _tip(source="The internet"), "tip[0].source: unknown source 'The internet'", id="source"
        ),
        pytest.param(_tip(spoken="  "), "tip[0].spoken: expected a non-empty string", id="blank-field"),
        pytest.param(
            GOOD.replace('text = "A tip."\n', ""),
            "tip[0].text: expected a non-empty string, got None",
            id="missing",
        ),
        pytest.param(GOOD + "txt = 'typo'\n", "tip[0].txt: unknown key", id="unknown-key"),
        pytest.param(
            GOOD.replace('"A tip."', "3", 1),
            "tip[0].text: expected a non-empty string, got 3",
            id="not-a-string",
        ),
    ],
)
def test_broken_catalogues_raise_a_clear_error(document: str, expected: str) -> None:
    with pytest.raises(TipDataError) as caught:
        parse_tips(document, origin="tips.toml")
    assert str(caught.value).startswith("tips.toml")
    assert expected in str(caught.value)


def test_every_problem_is_reported_at_once() -> None:
    document = _tip(category="coffee", id="coffee-one") + _tip(source="Nowhere", id="caffeine-two")
    with pytest.raises(TipDataError) as caught:
        parse_tips(document)
    message = str(caught.value)
    assert "tip[0].category" in message
    assert "tip[1].source" in message
