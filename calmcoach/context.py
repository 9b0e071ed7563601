"""What every command receives: the folders, the clock and the output streams."""

from __future__ import annotations

import sys
from typing import TextIO

from calmcoach.clock import Clock, SystemClock
from calmcoach.paths import Paths


class Context:
    # A plain class, not a dataclass: every command builds one, and `dataclasses` imports
    # `inspect` (with ast, dis and tokenize), a sixth of a quick command's start-up.
    def __init__(
        self,
        paths: Paths,
        clock: Clock | None = None,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        debug: bool = False,
    ) -> None:
        self.paths = paths
        self.clock: Clock = SystemClock() if clock is None else clock
        # Looked up when the context is made, so that a redirected sys.stdout is the one used.
        self.stdout = sys.stdout if stdout is None else stdout
        self.stderr = sys.stderr if stderr is None else stderr
        self.debug = debug

    def out(self, text: str = "") -> None:
        print(text, file=self.stdout)

    def warn(self, text: str) -> None:
        print(f"calmcoach: {text}", file=self.stderr)
