"""What every command receives: the folders, the clock and the output streams."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TextIO

from calmcoach.clock import Clock, SystemClock
from calmcoach.paths import Paths


@dataclass
class Context:
    paths: Paths
    clock: Clock = field(default_factory=SystemClock)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    debug: bool = False

    def out(self, text: str = "") -> None:
        print(text, file=self.stdout)

    def warn(self, text: str) -> None:
        print(f"calmcoach: {text}", file=self.stderr)
