"""Fixtures for the service tests: a short runtime folder, and the real `calmcoach run` in a subprocess."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import pytest

from calmcoach.paths import Paths
from calmcoach.service.control import ControlClient, ServiceNotRunning
from tests.desktop import die_with_parent

START_TIMEOUT_S = 20.0  # generous: a loaded 2-core machine imports APScheduler and plyer slowly

SCHEDULE = """\
[settings]
timezone = "UTC"

[[reminder]]
name = "water"
kind = "hydration"
every = "2s"
say = ["notification"]

[[reminder]]
name = "tip"
kind = "tip"
at = ["{never}"]
say = ["notification"]
"""


def far_from_now(zone: tzinfo | None = UTC) -> str:
    """Given a zone (None: the system's), return the time of day 12 hours from now there, "HH:MM".

    A reminder `at` that time fires only when a test triggers it: no test runs for hours. A fixed
    time such as "03:33" does fire on its own when the suite happens to run across it.
    """
    now = datetime.now(zone) if zone is not None else datetime.now().astimezone()
    return f"{now + timedelta(hours=12):%H:%M}"


@pytest.fixture(autouse=True)
def short_runtime(xdg_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A short XDG_RUNTIME_DIR: a Unix socket path must fit in 108 bytes, pytest's tmp paths may not."""
    folder = Path(tempfile.mkdtemp(prefix="cc-"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def calmcoach_argv() -> list[str]:
    """The installed `calmcoach` command next to this Python (the venv's), else `python -m calmcoach`."""
    script = Path(sys.executable).parent / "calmcoach"
    if script.exists():
        return [str(script)]
    found = shutil.which("calmcoach")
    return [found] if found else [sys.executable, "-m", "calmcoach"]


def wait_for(condition: Callable[[], Any], *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.02)


@dataclass
class Running:
    """A `calmcoach run` subprocess and what it wrote to stderr."""

    process: subprocess.Popen[bytes]
    log_path: Path
    paths: Paths
    env: dict[str, str] = field(default_factory=dict)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_log(self, text: str, *, count: int = 1, timeout: float = 10.0) -> str:
        """Wait until `text` appears `count` times in the log; return the log."""

        def seen() -> str | None:
            log = self.log()
            if self.process.poll() is not None and log.count(text) < count:
                raise AssertionError(f"the service exited ({self.process.returncode}) first:\n{log}")
            return log if log.count(text) >= count else None

        result: str = wait_for(seen, timeout=timeout, what=f"{text!r} x{count} in the log")
        return result

    def request(self, command: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        return ControlClient(self.paths.control_socket).request(command, args)

    def cli(self, *args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*calmcoach_argv(), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env,
            check=False,
        )

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, float]:
        """Send `sig`, wait for the exit; return the exit code and how long it took."""
        started = time.monotonic()
        self.process.send_signal(sig)
        code = self.process.wait(timeout=15)
        return code, time.monotonic() - started


def start_service(paths: Paths, schedule: Path, *extra: str, env: dict[str, str] | None = None) -> Running:
    """Start `calmcoach run --schedule FILE` and wait until its control socket answers."""
    environment = {**os.environ, **(env or {})}
    log_path = schedule.with_name(f"service-{time.monotonic_ns()}.log")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*calmcoach_argv(), "run", "--schedule", str(schedule), *extra],
            stdout=subprocess.DEVNULL,
            stderr=log,
            stdin=subprocess.DEVNULL,
            env=environment,
            preexec_fn=die_with_parent,  # noqa: PLW1509 - a killed test run leaves no service behind
        )
    running = Running(process, log_path, paths, environment)

    def answers() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"calmcoach run exited with {process.returncode}:\n{running.log()}")
        try:
            return bool(running.request("status")["ok"])
        except ServiceNotRunning:
            return False

    try:
        wait_for(answers, timeout=START_TIMEOUT_S, what="the service's control socket")
    except BaseException:
        # A service that never answered must not outlive the test (and hold the bus, the lock).
        if process.poll() is None:
            process.kill()
            process.wait(10)
        raise
    return running


@pytest.fixture
def schedule_file(tmp_path: Path) -> Path:
    path = tmp_path / "schedule.toml"
    path.write_text(SCHEDULE.format(never=far_from_now()))
    return path


@pytest.fixture
def service(paths: Paths, schedule_file: Path) -> Iterator[Running]:
    """The real service on the test's XDG folders and the session's private bus."""
    running = start_service(paths, schedule_file)
    yield running
    if running.process.poll() is None:
        running.process.kill()
        running.process.wait(10)
