"""The tip catalogue: loading and checking `data/tips.toml`, and choosing which tip comes next.

Tips carry the article's facts (and the outside facts of DESIGN section 5, each with its named
source) in our own words. The catalogue is packaged data, so a broken file is a bug of ours and
raises `TipDataError`, never a user-facing error.

Choosing is pure: `pick_tip` and `choose_next` take the tips, the topic, what was shown in the
current round and a `random.Random`. Only `read_rotation`/`write_rotation` touch the file system,
so the command and the service share one rotation kept in the state folder.

Given a cache folder, `load_tips` keeps the checked tips there as JSON with an exact copy of the
catalogue's text and a stamp of this module, and takes them from there while both are unchanged:
tomllib is pure Python, and importing it and parsing the catalogue were the largest part of
`calmcoach tip` after the interpreter's own start-up. The copy is compared, not hashed.
"""

from __future__ import annotations

import contextlib
import json
import os
import pkgutil
import re
import tempfile
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from calmcoach.errors import EXIT_USAGE, CalmcoachError
from calmcoach.units import cut

if TYPE_CHECKING:
    import random

# The topics, in the order `calmcoach tip --list` shows them.
CATEGORIES: tuple[str, ...] = (
    "hydration",
    "caffeine",
    "stretching",
    "minerals",
    "stress",
    "rest",
    "twitch-vs-spasm",
    "doctor",
)

CATEGORY_TITLES: Mapping[str, str] = MappingProxyType(
    {
        "hydration": "Water and hydration",
        "caffeine": "Caffeine",
        "stretching": "Stretching and overuse",
        "minerals": "Calcium, magnesium and vitamin D",
        "stress": "Stress and calm",
        "rest": "Rest and lifestyle",
        "twitch-vs-spasm": "Twitch or spasm?",
        "doctor": "When to see a doctor",
    }
)

# Friendly words people may type for `--topic`; the category ids themselves always work too.
TOPIC_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        "water": "hydration",
        "drink": "hydration",
        "coffee": "caffeine",
        "tea": "caffeine",
        "stretch": "stretching",
        "exercise": "stretching",
        "overuse": "stretching",
        "calcium": "minerals",
        "magnesium": "minerals",
        "vitamin-d": "minerals",
        "diet": "minerals",
        "calm": "stress",
        "anxiety": "stress",
        "breathing": "stress",
        "sleep": "rest",
        "lifestyle": "rest",
        "twitch": "twitch-vs-spasm",
        "spasm": "twitch-vs-spasm",
        "cramp": "twitch-vs-spasm",
        "gp": "doctor",
    }
)


# The records here are NamedTuples, not dataclasses: `calmcoach tip` imports this module, and
# `dataclasses` imports `inspect` (with ast, dis and tokenize), a sixth of a quick command's start-up.


class ArticleSection(NamedTuple):
    """A part of source/article.txt that tips may name as their source.

    `heading` says whether `name` is the article's own heading (else a name of ours for an untitled
    part); `marker` is a few of its words, so a test can find the passage in the article.
    """

    name: str
    heading: bool
    marker: str


class AdvicePassage(NamedTuple):
    """A passage of the article that gives advice, and the topics whose tips carry it.

    The catalogue covers the passage when some tip names `section` as its source and has one of
    `categories`.
    """

    section: str
    marker: str
    categories: tuple[str, ...]


INTRODUCTION = "Introduction"
MEANING = "What does Muscle Twitching mean?"
CAUSES = "Causes of Twitching Muscle"
SPASM = "What is the difference between spasm and muscle twitching?"
AT_THE_DOCTOR = "At the doctor"
HOME_REMEDIES = "Home remedies"
WHEN_TO_SEE_A_DOCTOR = "In what cases should we see a doctor?"

