"""The one user-facing error type, and the schedule error that carries every problem found.

Only `cli.main` turns these into a message on stderr and an exit code. Everything below the CLI
raises them with words a person can act on; tracebacks are shown only with `--debug`.
"""

from __future__ import annotations

import re
from typing import NamedTuple

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

# A message never repeats a huge argument in full (a 20,000-character value made a 20,000-character
# error): any run of more than _LONGEST_WORD characters without a space is cut to its start.
_LONGEST_WORD = 1000
_KEPT_OF_A_LONG_WORD = 200
_LONG_WORD = re.compile(rf"\S{{{_LONGEST_WORD + 1},}}")


def readable(message: str) -> str:
    """Given a message for the person, return it with every over-long word cut to its start."""
    return _LONG_WORD.sub(lambda m: f"{m[0][:_KEPT_OF_A_LONG_WORD]}... ({len(m[0])} characters)", message)


class CalmcoachError(Exception):
    """An error the user can fix; its message is shown as is, without a traceback."""

    exit_code: int = EXIT_FAILURE

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class Problem(NamedTuple):  # not a dataclass: every command imports this module (see Context)
    """One thing wrong in one schedule file, located as precisely as we can.

    `key` is a path like `reminder[2].every`; `line` is 1-based, or None when TOML cannot tell us.
    """

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ScheduleError(CalmcoachError):
    """Every problem found in a set of schedule files, reported together."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0, p.key, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


class DeliveryError(CalmcoachError):
    """An output could not deliver (no bus, no server, no speech engine, no player, a timeout)."""
