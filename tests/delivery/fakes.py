"""Fakes of *our* output protocols (Notifier, Speaker, Display), for the Deliverer's unit tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from calmcoach.errors import DeliveryError


@dataclass
class FakeNotifier:
    """Records notifications; `broken` (a reason) makes it fail like a real one would."""

    broken: str | None = None
    crash: Exception | None = None
    sent: list[tuple[str, str, float]] = field(default_factory=list)
    attempts: int = 0

    def check(self) -> str | None:
        return self.broken

    def notify(self, title: str, body: str, *, timeout_s: float = 10.0) -> None:
        self.attempts += 1
        if self.crash is not None:
            raise self.crash
        if self.broken is not None:
            raise DeliveryError(self.broken)
        self.sent.append((title, body, timeout_s))


@dataclass
class FakeSpeaker:
    broken: str | None = None
    spoken: list[str] = field(default_factory=list)
    attempts: int = 0

    def check(self) -> str | None:
        return self.broken

    def synthesize(self, text: str) -> Path:
        raise NotImplementedError("the Deliverer never synthesizes")

    def speak(self, text: str) -> None:
        self.speak_and_wait(text)

    def speak_and_wait(self, text: str, timeout_s: float | None = None) -> None:
        self.attempts += 1
        if self.broken is not None:
            raise DeliveryError(self.broken)
        self.spoken.append(text)

    def close(self) -> None:
        pass


@dataclass
class FakeDisplay:
    broken: Exception | None = None
    shown: list[tuple[str, str]] = field(default_factory=list)

    def show(self, title: str, body: str) -> None:
        if self.broken is not None:
            raise self.broken
        self.shown.append((title, body))


@dataclass
class FixedClock:
    moment: datetime = datetime(2025, 3, 14, 9, 5, tzinfo=UTC)

    def now(self, tz: tzinfo | None = None) -> datetime:
        return self.moment.astimezone(tz) if tz is not None else self.moment

    def monotonic(self) -> float:
        return 0.0