ARTICLE_SECTIONS: tuple[ArticleSection, ...] = (
    ArticleSection(INTRODUCTION, heading=False, marker="usually affects the small muscles"),
    ArticleSection(MEANING, heading=True, marker="involuntary contraction that occurs"),
    ArticleSection(CAUSES, heading=True, marker="use your muscles too much"),
    ArticleSection(SPASM, heading=True, marker="both have involuntary contractions"),
    ArticleSection(AT_THE_DOCTOR, heading=False, marker="visits a doctor for stress and anxiety"),
    ArticleSection(HOME_REMEDIES, heading=False, marker="consider the following home remedies"),
    ArticleSection(WHEN_TO_SEE_A_DOCTOR, heading=True, marker="should not worry too much"),
)

# Every passage that tells the reader something to do (or to know before deciding what to do).
# The introduction and the definition only explain, so they are not listed.
ADVICE_PASSAGES: tuple[AdvicePassage, ...] = (
    AdvicePassage(CAUSES, "use your muscles too much", ("stretching", "rest")),
    AdvicePassage(CAUSES, "exercises for a long time or too much", ("stretching", "rest")),
    AdvicePassage(CAUSES, "electrolyte imbalance", ("hydration", "minerals")),
    AdvicePassage(CAUSES, "calves, thighs, and biceps", ("stretching",)),
    AdvicePassage(CAUSES, "muscles need calcium", ("minerals",)),
    AdvicePassage(CAUSES, "dairy products, soybeans, tofu", ("minerals",)),
    AdvicePassage(CAUSES, "magnesium plays an important role", ("minerals",)),
    AdvicePassage(CAUSES, "vitamin d deficiency can also", ("minerals",)),
    AdvicePassage(CAUSES, "of your muscle mass is water", ("hydration",)),
    AdvicePassage(CAUSES, "severe psychological stress", ("stress",)),
    AdvicePassage(CAUSES, "high caffeine intake", ("caffeine",)),
    AdvicePassage(SPASM, "short contraction that may be repetitive", ("twitch-vs-spasm",)),
    AdvicePassage(SPASM, "referred to as muscle cramps", ("twitch-vs-spasm",)),
    AdvicePassage(AT_THE_DOCTOR, "talk to your doctor about the signs", ("doctor",)),
    AdvicePassage(HOME_REMEDIES, "varied and balanced diet", ("rest", "minerals")),
    AdvicePassage(HOME_REMEDIES, "resting at home", ("rest",)),
    AdvicePassage(HOME_REMEDIES, "specific underlying cause", ("doctor",)),
    AdvicePassage(WHEN_TO_SEE_A_DOCTOR, "should not worry too much", ("stress",)),
    AdvicePassage(WHEN_TO_SEE_A_DOCTOR, "keep calm and avoid worries", ("stress",)),
    AdvicePassage(WHEN_TO_SEE_A_DOCTOR, "not one of the common cases", ("doctor",)),
    AdvicePassage(WHEN_TO_SEE_A_DOCTOR, "bilateral muscle twitching", ("doctor",)),
    AdvicePassage(WHEN_TO_SEE_A_DOCTOR, "new symptoms", ("doctor",)),
)

# Outside sources, as DESIGN section 5 names them; a tip citing one carries only that source's facts.
OUTSIDE_SOURCES: tuple[str, ...] = (
    "EFSA 2010",  # adequate water intake
    "FDA; EFSA",  # 400 mg caffeine a day
    "EFSA",  # 200 mg single dose, 200 mg a day in pregnancy
    "IOM 2001",  # caffeine half-life
    "Drake et al. 2013",  # caffeine 6 h before bed
    "Gardiner et al. 2023",  # 8.8 h for a 107 mg coffee
    "Mayo Clinic",  # caffeine per drink
    "Mayo Clinic; ACSM",  # stretches and how to hold them
    "NHS: Muscle twitches",  # more than 2 weeks, more than one place, weakness
    "Balban et al. 2023",  # cyclic sighing
    "Lin et al. 2014",  # 5.5 breaths a minute
    "Steffen 2017",  # resonant breathing
    "Fincham et al. 2023",  # breathwork meta-analysis
    "Weil",  # 4-7-8 breathing
)

