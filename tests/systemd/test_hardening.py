"""Every hardening line of the shipped unit, shown to work under a real `systemd --user`.

For each line, tests/systemd/hardening_probe.py runs as the test user in a transient unit with
that line, and once without it; the line counts as working only when the probe sees the
difference the line promises (a refused call, a killed call, another umask...). A line added to
the unit without a proof here fails `test_every_hardening_line_has_a_proof`: a hardening line a
user manager silently ignores looks exactly like one that works when only the file is read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.systemd.conftest import ROOT
from tests.user_session import UserSession, ready

UNIT = ROOT / "systemd" / "calmcoach.service"
PROBE = Path(__file__).with_name("hardening_probe.py")
# [Service] lines that are not hardening: tests/systemd/test_user_unit.py shows each at work
# (READY and the watchdog, reload, restart, the stop timeout, the log, the socket's folder).
FUNCTIONAL = frozenset(
    {
        "Type", "NotifyAccess", "ExecStart", "ExecReload", "WatchdogSec", "Restart", "RestartSec",
        "TimeoutStopSec", "StandardError", "RuntimeDirectory", "RuntimeDirectoryMode",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Proof:
    """What the probe sees (`observe`) once the line applies: `applied`, or None for "anything
    but what it sees without the line". `alongside`: lines it only acts together with."""

    observe: str
    applied: str | None
    alongside: tuple[str, ...] = ()


PROOFS = {
    "NoNewPrivileges=yes": Proof("no_new_privileges", "1"),
    "RestrictSUIDSGID=yes": Proof("setuid_file", "EPERM"),
    "LockPersonality=yes": Proof("personality", "EPERM"),
    "MemoryDenyWriteExecute=yes": Proof("writable_executable_memory", "EPERM"),
    "RestrictNamespaces=yes": Proof("new_namespace", "EPERM"),
    "SystemCallArchitectures=native": Proof("i386_system_call", "signal SIGSYS"),
    "SystemCallFilter=@system-service": Proof("debugging_system_call", "signal SIGSYS"),
    "SystemCallErrorNumber=EPERM": Proof(
        "debugging_system_call", "EPERM", alongside=("SystemCallFilter=@system-service",)
    ),
    "SystemCallFilter=~@privileged @resources": Proof("lower_priority", "signal SIGSYS"),
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6": Proof("netlink_socket", "EAFNOSUPPORT"),
    "KeyringMode=private": Proof("session_keyring", None),  # a new key ring, not the session's
    "UMask=0077": Proof("umask", "0077"),
}


def service_lines(unit: Path) -> list[str]:
    """Return the unit's [Service] settings as "Key=Value" lines, comments left out."""
    lines, section = [], ""
    for line in unit.read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            lines.append(line)
    return lines


def hardening_lines() -> list[str]:
    return [line for line in service_lines(UNIT) if line.partition("=")[0] not in FUNCTIONAL]


@pytest.fixture(scope="module")
def probe(user_session: UserSession) -> Probe:
    return Probe(user_session, user_session.write(user_session.home / "probe.py", PROBE.read_text()))


@dataclass
class Probe:
    session: UserSession
    script: Path

    def under(self, *lines: str) -> dict[str, str]:
        """Run the probe in a transient unit with these [Service] lines; return what it saw."""
        properties = [word for line in lines for word in ("--property", line)]
        result = self.session.run(
            "systemd-run",
            "--user",
            "--wait",
            "--pipe",
            "--quiet",
            *properties,
            "/usr/bin/python3",
            str(self.script),
        )
        assert result.returncode == 0, ready(result)
        found: dict[str, str] = json.loads(result.stdout)
        return found


def test_every_hardening_line_has_a_proof() -> None:
    assert sorted(hardening_lines()) == sorted(PROOFS)


@pytest.mark.parametrize("line", hardening_lines())
def test_the_line_works_under_the_user_manager(probe: Probe, line: str) -> None:
    proof = PROOFS[line]
    without = probe.under(*proof.alongside)[proof.observe]
    with_line = probe.under(*proof.alongside, line)[proof.observe]
    assert with_line != without, f"{line} changed nothing: the probe saw {without!r} either way"
    if proof.applied is not None:
        assert with_line == proof.applied


def test_all_lines_together_still_refuse_each_thing(probe: Probe) -> None:
    # Together one line may refuse first what another would (no executable memory for the
    # 32-bit call), so only "refused, one way or another" is asserted here.
    baseline = probe.under()
    together = probe.under(*hardening_lines())
    changed = {
        proof.observe for proof in PROOFS.values() if together[proof.observe] != baseline[proof.observe]
    }
    assert changed == {proof.observe for proof in PROOFS.values()}
