"""The installed `calmcoach tip`, in its own processes: the catalogue ships, the rotation persists
across runs, and the command stays light."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from calmcoach.content.tips import Tip, of_topic

CALMCOACH = Path(sys.executable).with_name("calmcoach")


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # The autouse fixture has pointed every XDG folder at a temporary one; the child inherits them.
    return subprocess.run(
        [str(CALMCOACH), *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def test_installed_command_lists_the_catalogue_from_outside_the_checkout(
    tmp_path: Path, tips: tuple[Tip, ...]
) -> None:
    assert CALMCOACH.is_file(), f"the calmcoach console script is not installed next to {sys.executable}"
    result = _run(["tip", "--list", "--json"], cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert [entry["id"] for entry in json.loads(result.stdout)] == [t.id for t in tips]


def test_installed_command_remembers_the_rotation_between_runs(tmp_path: Path, tips: tuple[Tip, ...]) -> None:
    pool = {t.id for t in of_topic(tips, "twitch-vs-spasm")}
    shown = []
    for _ in pool:
        result = _run(["tip", "--topic", "spasm", "--json"], cwd=tmp_path)
        assert (result.returncode, result.stderr) == (0, "")
        shown.append(json.loads(result.stdout)["id"])
    assert set(shown) == pool
    assert (Path(os.environ["XDG_STATE_HOME"]) / "calmcoach" / "tips.json").is_file()


def test_tip_imports_nothing_heavy_when_piped(tmp_path: Path) -> None:
    # Run the command module the way cli.main does, then look at what got imported. Other
    # commands are left out on purpose: this checks `tip` alone.
    probe = (
        "import argparse, io, sys\n"
        "from calmcoach.commands import tip\n"
        "from calmcoach.context import Context\n"
        "from calmcoach.paths import Paths\n"
        "args = argparse.Namespace(topic=None, list=False, json=False, spoken=False)\n"
        "out = io.StringIO()\n"
        "assert tip.run(args, Context(paths=Paths.from_environment(), stdout=out)) == 0\n"
        "assert out.getvalue().count('source: ') == 1, out.getvalue()\n"
        "heavy = {'rich', 'apscheduler', 'plyer', 'pyttsx3', 'sqlite3'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.strip() == "[]"


def test_a_tip_read_through_a_closed_pipe_still_counts_as_shown(tmp_path: Path) -> None:
    # `calmcoach tip | head -1` closes the pipe after the first line; here the pipe is closed
    # before the command starts, so that every write fails, the worst case of that.
    reader, writer = os.pipe()
    os.close(reader)
    try:
        result = subprocess.run(
            [str(CALMCOACH), "tip", "--topic", "caffeine"],
            cwd=tmp_path,
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(writer)
    assert "Traceback" not in result.stderr
    saved = json.loads((Path(os.environ["XDG_STATE_HOME"]) / "calmcoach" / "tips.json").read_text())
    assert len(saved["rounds"]["caffeine"]) == 1