SOURCES: tuple[str, ...] = tuple(s.name for s in ARTICLE_SECTIONS) + OUTSIDE_SOURCES

FIELDS: tuple[str, ...] = ("id", "category", "text", "spoken", "source")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

# The rotation key for "any topic"; not a category id, so it cannot clash with one.
ANY_TOPIC = "*"
STATE_FILE = "tips.json"
_STATE_VERSION = 1
CATALOGUE_CACHE = "tip-catalogue.json"
_CACHE_FORMAT = 1


class TipDataError(Exception):
    """The packaged tip catalogue is broken: a bug in calmcoach, not something the user did."""


class Tip(NamedTuple):
    id: str
    category: str
    text: str
    spoken: str
    source: str

    def as_dict(self) -> dict[str, str]:
        """Return the tip as the JSON object `calmcoach tip --json` prints."""
        return {name: getattr(self, name) for name in FIELDS}


# --- loading ------------------------------------------------------------------------------


def load_tips(cache: Path | None = None) -> tuple[Tip, ...]:
    """Return the packaged catalogue, checked; raise TipDataError if the data file is broken.

    With a cache folder, the tips checked by an earlier run are used while the catalogue and this
    module are unchanged (see the module's docstring); a cache that cannot be read or written
    only means parsing again.
    """
    # pkgutil reads through the package's loader (so a zipped install works too) without pulling
    # in importlib.resources' readers and zipfile, which would cost `calmcoach tip` a few ms.
    data = pkgutil.get_data("calmcoach.content.data", "tips.toml")
    if data is None:
        raise TipDataError("calmcoach.content.data: the package cannot read its data files")
    text = data.decode("utf-8")
    if cache is None:
        return parse_tips(text, origin="calmcoach/content/data/tips.toml")
    remembered = _remembered_tips(cache / CATALOGUE_CACHE, text)
    if remembered is not None:
        return remembered
    tips = parse_tips(text, origin="calmcoach/content/data/tips.toml")
    body = {
        "format": _CACHE_FORMAT,
        "code": _code_stamp(),
        "catalogue": text,
        "tips": [list(t) for t in tips],
    }
    with contextlib.suppress(OSError):  # the next run parses again
        _write_atomically(cache / CATALOGUE_CACHE, json.dumps(body, ensure_ascii=False))
    return tips


def _code_stamp() -> list[Any]:
    """Return calmcoach's version and this module's size and modification time: the rules (and
    the shape of a Tip) the cached tips were checked by."""
    from calmcoach import __version__

    info = Path(__file__).stat()
    return [__version__, info.st_size, info.st_mtime_ns]


def _remembered_tips(path: Path, text: str) -> tuple[Tip, ...] | None:
    """Given the cache file and the catalogue's text, return the tips cached for exactly that text
    by this code, else None."""
    try:
        saved: Any = json.loads(path.read_text(encoding="utf-8"))
        if saved["format"] != _CACHE_FORMAT or saved["code"] != _code_stamp() or saved["catalogue"] != text:
            return None
        tips = tuple(Tip(*entry) for entry in saved["tips"])
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):  # none yet, damaged, or other
        return None
    return tips if all(isinstance(value, str) for tip in tips for value in tip) else None


