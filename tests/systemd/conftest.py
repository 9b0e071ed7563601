"""Fixtures for the real-desktop tier: an ordinary user's systemd user manager (tests/user_session.py),
calmcoach installed by that user from a wheel of this tree, and a notification server on that
user's own session bus."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import tempfile
import wave
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.desktop import wait_until
from tests.service.conftest import far_from_now
from tests.user_session import UserSession, ready, skip_or_fail, unavailable_reason

ROOT = Path(__file__).resolve().parents[2]
SERVER_SCRIPT = ROOT / "tests" / "notification_server.py"
INSTALL_TIMEOUT_S = 600.0


@pytest.fixture(scope="session")
def user_session() -> Iterator[UserSession]:
    """An ordinary user's `systemd --user`, with the session bus and PipeWire it starts."""
    reason = unavailable_reason()
    if reason is not None:
        skip_or_fail(reason)
    session = UserSession.start()
    yield session
    session.stop()


@dataclass(frozen=True)
class Installed:
    """calmcoach as the user installed it: a venv of its own, the command linked into ~/.local/bin."""

    venv: Path
    command: Path


@pytest.fixture(scope="session")
def installed(user_session: UserSession) -> Installed:
    """Install a wheel of this tree for the user, as the README's "Installing" section does."""
    wheels = Path(tempfile.mkdtemp(prefix="cc-wheel-"))
    try:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--no-deps",
                "--wheel-dir",
                str(wheels),
                str(ROOT),
            ],
            check=True,
            capture_output=True,
            timeout=INSTALL_TIMEOUT_S,
        )
        (wheel,) = wheels.glob("calmcoach-*.whl")
        wheels.chmod(0o755)
        venv = user_session.home / ".local" / "share" / "calmcoach-venv"
        bin_dir = user_session.home / ".local" / "bin"
        user_session.write(bin_dir / ".keep", "")
        for step in (
            ["/usr/bin/python3", "-m", "venv", str(venv)],
            [str(venv / "bin" / "pip"), "install", "--quiet", f"{wheel}[desktop]"],
            ["ln", "-s", str(venv / "bin" / "calmcoach"), str(bin_dir / "calmcoach")],
        ):
            result = user_session.run(*step, timeout=INSTALL_TIMEOUT_S)
            assert result.returncode == 0, ready(result)
    finally:
        shutil.rmtree(wheels, ignore_errors=True)
    user_session.extra_path.insert(0, str(bin_dir))  # as a login shell puts ~/.local/bin on PATH
    return Installed(venv=venv, command=bin_dir / "calmcoach")


@dataclass(frozen=True)
class UserNotifications:
    """tests/notification_server.py running as a user service on the user's session bus."""

    session: UserSession
    record: Path

    def received(self) -> list[dict[str, object]]:
        import json

        if not self.record.exists():
            return []
        text = self.record.read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines()[: text.count("\n")]]

    def wait_for(self, count: int, *, timeout: float = 20.0) -> list[dict[str, object]]:
        def arrived() -> list[dict[str, object]] | None:
            got = self.received()
            return got if len(got) >= count else None

        return wait_until(
            arrived, timeout=timeout, what=f"{count} notification(s) on the user's bus", step=0.05
        )


@pytest.fixture(scope="session")
def user_notifications(user_session: UserSession, installed: Installed) -> UserNotifications:
    """The recording notification server, started by the user's manager like a desktop's daemon."""
    script = user_session.write(user_session.home / "notification_server.py", SERVER_SCRIPT.read_text())
    record = user_session.home / "notifications.jsonl"
    python = installed.venv / "bin" / "python"  # jeepney comes with calmcoach
    result = user_session.run(
        "systemd-run", "--user", "--unit=test-notifications", "--quiet",
        str(python), str(script), "--record", str(record),
    )  # fmt: skip
    assert result.returncode == 0, ready(result)

    def owned() -> bool:
        answer = user_session.run(
            "busctl", "--user", "call", "org.freedesktop.DBus", "/org/freedesktop/DBus",
            "org.freedesktop.DBus", "NameHasOwner", "s", "org.freedesktop.Notifications",
        )  # fmt: skip
        return answer.stdout.strip() == "b true"

    wait_until(owned, timeout=20, what="the notification server on the user's bus", step=0.1)
    return UserNotifications(user_session, record)


