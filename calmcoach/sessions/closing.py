"""The closing line: a fitting tip from the catalogue, chosen one session ahead.

Why ahead: every spoken line must be in the voice cache before a session starts, and making a
clip the cache lacks means loading espeak-ng first (about 100 ms, more on a busy machine), which
the person would wait through before the first cue; so would they for reading the catalogue. So
the *next* session's tip is chosen while this session runs, once its first cue has been given:
its text is remembered in the state folder and its clip made then. The next session starts with
both ready. Only the very first session reads the catalogue before it starts.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

from calmcoach.errors import CalmcoachError
from calmcoach.sessions import scripts
from calmcoach.sessions.stamps import write_atomically

NEXT_TIPS_FILE = "session-closing-tips.json"

# Tips that close a session well: general calm and care, not instructions for another exercise.
TOPICS = {
    "breathing": ("stress", "rest", "hydration"),
    "stretch": ("stretching", "rest", "hydration"),
}
# Words in the ids of tips that teach a technique or one particular stretch: they would start a
# new exercise just as the session ends.
_TECHNIQUE_WORDS = (
    "sigh", "five-and-a-half", "resonant", "four-seven-eight", "breathwork", "chin", "side-bend",
    "neck-turn", "trapezius", "levator", "shrug", "roll", "busiest", "workouts",
)  # fmt: skip


def fitting_tips(kind: str) -> dict[str, str]:
    """Given a session kind ("breathing" or "stretch"), return {tip id: spoken text} of the tips
    that suit its end; empty when the catalogue is broken (its own tests catch that)."""
    from calmcoach.content.tips import TipDataError, load_tips

    try:
        tips = load_tips()
    except TipDataError:
        return {}
    topics = TOPICS.get(kind, ())
    return {
        tip.id: tip.spoken
        for tip in tips
        if tip.category in topics and not any(word in tip.id for word in _TECHNIQUE_WORDS)
    }


def closing_for(kind: str, tip: str | None) -> str:
    """Given the kind of session and a tip's spoken text (or None), return the closing line."""
    return scripts.closing_line(tip, stretch=kind == "stretch")


def current(kind: str, state_dir: Path, rng: random.Random) -> tuple[str, str | None]:
    """Return this session's closing line, and the id of its tip (None for the built-in line).

    The line chosen by the previous session when there is one (no catalogue read), else a
    fitting tip picked now.
    """
    planned = _read(state_dir).get(kind)
    if planned is not None:
        return closing_for(kind, planned["text"]), planned["id"]
    tips = fitting_tips(kind)
    if not tips:
        return closing_for(kind, None), None
    tip_id = rng.choice(sorted(tips))
    return closing_for(kind, tips[tip_id]), tip_id


def plan_next(kind: str, state_dir: Path, now_id: str | None, rng: random.Random) -> str | None:
    """Choose the next session's tip (not this one's), remember it; return its closing line.

    Return None when there is nothing to choose from; raise OSError when it cannot be remembered.
    """
    tips = fitting_tips(kind)
    choices = sorted(set(tips) - {now_id}) or sorted(tips)
    if not choices:
        return None
    next_id = rng.choice(choices)
    planned = _read(state_dir)
    planned[kind] = {"id": next_id, "text": tips[next_id]}
    write_atomically(state_dir / NEXT_TIPS_FILE, json.dumps(planned, sort_keys=True, indent=1) + "\n")
    return closing_for(kind, tips[next_id])


def prepare_next(
    kind: str, state_dir: Path, now_id: str | None, synthesize: Callable[[str], object] | None
) -> Callable[[], None]:
    """Return the work to do while a session runs: choose the next closing line, make its clip."""

    def work() -> None:
        try:
            line = plan_next(kind, state_dir, now_id, random.Random())
            if line is not None and synthesize is not None:
                synthesize(line)
        except (OSError, CalmcoachError):
            pass  # only a head start: the next session picks and makes its own line if need be

    return work


def _read(state_dir: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads((state_dir / NEXT_TIPS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # none yet, or damaged: a fresh pick is as good
    if not isinstance(data, dict):
        return {}
    return {
        kind: {"id": entry["id"], "text": entry["text"]}
        for kind, entry in data.items()
        if isinstance(entry, dict) and isinstance(entry.get("id"), str) and isinstance(entry.get("text"), str)
    }
