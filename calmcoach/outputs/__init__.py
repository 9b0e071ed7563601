"""The thin edges that deliver: desktop notifications, the spoken voice, the terminal.

Each output sits behind a small Protocol, so that the service and the sessions can be tested with
fakes of *our* interfaces, while the real implementations are tested against the real things.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Message:
    """What one reminder says: a notification title and body, and a line for the voice."""

    title: str
    body: str
    speech: str


class Notifier(Protocol):
    def check(self) -> str | None:
        """Return None when notifications can be shown here, else why not, in words."""
        ...

    def notify(self, title: str, body: str, *, timeout_s: float = 10.0) -> None:
        """Show one notification; raise DeliveryError when it could not be delivered."""
        ...


class Speaker(Protocol):
    def check(self) -> str | None:
        """Return None when speech can be synthesized and played here, else why not."""
        ...

    def synthesize(self, text: str) -> Path:
        """Return a cached mono 16-bit WAV of `text`, trimmed of leading and trailing silence."""
        ...

    def speak(self, text: str) -> None:
        """Queue `text` to be spoken and return at once."""
        ...

    def speak_and_wait(self, text: str, timeout_s: float | None = None) -> None:
        """Speak `text` and return when done; raise DeliveryError if it could not be played."""
        ...

    def close(self) -> None:
        """Stop the speech thread, killing any player still running."""
        ...


class Display(Protocol):
    def show(self, title: str, body: str) -> None:
        """Print a reminder to the terminal (plain lines when output is not a terminal)."""
        ...