def parse_tips(text: str, origin: str = "tips.toml") -> tuple[Tip, ...]:
    """Given the TOML text of a catalogue, return its tips; raise TipDataError listing every problem."""
    import tomllib  # here, not at the top: a cached catalogue (see load_tips) needs no parser

    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise TipDataError(f"{origin}: not valid TOML: {error}") from error
    problems = [
        f"unknown top-level key {key!r} (expected [[tip]] tables)" for key in document if key != "tip"
    ]
    entries = document.get("tip", [])
    if not isinstance(entries, list) or not entries:
        problems.append("expected at least one [[tip]] table")
        entries = []
    tips: list[Tip] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        tip, entry_problems = _parse_entry(entry, f"tip[{index}]")
        problems += entry_problems
        if tip is not None:
            if tip.id in seen:
                problems.append(f"tip[{index}].id: duplicate id {tip.id!r}")
            seen.add(tip.id)
            tips.append(tip)
    if problems:
        raise TipDataError(
            f"{origin}: the tip catalogue is broken:\n" + "\n".join(f"  {p}" for p in problems)
        )
    return tuple(tips)


def _parse_entry(entry: object, where: str) -> tuple[Tip | None, list[str]]:
    """Given one [[tip]] table, return the tip (or None) and what is wrong with it."""
    if not isinstance(entry, dict):
        return None, [f"{where}: expected a table, got {type(entry).__name__}"]
    problems = [
        f"{where}.{key}: unknown key (expected {', '.join(FIELDS)})" for key in entry if key not in FIELDS
    ]
    values: dict[str, str] = {}
    for name in FIELDS:
        value = entry.get(name)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{where}.{name}: expected a non-empty string, got {value!r}")
        else:
            values[name] = value.strip()
    if problems:
        return None, problems
    tip = Tip(**values)
    if not _SLUG.fullmatch(tip.id):
        problems.append(
            f"{where}.id: expected a lower-case slug like 'hydration-muscle-water', got {tip.id!r}"
        )
    if tip.category not in CATEGORIES:
        problems.append(
            f"{where}.category: unknown category {tip.category!r}; expected one of {', '.join(CATEGORIES)}"
        )
    elif not tip.id.startswith(tip.category + "-"):
        problems.append(
            f"{where}.id: expected it to start with its category, '{tip.category}-', got {tip.id!r}"
        )
    if tip.source not in SOURCES:
        problems.append(
            f"{where}.source: unknown source {tip.source!r}; expected one of {', '.join(SOURCES)}"
        )
    return (None if problems else tip), problems


def resolve_topic(name: str | None) -> str | None:
    """Given what the user typed for a topic (or None), return the category id (or None).

    Raise a usage error naming the valid topics when the word is neither a category nor an alias.
    """
    if name is None:
        return None
    word = name.strip().lower().replace("_", "-").replace(" ", "-")
    if word in CATEGORIES:
        return word
    if word in TOPIC_ALIASES:
        return TOPIC_ALIASES[word]
    raise CalmcoachError(
        f"calmcoach tip: unknown topic {cut(name)!r}; choose one of: {', '.join(CATEGORIES)} "
        f"(or one of these words: {', '.join(sorted(TOPIC_ALIASES))})",
        exit_code=EXIT_USAGE,
    )


def of_topic(tips: Sequence[Tip], category: str | None) -> tuple[Tip, ...]:
    """Given the catalogue and a category (None for all), return that topic's tips in order."""
    return tuple(tips) if category is None else tuple(t for t in tips if t.category == category)


# --- choosing: pure -----------------------------------------------------------------------


def pick_tip(
    tips: Sequence[Tip],
    category: str | None,
    shown: Sequence[str] | AbstractSet[str],
    rng: random.Random,
) -> Tip:
    """Given the catalogue, a topic, the ids shown in its current round and a random source, return
    a tip of that topic not shown yet in the round.

    When every tip of the topic has been shown, a new round begins, and it does not begin with the
    tip shown last (the last element of `shown`, when `shown` is a sequence).
    """
    pool = of_topic(tips, category)
    if not pool:
        raise ValueError(f"no tips in topic {category!r}")
    already = set(shown)
    fresh = [t for t in pool if t.id not in already]
    if not fresh:
        last = shown[-1] if isinstance(shown, Sequence) and shown else None
        fresh = [t for t in pool if t.id != last] or list(pool)
    return rng.choice(fresh)


