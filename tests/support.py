"""Helpers that tests import (fixtures live in conftest.py)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from calmcoach.cli import main
from calmcoach.context import Context
from calmcoach.paths import Paths


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


class Cli:
    """Runs `calmcoach ARGS...` in process through `main`, capturing what it prints."""

    def __init__(self, paths: Paths) -> None:
        self.paths = paths

    def __call__(self, args: Sequence[str], ctx: Context | None = None) -> CliResult:
        out, err = io.StringIO(), io.StringIO()
        context = ctx or Context(paths=self.paths)
        context.stdout, context.stderr = out, err
        code = main(list(args), context)
        return CliResult(code, out.getvalue(), err.getvalue())
