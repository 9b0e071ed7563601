"""The "did you mean" hint for a misspelt key or value."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """Given a word and the words that would have been right, return the likeliest meant, or None."""
    options = list(candidates)
    # Compare case-insensitively so "Every" finds "every", but answer with the real spelling.
    by_folded = {option.casefold(): option for option in options}
    match = difflib.get_close_matches(word.casefold(), list(by_folded), n=1, cutoff=0.6)
    return by_folded[match[0]] if match else None


def did_you_mean(word: str, candidates: Iterable[str], *, quote: str = "'") -> str:
    """Given a word and the right ones, return "; did you mean 'every'?" or "" when none is close."""
    match = closest(word, candidates)
    return f"; did you mean {quote}{match}{quote}?" if match is not None else ""
