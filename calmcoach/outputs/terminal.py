"""The terminal Display: a styled line on a terminal (rich), a plain line anywhere else.

Plain lines ("HH:MM title: body") are what logs, pipes and the journal want, so they are written
as they are, without rich, when the stream is not a terminal. Text from schedule files never
reaches rich as markup: it goes in as `Text`, so "[bold]" in a reminder stays "[bold]".
Colour follows https://no-color.org: a non-empty NO_COLOR turns colour off (bold stays).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, TextIO

from calmcoach.clock import Clock, SystemClock

if TYPE_CHECKING:
    from rich.console import Console


def one_line(text: str) -> str:
    """Given text that may span lines, return it on one line (runs of whitespace become a space)."""
    return " ".join(text.split())


def plain_line(hhmm: str, title: str, body: str) -> str:
    """Given a time and a reminder, return the plain line the terminal shows for it."""
    title, body = one_line(title), one_line(body)
    return f"{hhmm} {title}: {body}" if body else f"{hhmm} {title}"


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class TerminalDisplay:
    """Shows reminders on `stream`.

    `color`: None follows the stream (styled on a terminal, plain otherwise) and NO_COLOR;
    True styles with colour even when the stream is not a terminal; False never uses colour.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        color: bool | None = None,
        clock: Clock | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        self.stream = stream
        self.clock = clock or SystemClock()
        self.styled = color is True or (color is None and _is_terminal(stream))
        self.colored = color is True or (color is None and not env.get("NO_COLOR"))
        self._console: Console | None = None

    def show(self, title: str, body: str) -> None:
        """Print one reminder: a styled line on a terminal, a plain line otherwise."""
        hhmm = self.clock.now().strftime("%H:%M")
        if not self.styled:
            self.stream.write(plain_line(hhmm, title, body) + "\n")
            self.stream.flush()
            return
        from rich.text import Text

        line = Text.assemble((hhmm, "dim"), " ", (one_line(title), "bold cyan"))
        if body:
            line.append(": ")
            line.append(one_line(body))
        self.console().print(line)

    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(
                file=self.stream,
                force_terminal=True,
                no_color=not self.colored,
                highlight=False,
                emoji=False,
            )
        return self._console
