"""The history commands stay light: no rich unless printing to a terminal, and none of the
service's heavy libraries at all."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("rich", "apscheduler", "plyer", "pyttsx3")

PROBE = f"""
import json, sys
from calmcoach.cli import main
code = main(sys.argv[1:])
loaded = sorted(m for m in {HEAVY!r} if m in sys.modules)
print(json.dumps({{"code": code, "loaded": loaded}}), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "command",
    [["log", "water"], ["log", "caffeine", "coffee", "20oz"], ["today"], ["stats"], ["done", "water"]],
    ids=" ".join,
)
def test_commands_do_not_import_heavy_libraries(command: list[str], schedule_file: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *command], capture_output=True, text=True, timeout=60, check=False
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report == {"code": 0, "loaded": []}, done.stderr
