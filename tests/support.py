"""Helpers that tests import (fixtures live in conftest.py)."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest

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


def only_as_root(reason: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Mark a test that can only be true as root (it acts as another user, or mounts): it carries
    the `as_root` marker, which the ordinary user's run of the suite leaves out, and is skipped
    with `reason` elsewhere. Its name ends in `_as_root`, so that a report says so too."""

    def mark(test: Callable[..., None]) -> Callable[..., None]:
        assert test.__name__.endswith("_as_root"), f"{test.__name__}: name a root-only test *_as_root"
        skipped: Callable[..., None] = pytest.mark.skipif(os.geteuid() != 0, reason=reason)(test)
        marked: Callable[..., None] = pytest.mark.as_root(skipped)
        return marked

    return mark
