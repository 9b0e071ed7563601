"""`calmcoach tip` through the real entry point, with the real state folder."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from calmcoach.cli import main
from calmcoach.content.tips import CATEGORIES, Tip, of_topic
from calmcoach.context import Context
from calmcoach.paths import Paths
from tests.support import Cli

FIELDS = {"id", "category", "text", "spoken", "source"}


def _state(paths: Paths) -> Path:
    return paths.state / "tips.json"


def _shown_id(cli: Cli, *args: str) -> str:
    result = cli(["tip", "--json", *args])
    assert (result.code, result.stderr) == (0, "")
    tip = json.loads(result.stdout)
    assert set(tip) == FIELDS
    return str(tip["id"])


def test_a_topic_shows_every_tip_once_then_starts_again(cli: Cli, tips: tuple[Tip, ...]) -> None:
    pool = {t.id for t in of_topic(tips, "caffeine")}
    n = len(pool)
    first = [_shown_id(cli, "--topic", "caffeine") for _ in range(n)]
    assert set(first) == pool  # n calls, n distinct tips: all of the topic
    second = [_shown_id(cli, "--topic", "caffeine") for _ in range(n)]
    assert set(second) == pool  # then a new round with all of them again
    assert second[0] != first[-1]  # which does not start with the tip just shown


def test_without_a_topic_the_whole_catalogue_comes_round_once(cli: Cli, tips: tuple[Tip, ...]) -> None:
    shown = [_shown_id(cli) for _ in tips]
    assert sorted(shown) == sorted(t.id for t in tips)


def test_tips_shown_for_a_topic_are_not_repeated_by_the_general_rotation(
    cli: Cli, tips: tuple[Tip, ...]
) -> None:
    doctor = {_shown_id(cli, "--topic", "doctor") for _ in range(3)}
    rest_of_round = [_shown_id(cli) for _ in range(len(tips) - 3)]
    assert not doctor & set(rest_of_round)
    assert len(set(rest_of_round)) == len(rest_of_round)


@pytest.mark.parametrize(
    ("word", "category"),
    [
        pytest.param("caffeine", "caffeine", id="id"),
        pytest.param("coffee", "caffeine", id="coffee"),
        pytest.param("water", "hydration", id="water"),
        pytest.param("Twitch-vs-Spasm", "twitch-vs-spasm", id="case"),
        pytest.param("doctor", "doctor", id="doctor"),
    ],
)
def test_topics_and_their_aliases(cli: Cli, tips: tuple[Tip, ...], word: str, category: str) -> None:
    shown = _shown_id(cli, "--topic", word)
    assert shown in {t.id for t in of_topic(tips, category)}


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--topic", "nonsense"], id="unknown"),
        pytest.param(["--topic", ""], id="empty"),
        pytest.param(["--list", "--topic", "magnesia"], id="with-list"),
    ],
)
def test_an_unknown_topic_is_a_usage_error_listing_the_topics(cli: Cli, args: list[str]) -> None:
    result = cli(["tip", *args])
    assert result.code == 2
    assert result.stdout == ""
    assert "unknown topic" in result.stderr
    for category in CATEGORIES:
        assert category in result.stderr
    assert "Traceback" not in result.stderr


def test_plain_output_is_the_text_then_its_source(cli: Cli, tips: tuple[Tip, ...]) -> None:
    result = cli(["tip", "--topic", "minerals"])
    assert result.code == 0
    text, source = result.stdout.splitlines()
    tip = next(t for t in tips if t.text == text)
    assert source == f"source: {tip.source}"
    assert "\x1b[" not in result.stdout


def test_spoken_when_piped_is_the_spoken_line_alone(cli: Cli, tips: tuple[Tip, ...]) -> None:
    result = cli(["tip", "--spoken"])
    assert result.code == 0
    (line,) = result.stdout.splitlines()
    assert line in {t.spoken for t in tips}


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_source_line_is_dim(paths: Paths, tips: tuple[Tip, ...]) -> None:
    out, err = FakeTerminal(), io.StringIO()
    assert main(["tip", "--topic", "doctor"], Context(paths=paths, stdout=out, stderr=err)) == 0
    assert err.getvalue() == ""
    assert "\x1b[2msource: " in out.getvalue()
    flowing = " ".join(out.getvalue().split())  # rich wraps long lines at the terminal's width
    assert any(t.text in flowing for t in of_topic(tips, "doctor"))


def test_list_json_is_the_whole_catalogue(cli: Cli, tips: tuple[Tip, ...]) -> None:
    result = cli(["tip", "--list", "--json"])
    assert (result.code, result.stderr) == (0, "")
    listed = json.loads(result.stdout)
    assert isinstance(listed, list)
    assert len(listed) == len(tips)
    for entry in listed:
        assert set(entry) == FIELDS
        assert all(isinstance(value, str) and value for value in entry.values())
    assert [e["id"] for e in listed] == [t.id for t in tips]


def test_list_does_not_advance_the_rotation(cli: Cli, paths: Paths) -> None:
    assert cli(["tip", "--list"]).code == 0
    assert cli(["tip", "--list", "--json"]).code == 0
    assert not _state(paths).exists()


def test_list_json_with_a_topic_lists_that_topic(cli: Cli, tips: tuple[Tip, ...]) -> None:
    result = cli(["tip", "--list", "--json", "--topic", "sleep"])
    assert [e["id"] for e in json.loads(result.stdout)] == [t.id for t in of_topic(tips, "rest")]


def test_plain_list_shows_every_topic_and_tip(cli: Cli, tips: tuple[Tip, ...]) -> None:
    result = cli(["tip", "--list"])
    assert result.code == 0
    for tip in tips:
        assert f"  {tip.id}: {tip.text} ({tip.source})" in result.stdout
    for category in CATEGORIES:
        assert f"({category}, " in result.stdout


def test_plain_list_of_spoken_variants(cli: Cli, tips: tuple[Tip, ...]) -> None:
    result = cli(["tip", "--list", "--spoken", "--topic", "stress"])
    lines = [line for line in result.stdout.splitlines() if line.startswith("  ")]
    assert lines == [f"  {t.id}: {t.spoken} ({t.source})" for t in of_topic(tips, "stress")]


# --- the rotation file ----------------------------------------------------------------------


def test_the_rotation_is_saved_in_the_state_folder(cli: Cli, paths: Paths) -> None:
    shown = _shown_id(cli, "--topic", "rest")
    saved = json.loads(_state(paths).read_text())
    assert saved["version"] == 1
    assert saved["rounds"]["rest"] == [shown]
    assert saved["rounds"]["*"] == [shown]
    # Written through a temporary file that was renamed: nothing else is left behind.
    assert sorted(p.name for p in paths.state.iterdir()) == ["tips.json"]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"{not json", id="not-json"),
        pytest.param(b"", id="empty"),
        pytest.param(b"\xff\xfe\x00garbage", id="not-utf8"),
        pytest.param(b"[1, 2, 3]", id="a-list"),
        pytest.param(b'{"version": 99, "rounds": {}}', id="future-version"),
        pytest.param(b'{"version": 1, "rounds": {"caffeine": [1, 2]}}', id="ids-not-strings"),
        pytest.param(b'{"version": 1, "rounds": []}', id="rounds-not-a-table"),
    ],
)
def test_a_corrupt_rotation_file_starts_a_fresh_round_and_warns_once(
    cli: Cli, paths: Paths, tips: tuple[Tip, ...], content: bytes
) -> None:
    _state(paths).parent.mkdir(parents=True, exist_ok=True)
    _state(paths).write_bytes(content)
    result = cli(["tip", "--json"])
    assert result.code == 0
    assert json.loads(result.stdout)["id"] in {t.id for t in tips}
    warnings = result.stderr.splitlines()
    assert len(warnings) == 1
    assert warnings[0].startswith("calmcoach: ignoring the tip rotation in ")
    assert "starting a fresh round" in warnings[0]
    # The file was replaced by a good one, so the next call is quiet and remembers.
    assert json.loads(_state(paths).read_text())["version"] == 1
    again = cli(["tip", "--json"])
    assert (again.code, again.stderr) == (0, "")


def test_a_rotation_that_cannot_be_saved_still_shows_the_tip(cli: Cli, paths: Paths) -> None:
    _state(paths).mkdir(parents=True)  # a folder where the file should be
    result = cli(["tip"])
    assert result.code == 0
    assert result.stdout.splitlines()[1].startswith("source: ")
    assert "ignoring the tip rotation" in result.stderr
    assert "could not save the tip rotation" in result.stderr
    assert list(_state(paths).iterdir()) == []
    assert [p.name for p in paths.state.iterdir()] == ["tips.json"]  # no stray temporary file


def test_ids_that_left_the_catalogue_are_forgotten(cli: Cli, paths: Paths) -> None:
    _state(paths).parent.mkdir(parents=True, exist_ok=True)
    _state(paths).write_text(json.dumps({"version": 1, "rounds": {"doctor": ["doctor-retired"]}}))
    shown = _shown_id(cli, "--topic", "doctor")
    assert json.loads(_state(paths).read_text())["rounds"]["doctor"] == [shown]


def test_the_help_names_every_topic() -> None:
    # The help text spells the topics out so that registering the command stays import-free.
    from calmcoach.commands.tip import TOPICS_HELP

    assert ", ".join(CATEGORIES) == TOPICS_HELP
