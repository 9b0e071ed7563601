"""The systemd unit's hardening, read offline: scored by `systemd-analyze --user security
--offline=yes`, the options that would break notifications or audio, or cannot work in a user
unit, left out, and the service and the voice shown to work under the process restrictions we can
apply without systemd (no new privileges, no writable-and-executable memory). tests/systemd/ runs
the unit under a real user manager and shows what each line does there.

`tests/service/test_unit_file.py` checks that the unit verifies with nothing on stderr and that it
is the template in calmcoach/service/unit.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import wave
from pathlib import Path

import pytest

from calmcoach.paths import Paths
from calmcoach.service.control import ControlClient, ServiceNotRunning
from tests.desktop import Notifications
from tests.service.conftest import START_TIMEOUT_S, far_from_now, wait_for

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "systemd" / "calmcoach.service"
# Measured 6.2 ("MEDIUM"). The offline score counts file-system and kernel sandboxing that a user
# manager does not apply (tests/systemd/ shows which lines really work), so an honest user unit
# cannot score lower; the bound catches a dropped system-call filter.
MAX_EXPOSURE = 6.5
REQUIRED = {
    "NoNewPrivileges": "yes",
    "RestrictSUIDSGID": "yes",
    "LockPersonality": "yes",
    "MemoryDenyWriteExecute": "yes",
    "RestrictNamespaces": "yes",
    "SystemCallArchitectures": "native",
    "SystemCallErrorNumber": "EPERM",
    "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
    "KeyringMode": "private",
    "UMask": "0077",
    "RuntimeDirectory": "calmcoach",
    "RuntimeDirectoryMode": "0700",
}
# Each would cut calmcoach off from the session bus, the user's config or the sound card; or, in
# a user unit, be ignored without PrivateUsers= or keep the service from starting (namespaces,
# capabilities): see the comment in the unit.
FORBIDDEN = (
    "PrivateUsers",
    "ProtectHome",
    "PrivateDevices",
    "PrivateNetwork",
    "DynamicUser",
    "User",
    "ProtectSystem",
    "PrivateTmp",
    "ReadWritePaths",
    "ProtectKernelTunables",
    "ProtectKernelModules",
    "ProtectKernelLogs",
    "ProtectControlGroups",
    "ProtectClock",
    "ProtectHostname",
    "ProtectProc",
    "PrivateMounts",
    "CapabilityBoundingSet",
)


def settings(unit: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def test_the_exposure_score_is_low(tmp_path: Path) -> None:
    home = tmp_path / "home"
    command = home / ".local" / "bin" / "calmcoach"  # ExecStart's %h/.local/bin/calmcoach must exist
    command.parent.mkdir(parents=True)
    command.write_text("#!/bin/sh\nexit 0\n")
    command.chmod(0o755)
    result = subprocess.run(
        ["systemd-analyze", "--user", "security", "--offline=yes", str(UNIT)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "HOME": str(home), "XDG_RUNTIME_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    score = re.search(r"Overall exposure level for calmcoach\.service: (\d+\.\d+)", result.stdout)
    assert score, result.stdout
    print(f"systemd-analyze exposure: {score[1]}")
    assert float(score[1]) <= MAX_EXPOSURE, result.stdout


def test_hardening_options_are_set_and_the_harmful_ones_are_not() -> None:
    found = settings(UNIT)
    assert {key: found.get(key, [""])[-1] for key in REQUIRED} == REQUIRED
    assert found["SystemCallFilter"] == ["@system-service", "~@privileged @resources"]
    assert [key for key in FORBIDDEN if key in found] == []


# Apply what we can of the unit without systemd: NoNewPrivileges= and MemoryDenyWriteExecute=
# (the kernel's own PR_SET_MDWE, which systemd uses where the kernel has it), then run calmcoach.
RESTRICTED = """
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
PR_SET_NO_NEW_PRIVS, PR_SET_MDWE, PR_GET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 38, 65, 66, 1
assert libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, ctypes.get_errno()
assert libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) == 0, ctypes.get_errno()
assert libc.prctl(PR_GET_MDWE, 0, 0, 0, 0) == PR_MDWE_REFUSE_EXEC_GAIN
from calmcoach.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _kernel_has_mdwe() -> bool:
    major, minor = (int(part) for part in os.uname().release.split(".")[:2])
    return (major, minor) >= (6, 3)


needs_mdwe = pytest.mark.skipif(not _kernel_has_mdwe(), reason="PR_SET_MDWE needs Linux 6.3 or later")


@needs_mdwe
def test_speech_is_synthesized_under_the_restrictions(tmp_path: Path) -> None:
    # espeak-ng through pyttsx3, with its ctypes callback, renders a spoken session to a WAV.
    out = tmp_path / "box.wav"
    result = subprocess.run(
        [sys.executable, "-c", RESTRICTED, "breathe", "box", "--cycles", "1", "--save", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    with wave.open(str(out)) as audio:
        seconds = audio.getnframes() / audio.getframerate()
        frames = audio.readframes(audio.getnframes())
    assert seconds > 15  # one 16-second box cycle
    assert any(frames[i] not in (0, 0xFF) for i in range(0, len(frames), 97))  # not silence


@needs_mdwe
def test_the_service_delivers_under_the_restrictions(
    notifications: Notifications, paths: Paths, short_runtime: Path, tmp_path: Path
) -> None:
    schedule = tmp_path / "s.toml"
    # No zone named: the system's. Twelve hours away, so the one notification is the triggered one.
    never = far_from_now(None)
    schedule.write_text(f'[[reminder]]\nname = "water"\nkind = "hydration"\nat = ["{never}"]\n')
    log = (tmp_path / "service.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-c", RESTRICTED, "run", "--schedule", str(schedule)],
        stdout=subprocess.DEVNULL,
        stderr=log,
        stdin=subprocess.DEVNULL,
    )
    client = ControlClient(Paths.from_environment().control_socket)

    def answers() -> bool:
        assert process.poll() is None, (tmp_path / "service.log").read_text()
        try:
            return bool(client.request("status")["ok"])
        except ServiceNotRunning:
            return False

    try:
        wait_for(answers, timeout=START_TIMEOUT_S, what="the restricted service's socket")
        assert client.request("trigger", {"name": "water"})["ok"]
        [got] = notifications.wait_for(1, timeout=10)
        assert got.app_name == "calmcoach" and got.body
    finally:
        process.terminate()
        process.wait(10)
        log.close()
    assert process.returncode == 0, (tmp_path / "service.log").read_text()
