"""TerminalDisplay: plain lines off a terminal, rich styling on one (a real pty), NO_COLOR."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from typing import TextIO

import pytest

from calmcoach.outputs.terminal import TerminalDisplay, plain_line
from tests.delivery.fakes import FixedClock

SGR = re.compile(r"\x1b\[([0-9;]*)m")


def sgr_codes(text: str) -> set[int]:
    """Return every SGR parameter in `text` (1 bold, 2 dim, 30-37/90-97 and 38 colours...)."""
    return {int(part) for group in SGR.findall(text) for part in group.split(";") if part}


def is_colour(code: int) -> bool:
    return 30 <= code <= 38 or 90 <= code <= 97


@pytest.fixture
def pty_stream(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TextIO, int]]:
    """A real terminal: the writing end of a pseudo-terminal, and the fd to read it back."""
    monkeypatch.setenv("TERM", "xterm-256color")  # rich styles nothing on TERM=dumb, as it should
    monkeypatch.delenv("COLORTERM", raising=False)
    leader, follower = os.openpty()
    stream = os.fdopen(follower, "w", encoding="utf-8")
    try:
        yield stream, leader
    finally:
        stream.close()
        os.close(leader)


def read_back(leader: int) -> str:
    return os.read(leader, 65536).decode("utf-8")


def test_not_a_terminal_gives_plain_lines() -> None:
    out = io.StringIO()
    display = TerminalDisplay(out, clock=FixedClock())

    display.show("Water", "Drink a glass of water.")
    display.show("Stretch", "Roll your\nshoulders   slowly.")

    assert out.getvalue().splitlines() == [
        "09:05 Water: Drink a glass of water.",
        "09:05 Stretch: Roll your shoulders slowly.",
    ]
    assert out.getvalue().endswith("\n")


def test_text_that_looks_like_markup_is_printed_as_it_is() -> None:
    out = io.StringIO()
    TerminalDisplay(out, clock=FixedClock(), color=True).show("[bold]Tea[/bold]", "<b>a & b</b>")
    assert "[bold]Tea[/bold]" in out.getvalue()
    assert "<b>a & b</b>" in out.getvalue()


def test_a_real_terminal_gets_styled_colour_output(pty_stream: tuple[TextIO, int]) -> None:
    stream, leader = pty_stream
    TerminalDisplay(stream, clock=FixedClock(), environ={}).show("Water", "A glass now.")
    stream.flush()

    text = read_back(leader)
    assert "Water" in text
    assert "A glass now." in text
    codes = sgr_codes(text)
    assert 1 in codes  # bold title
    assert any(is_colour(code) for code in codes)
    assert SGR.sub("", text).strip() == "09:05 Water: A glass now."


def test_no_color_keeps_the_style_but_drops_the_colour(pty_stream: tuple[TextIO, int]) -> None:
    stream, leader = pty_stream
    TerminalDisplay(stream, clock=FixedClock(), environ={"NO_COLOR": "1"}).show("Water", "A glass now.")
    stream.flush()

    text = read_back(leader)
    codes = sgr_codes(text)
    assert 1 in codes
    assert not any(is_colour(code) for code in codes)
    assert SGR.sub("", text).strip() == "09:05 Water: A glass now."


def test_no_color_from_the_real_environment(
    pty_stream: tuple[TextIO, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    stream, leader = pty_stream
    TerminalDisplay(stream, clock=FixedClock()).show("Water", "A glass now.")
    stream.flush()
    assert not any(is_colour(code) for code in sgr_codes(read_back(leader)))


def test_an_empty_no_color_does_not_count(pty_stream: tuple[TextIO, int]) -> None:
    stream, leader = pty_stream
    TerminalDisplay(stream, clock=FixedClock(), environ={"NO_COLOR": ""}).show("Water", "A glass now.")
    stream.flush()
    assert any(is_colour(code) for code in sgr_codes(read_back(leader)))


def test_color_false_on_a_terminal_has_no_colour(pty_stream: tuple[TextIO, int]) -> None:
    stream, leader = pty_stream
    TerminalDisplay(stream, clock=FixedClock(), color=False, environ={}).show("Water", "A glass now.")
    stream.flush()
    assert not any(is_colour(code) for code in sgr_codes(read_back(leader)))


def test_plain_line_without_a_body() -> None:
    assert plain_line("07:30", "Good morning", "") == "07:30 Good morning"
