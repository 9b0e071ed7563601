"""The packaged tip catalogue: its size, its topics, its sources, its wording and its voice."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from calmcoach.content.tips import (
    ADVICE_PASSAGES,
    ARTICLE_SECTIONS,
    CATEGORIES,
    CATEGORY_TITLES,
    OUTSIDE_SOURCES,
    SOURCES,
    TOPIC_ALIASES,
    Tip,
)
from tests.tips.wording import runs, shared_runs, words

ARTICLE_SOURCES = {s.name for s in ARTICLE_SECTIONS}

# The numbers each outside source may bring, copied from DESIGN section 5. A number in a tip that
# is not listed for its source is a fact we cannot trace.
OUTSIDE_NUMBERS: dict[str, set[str]] = {
    "EFSA 2010": {"2", "2.5", "80", "1.6"},  # 2.0 l women, 2.5 l men, ~80% from drinks
    "FDA; EFSA": {"400"},  # mg a day, healthy adults
    "EFSA": {"200"},  # single dose; a day in pregnancy
    "IOM 2001": {"5", "1.5", "9.5"},  # half-life and its range, hours
    "Drake et al. 2013": {"400", "6"},  # mg, hours before bed
    "Gardiner et al. 2023": {"2023", "107", "8.8"},  # mg coffee, hours before bed
    "Mayo Clinic": {"96", "8", "64", "1", "47", "28", "22", "72"},  # mg per oz serving
    "Mayo Clinic; ACSM": {"15", "30", "5", "10", "45"},  # seconds, repetitions, degrees
    "NHS: Muscle twitches": {"2"},  # weeks
    "Balban et al. 2023": {"2023", "5"},  # minutes a day
    "Lin et al. 2014": {"5.5", "6"},  # breaths a minute, seconds
    "Steffen 2017": {"5", "6"},  # seconds, breaths a minute
    "Fincham et al. 2023": {"2023", "0.35"},  # meta-analysis, effect size
    "Weil": {"4", "7", "8"},  # 4-7-8, 4 cycles at first
}


def numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:\.\d+)?", text))


def normalised(text: str) -> str:
    return " ".join(words(text))


# --- size and shape -------------------------------------------------------------------------


def test_catalogue_has_at_least_40_tips(tips: tuple[Tip, ...]) -> None:
    assert len(tips) >= 40


def test_every_category_has_at_least_three_tips(tips: tuple[Tip, ...]) -> None:
    counts = Counter(t.category for t in tips)
    assert set(counts) == set(CATEGORIES)
    assert {c: n for c, n in counts.items() if n < 3} == {}


def test_ids_are_unique_slugs_prefixed_by_their_category(tips: tuple[Tip, ...]) -> None:
    assert len({t.id for t in tips}) == len(tips)
    for tip in tips:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", tip.id), tip.id
        assert tip.id.startswith(tip.category + "-"), tip.id


def test_every_category_has_a_title_and_every_alias_a_category() -> None:
    assert set(CATEGORY_TITLES) == set(CATEGORIES)
    assert set(TOPIC_ALIASES.values()) <= set(CATEGORIES)
    assert not set(TOPIC_ALIASES) & set(CATEGORIES)


def test_texts_are_one_or_two_sentences(tips: tuple[Tip, ...]) -> None:
    for tip in tips:
        sentences = re.findall(r"[.!?](?:\s|$)", tip.text)
        assert 1 <= len(sentences) <= 2, tip.id
        assert tip.text.endswith((".", "!", "?")), tip.id


# --- sources --------------------------------------------------------------------------------


def test_every_source_is_an_article_section_or_a_named_outside_source(tips: tuple[Tip, ...]) -> None:
    allowed = ARTICLE_SOURCES | set(OUTSIDE_SOURCES)
    assert allowed == set(SOURCES)
    assert {t.source for t in tips} <= allowed
    assert set(OUTSIDE_NUMBERS) == set(OUTSIDE_SOURCES)


def test_article_headings_are_the_articles_own(article: str) -> None:
    lines = {line.strip() for line in article.splitlines()}
    for section in ARTICLE_SECTIONS:
        if section.heading:
            assert section.name in lines, section.name


def test_section_markers_are_in_the_article_in_order(article: str) -> None:
    text = normalised(article)
    positions = [text.find(normalised(s.marker)) for s in ARTICLE_SECTIONS]
    assert -1 not in positions, [s.name for s, p in zip(ARTICLE_SECTIONS, positions, strict=True) if p < 0]
    assert positions == sorted(positions)


def _section_spans(article: str) -> dict[str, tuple[int, int]]:
    """Return where each section starts and ends in the normalised article."""
    text = normalised(article)
    starts = [text.find(normalised(s.marker)) for s in ARTICLE_SECTIONS]
    ends = [*starts[1:], len(text)]
    return {s.name: (a, b) for s, a, b in zip(ARTICLE_SECTIONS, starts, ends, strict=True)}


def test_every_advice_passage_is_found_inside_its_section(article: str) -> None:
    text = normalised(article)
    spans = _section_spans(article)
    for passage in ADVICE_PASSAGES:
        start, end = spans[passage.section]
        where = text.find(normalised(passage.marker), start)
        assert start <= where < end, f"{passage.marker!r} is not in section {passage.section!r}"


def test_every_advice_passage_is_covered_by_a_tip(tips: tuple[Tip, ...]) -> None:
    uncovered = [
        (p.section, p.marker)
        for p in ADVICE_PASSAGES
        if not any(t.source == p.section and t.category in p.categories for t in tips)
    ]
    assert uncovered == []


def test_every_advice_giving_section_has_a_tip(tips: tuple[Tip, ...]) -> None:
    advice_sections = {p.section for p in ADVICE_PASSAGES}
    assert advice_sections - {t.source for t in tips} == set()
    # The sections the brief singles out really are among them.
    assert {
        "Causes of Twitching Muscle",
        "What is the difference between spasm and muscle twitching?",
        "Home remedies",
        "In what cases should we see a doctor?",
    } <= advice_sections


def test_numbers_come_from_the_article_or_the_named_source(tips: tuple[Tip, ...], article: str) -> None:
    in_article = numbers(article)
    for tip in tips:
        allowed = in_article if tip.source in ARTICLE_SOURCES else OUTSIDE_NUMBERS[tip.source]
        assert numbers(tip.text) <= allowed, (tip.id, numbers(tip.text) - allowed)


# --- what the catalogue must say ------------------------------------------------------------


def test_calcium_food_sources_from_the_article_are_named(tips: tuple[Tip, ...]) -> None:
    minerals = " ".join(t.text.lower() for t in tips if t.category == "minerals")
    for food in ("dairy", "soybeans", "tofu", "nuts", "green leafy vegetables"):
        assert food in minerals, food
    for nutrient in ("calcium", "magnesium", "vitamin d"):
        assert nutrient in minerals, nutrient


@pytest.mark.parametrize(
    ("source", "sign"),
    [
        pytest.param("In what cases should we see a doctor?", "both sides", id="article-both-sides"),
        pytest.param("In what cases should we see a doctor?", "new symptoms", id="article-new-symptoms"),
        pytest.param("In what cases should we see a doctor?", "common causes", id="article-uncommon-cause"),
        pytest.param("NHS: Muscle twitches", "more than 2 weeks", id="nhs-two-weeks"),
        pytest.param("NHS: Muscle twitches", "more than one", id="nhs-more-than-one-place"),
        pytest.param("NHS: Muscle twitches", "weakness", id="nhs-weakness"),
    ],
)
def test_each_warning_sign_has_a_tip_that_says_see_a_doctor(
    tips: tuple[Tip, ...], source: str, sign: str
) -> None:
    matching = [t for t in tips if t.category == "doctor" and t.source == source and sign in t.text]
    assert matching, sign
    for tip in matching:
        assert "see a doctor" in tip.text.lower(), tip.id
        assert "see a doctor" in tip.spoken.lower(), tip.id


# --- wording --------------------------------------------------------------------------------


def test_the_ngram_check_finds_a_copied_sentence(article: str) -> None:
    # The check itself must be able to fail: a sentence lifted from the article, with its case and
    # punctuation changed, still shares runs of 8 words with it.
    lifted = "MUSCLES need calcium, to function properly; if a person has calcium deficiency!"
    assert shared_runs(lifted, article, 8)
    assert runs("one two three four five six seven", 8) == set()


def test_no_tip_shares_a_run_of_eight_words_with_the_article(tips: tuple[Tip, ...], article: str) -> None:
    copied = {
        (tip.id, field): shared
        for tip in tips
        for field, text in (("text", tip.text), ("spoken", tip.spoken))
        if (shared := shared_runs(text, article, 8))
    }
    assert copied == {}


# --- the spoken variants --------------------------------------------------------------------

UNIT_AFTER_DIGIT = re.compile(
    r"\d\s*(mg|ml|l|oz|g|kg|h|hr|hrs|min|mins|s|sec|secs|km|cm|mm)\b", re.IGNORECASE
)
ABBREVIATION = re.compile(
    r"\b(e\.g|i\.e|etc|vs|approx|incl|min|mins|hr|hrs|sec|secs|mg|ml|oz|kg|dr|mr|mrs)\b\.?", re.I
)
# Letters, digits, spaces and the punctuation espeak turns into pauses; anything else it may read
# out by name ("percent", "tilde", "slash") or skip.
SPEAKABLE = re.compile(r"[A-Za-z0-9 ,.;:?!'\u2019-]+")


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        pytest.param("Keep caffeine under 400 mg a day.", "unit", id="digit-unit"),
        pytest.param("Drink 2l of water.", "unit", id="digit-unit-glued"),
        pytest.param("About 75% is water.", "symbol", id="percent"),
        pytest.param("Drink ~2 litres.", "symbol", id="tilde"),
        pytest.param("In for 4-7-8.", "range", id="digit-hyphen"),
        pytest.param("The EFSA says so.", "acronym", id="acronym"),
        pytest.param("Drink water, e.g. a glass.", "abbreviation", id="abbreviation"),
    ],
)
def test_the_spoken_checks_catch_bad_lines(line: str, problem: str) -> None:
    assert problem in speech_problems(line)


def speech_problems(line: str) -> set[str]:
    """Given a spoken line, return what espeak would stumble over in it."""
    found = set()
    if UNIT_AFTER_DIGIT.search(line):
        found.add("unit")
    if not SPEAKABLE.fullmatch(line):
        found.add("symbol")
    if re.search(r"\d\s*-\s*\d", line):
        found.add("range")
    if re.search(r"\b[A-Z]{2,}\b", line):
        found.add("acronym")
    if ABBREVIATION.search(line):
        found.add("abbreviation")
    return found


def test_spoken_variants_read_well_aloud(tips: tuple[Tip, ...]) -> None:
    problems = {tip.id: p for tip in tips if (p := speech_problems(tip.spoken))}
    assert problems == {}


def test_spoken_variants_are_short_whole_sentences(tips: tuple[Tip, ...]) -> None:
    for tip in tips:
        assert len(tip.spoken.split()) <= 30, tip.id
        assert tip.spoken.endswith((".", "!", "?")), tip.id
