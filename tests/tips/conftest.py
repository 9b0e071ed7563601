"""Fixtures for the tip tests: the catalogue and the article it was drawn from.

`article.txt` is a byte-for-byte copy of the project's source article (shared/source/article.txt),
kept here so that the wording and coverage tests run on a clean checkout.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from calmcoach.content.tips import Tip, load_tips

ARTICLE = Path(__file__).with_name("article.txt")


@pytest.fixture(scope="session")
def tips() -> tuple[Tip, ...]:
    return load_tips()


@pytest.fixture(scope="session")
def article() -> str:
    return ARTICLE.read_text(encoding="utf-8")
