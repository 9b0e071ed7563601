"""Word-level helpers for the wording tests: normalising text and finding shared runs of words."""

from __future__ import annotations

import re


def words(text: str) -> list[str]:
    """Given some text, return its words: lower-case, apostrophes dropped, any other punctuation
    taken as a word break ("75%" -> "75", "patient's" -> "patients")."""
    text = text.lower().replace("\u2019", "").replace("'", "")
    return re.sub(r"[^a-z0-9]+", " ", text).split()


def runs(text: str, n: int) -> set[tuple[str, ...]]:
    """Given some text and a length n, return every run of n consecutive words in it."""
    w = words(text)
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


def shared_runs(text: str, source: str, n: int) -> list[str]:
    """Given a text and a source, return the runs of n words the text shares with the source."""
    return sorted(" ".join(run) for run in runs(text, n) & runs(source, n))
