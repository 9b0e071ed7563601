"""The checked catalogue kept in the cache folder is used only for the very text and code it was
checked from; anything else about it (missing, damaged, another catalogue, other code) means
parsing the packaged catalogue again, with its checks."""

from __future__ import annotations

import json
import pkgutil
from pathlib import Path

import pytest

from calmcoach.content import tips as catalogue
from calmcoach.content.tips import CATALOGUE_CACHE, Tip, TipDataError, load_tips

ONE_TIP = """
[[tip]]
id = "caffeine-one"
category = "caffeine"
text = "A tip."
spoken = "A tip."
source = "Causes of Twitching Muscle"
"""


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count the catalogue parses: each call of parse_tips appends the text it parsed."""
    seen: list[str] = []
    real = catalogue.parse_tips

    def counting(text: str, origin: str = "tips.toml") -> tuple[Tip, ...]:
        seen.append(text)
        return real(text, origin)

    monkeypatch.setattr(catalogue, "parse_tips", counting)
    return seen


def _packaged_catalogue_is(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    real = pkgutil.get_data

    def get_data(package: str, resource: str) -> bytes | None:
        if (package, resource) == ("calmcoach.content.data", "tips.toml"):
            return text.encode("utf-8")
        return real(package, resource)

    monkeypatch.setattr(pkgutil, "get_data", get_data)


def test_a_second_load_takes_the_checked_tips_from_the_cache(tmp_path: Path, parses: list[str]) -> None:
    first = load_tips(tmp_path)
    second = load_tips(tmp_path)
    assert len(parses) == 1
    assert second == first == load_tips()
    assert all(type(tip) is Tip for tip in second)


def test_an_edited_catalogue_is_parsed_and_checked_again(
    tmp_path: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    load_tips(tmp_path)
    _packaged_catalogue_is(monkeypatch, ONE_TIP)
    (tip,) = load_tips(tmp_path)
    assert tip.id == "caffeine-one"
    assert len(parses) == 2

    _packaged_catalogue_is(monkeypatch, ONE_TIP.replace('source = "Causes', 'source = "Rumours'))
    with pytest.raises(TipDataError, match="unknown source"):  # never the cached tip instead
        load_tips(tmp_path)


def test_tips_cached_by_other_code_are_not_used(
    tmp_path: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    load_tips(tmp_path)
    monkeypatch.setattr(catalogue, "_code_stamp", lambda: ["another version", 1, 2])
    load_tips(tmp_path)
    assert len(parses) == 2


@pytest.mark.parametrize(
    "damage",
    [
        "not json",
        "[]",
        '{"format": 1}',
        "tips as numbers",
        "tips with a missing field",
    ],
)
def test_a_damaged_cache_means_parsing_again(tmp_path: Path, parses: list[str], damage: str) -> None:
    good = load_tips(tmp_path)
    path = tmp_path / CATALOGUE_CACHE
    saved = json.loads(path.read_text(encoding="utf-8"))
    if damage == "tips as numbers":
        saved["tips"] = [[1, 2, 3, 4, 5]]
        path.write_text(json.dumps(saved), encoding="utf-8")
    elif damage == "tips with a missing field":
        saved["tips"] = [entry[:4] for entry in saved["tips"]]
        path.write_text(json.dumps(saved), encoding="utf-8")
    else:
        path.write_text(damage, encoding="utf-8")
    assert load_tips(tmp_path) == good
    assert len(parses) == 2


def test_a_cache_folder_that_cannot_be_written_still_gives_the_tips(tmp_path: Path) -> None:
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the folder should be", encoding="utf-8")
    assert load_tips(blocked) == load_tips()
