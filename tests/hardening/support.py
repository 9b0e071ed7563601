"""Helpers the hardening tests share: the installed command, and reading a check run's problems."""

from __future__ import annotations

import contextlib
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

from calmcoach.paths import Paths
from tests.service.conftest import Running, start_service

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "bad_schedules"
FILE_LEVEL = "<file>"  # the expected "key" of a problem with the file as a whole


def calmcoach_argv() -> list[str]:
    """The installed `calmcoach` next to this Python (the venv's), else the one on PATH."""
    script = Path(sys.executable).parent / "calmcoach"
    if script.exists():
        return [str(script)]
    found = shutil.which("calmcoach")
    return [found] if found else [sys.executable, "-m", "calmcoach"]


def expected_key(path: Path) -> str:
    """Given a corpus file, return the key path its first line promises (`# expect: KEY`)."""
    first = path.read_bytes().split(b"\n", 1)[0].decode("utf-8")
    assert first.startswith("# expect: "), f"{path.name}: the first line must be '# expect: KEY'"
    return first.removeprefix("# expect: ").strip()


def assert_problem_reported(code: int, stderr: str, file: Path, key: str) -> None:
    """Assert `check` failed cleanly and reported a problem on `file` at `key` (or on the file)."""
    assert code == 1, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.startswith(f"{file}:")]
    assert lines, f"no problem names {file}:\n{stderr}"
    if key == FILE_LEVEL:
        # A problem with the whole file: "FILE[:LINE]: message", no key path after the place.
        return
    assert any(f": {key}: " in line for line in lines), f"no problem at {key}:\n{stderr}"


@contextlib.contextmanager
def service_running(schedule_text: str, folder: Path) -> Iterator[Running]:
    """Start the installed `calmcoach run` on a schedule written into `folder`; kill it after."""
    schedule = folder / "s.toml"
    schedule.write_text(schedule_text)
    running = start_service(Paths.from_environment(), schedule)
    try:
        yield running
    finally:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait(10)