def extend_round(
    tips: Sequence[Tip], category: str | None, shown: Sequence[str], tip: Tip
) -> tuple[str, ...]:
    """Given a topic's round so far and the tip just shown, return the round to remember.

    Ids no longer in the catalogue are dropped. If the round was complete, the tip starts the next
    one. A tip already in the round (possible when it was picked for another topic: a caffeine tip
    asked for by `--topic caffeine` is also recorded in the any-topic round) moves to the end, so
    that it counts as shown last without throwing away what the round remembers.
    """
    pool = {t.id for t in of_topic(tips, category)}
    so_far = tuple(dict.fromkeys(i for i in shown if i in pool))
    if pool <= set(so_far):
        return (tip.id,)
    return (*(i for i in so_far if i != tip.id), tip.id)


class Rotation(NamedTuple):
    """What has been shown in the current round of each topic, oldest first.

    Keys are category ids and ANY_TOPIC. A tip shown is recorded in the round of its own category
    and in the any-topic round, however it was asked for, so neither way repeats the other's tips.
    """

    rounds: Mapping[str, tuple[str, ...]] = MappingProxyType({})  # read-only, so one can be shared

    def shown(self, category: str | None) -> tuple[str, ...]:
        return self.rounds.get(ANY_TOPIC if category is None else category, ())

    def after(self, tips: Sequence[Tip], tip: Tip) -> Rotation:
        """Given the catalogue and the tip just shown, return the rotation that remembers it."""
        rounds = dict(self.rounds)
        for category in (None, tip.category):
            key = ANY_TOPIC if category is None else category
            rounds[key] = extend_round(tips, category, self.shown(category), tip)
        return Rotation(MappingProxyType(rounds))


def choose_next(
    tips: Sequence[Tip], category: str | None, rotation: Rotation, rng: random.Random
) -> tuple[Tip, Rotation]:
    """Given the catalogue, a topic (None for any), the rotation and a random source, return the
    tip to show and the rotation to save after showing it."""
    tip = pick_tip(tips, category, rotation.shown(category), rng)
    return tip, rotation.after(tips, tip)


# --- the rotation file --------------------------------------------------------------------


def rotation_path(state_dir: Path) -> Path:
    return state_dir / STATE_FILE


def read_rotation(path: Path) -> tuple[Rotation, str | None]:
    """Given the rotation file, return the rotation it holds and None; or, when it cannot be used,
    a fresh rotation and why (None when the file is simply not there yet)."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Rotation(), None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return Rotation(), _unusable(path, f"{type(error).__name__}: {error}")
    rounds = data.get("rounds") if isinstance(data, dict) and data.get("version") == _STATE_VERSION else None
    if not isinstance(rounds, dict) or not all(
        isinstance(key, str) and isinstance(ids, list) and all(isinstance(i, str) for i in ids)
        for key, ids in rounds.items()
    ):
        return Rotation(), _unusable(
            path, f'expected {{"version": {_STATE_VERSION}, "rounds": {{topic: [ids]}}}}'
        )
    return Rotation(MappingProxyType({key: tuple(ids) for key, ids in rounds.items()})), None


def _unusable(path: Path, why: str) -> str:
    return f"ignoring the tip rotation in {path} ({why}); starting a fresh round"


def write_rotation(path: Path, rotation: Rotation) -> None:
    """Save the rotation atomically: a reader sees the old file or the new one, never half of one.

    No fsync: losing the last update in a crash only means a tip may come round again early, and a
    damaged file is read as a fresh round.
    """
    body = json.dumps({"version": _STATE_VERSION, "rounds": {k: list(v) for k, v in rotation.rounds.items()}})
    _write_atomically(path, body)


def _write_atomically(path: Path, body: str) -> None:
    """Write `body` and a newline to `path` through a temporary file renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # A unique temporary name, so that two writers (the service and a `calmcoach tip`) never share one.
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temporary = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body + "\n")
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
