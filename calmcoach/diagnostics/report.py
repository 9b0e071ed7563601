"""The doctor's findings: one Check per question, the verdict, and how they are printed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from calmcoach.errors import EXIT_FAILURE, EXIT_OK


class Need(StrEnum):
    """What a check is needed for; a failed check counts against it."""

    NOTIFICATIONS = "notifications"
    VOICE = "voice"


@dataclass(frozen=True)
class Check:
    """One answer: `detail` says what was found (or why not), `fix` the command that would fix it."""

    key: str  # stable, for --json: "session_bus", "notification_server", ...
    title: str  # for people: "session bus"
    ok: bool
    detail: str
    fix: str | None = None
    needed_for: Need | None = None  # None: worth knowing, but nothing fails without it

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "ok": self.ok,
            "detail": self.detail,
            "fix": None if self.ok else self.fix,
            "needed_for": None if self.needed_for is None else str(self.needed_for),
        }


@dataclass(frozen=True)
class Report:
    checks: tuple[Check, ...]
    facts: Mapping[str, Any] = field(default_factory=dict)  # server, backend, voices, player...

    def works(self, need: Need) -> bool:
        """Return whether everything `need` depends on is OK (and something was checked for it)."""
        relevant = [check for check in self.checks if check.needed_for is need]
        return bool(relevant) and all(check.ok for check in relevant)

    @property
    def ok(self) -> bool:
        return self.works(Need.NOTIFICATIONS) and self.works(Need.VOICE)

    @property
    def exit_code(self) -> int:
        """0 when notifications and the voice both work, 1 otherwise."""
        return EXIT_OK if self.ok else EXIT_FAILURE

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "notifications": self.works(Need.NOTIFICATIONS),
            "voice": self.works(Need.VOICE),
            "checks": [check.as_dict() for check in self.checks],
            **self.facts,
        }


def render(report: Report) -> list[str]:
    """Given a report, return the lines `calmcoach doctor` prints: OK or MISSING, then the fixes."""
    width = max((len(check.title) for check in report.checks), default=0)
    lines = []
    for check in report.checks:
        status = "OK" if check.ok else "MISSING"
        lines.append(f"{status:<8} {check.title:<{width}}  {check.detail}")
        if not check.ok and check.fix:
            lines.append(f"{'':<8} {'':<{width}}  fix: {check.fix}")
    lines.append("")
    lines.append(verdict(report))
    return lines


def verdict(report: Report) -> str:
    notifications, voice = report.works(Need.NOTIFICATIONS), report.works(Need.VOICE)
    if notifications and voice:
        return "Notifications and the voice both work here."
    broken: Sequence[str] = [
        name for name, works in (("notifications", notifications), ("the voice", voice)) if not works
    ]
    return f"Not working: {' and '.join(broken)}. Run the fix commands above, then `calmcoach doctor` again."