UNIT = "calmcoach.service"
SCHEDULE = """\
[settings]
timezone = "UTC"

[[reminder]]
name = "water"
kind = "hydration"
at = ["{never}"]

[[reminder]]
name = "spoken-tip"
kind = "tip"
at = ["{never}"]
say = ["voice"]
"""


def unit_dir(session: UserSession) -> Path:
    return session.home / ".config" / "systemd" / "user"


def log_path(session: UserSession) -> Path:
    return session.home / "calmcoach.log"


def service_log(session: UserSession) -> str:
    path = log_path(session)
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def active(session: UserSession) -> dict[str, str]:
    """Wait until the unit is active and running; return its properties."""

    def running() -> dict[str, str] | None:
        shown = session.show(UNIT, "ActiveState", "SubState", "MainPID", "Result", "NRestarts")
        return shown if (shown.get("ActiveState"), shown.get("SubState")) == ("active", "running") else None

    found: dict[str, str] = wait_until(running, timeout=30, what=f"{UNIT} to run", step=0.05)
    return found


@pytest.fixture(scope="session")
def schedule(user_session: UserSession) -> Path:
    return user_session.write(
        user_session.home / ".config" / "calmcoach" / "schedule.toml", SCHEDULE.format(never=far_from_now())
    )


@pytest.fixture
def service(
    user_session: UserSession, installed: Installed, schedule: Path, user_notifications: UserNotifications
) -> Iterator[UserSession]:
    """The unit installed with `calmcoach service install`, running; uninstalled afterwards."""
    user_session.write(
        unit_dir(user_session) / f"{UNIT}.d" / "log.conf",
        f"[Service]\nStandardError=append:{log_path(user_session)}\n",
    )
    result = user_session.run("calmcoach", "service", "install")
    assert result.returncode == 0, ready(result) + service_log(user_session)
    active(user_session)
    yield user_session
    user_session.run("calmcoach", "service", "uninstall")
    for drop_in in (unit_dir(user_session) / f"{UNIT}.d").glob("*.conf"):
        drop_in.unlink()
    user_session.systemctl("daemon-reload")


@dataclass(frozen=True)
class UserSound:
    """The user's PipeWire (started by their manager), its default sink a null sink we record."""

    session: UserSession
    sink: str

    @contextmanager
    def recording(self, name: str) -> Iterator[Path]:
        """Record what is played into the sink while the block runs; yield the WAV's path
        (16-bit mono at 22050 Hz, so the standard library can read it)."""
        out = self.session.home / name
        argv = ["pw-record", "--target", f"{self.sink}.monitor", "--format", "s16", "--rate", "22050"]
        argv += ["--channels", "1", str(out)]
        recorder = subprocess.Popen(
            self.session.argv(argv), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            wait_until(
                lambda: out.exists() and out.stat().st_size > 44, timeout=20, what="pw-record to start"
            )
            yield out
        finally:
            recorder.send_signal(signal.SIGINT)  # pw-record finishes the WAV header on SIGINT
            recorder.wait(10)


@pytest.fixture(scope="session")
def user_sound(user_session: UserSession) -> UserSound:
    for step in (
        ["pactl", "load-module", "module-null-sink", "sink_name=capture"],
        ["pactl", "set-default-sink", "capture"],
    ):
        result = user_session.run(*step, timeout=30)
        assert result.returncode == 0, ready(result)
    return UserSound(user_session, "capture")


def loud_seconds(wav: Path, level: int = 256) -> float:
    """Return how many seconds of a 16-bit mono WAV are louder than `level` (about -42 dBFS)."""
    with wave.open(str(wav)) as recorded:
        frames = recorded.readframes(recorded.getnframes())
        rate = recorded.getframerate()
    samples = array("h", frames)
    return float(sum(1 for sample in samples if abs(sample) > level) / rate)
