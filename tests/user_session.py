"""A real desktop user's session for tests: an ordinary user, a real `systemd --user` manager, the
session bus and PipeWire it starts, and calmcoach installed by that user from a wheel.

Everything that runs "as the user" runs with that user's uid and gid, so file permissions, the
0700 runtime folder and SO_PEERCRED are checked for real: root passes every permission check,
which is how a unit that cannot start for an ordinary user (218/CAPABILITIES) once passed the
suite. Setting the manager up needs root, once (CI runs as root):
- the marker /run/systemd/system, which systemd checks before it runs as a user manager;
- /run/user/UID (0700, the user's), the manager's XDG_RUNTIME_DIR;
- a cgroup delegated to the user, holding the manager's process.
All three are removed again when the session stops (the marker only if this session made it:
while it exists, Debian's maintainer scripts take systemd for PID 1 during `apt-get install`).
The manager's HOME is a temporary folder, so units, config and state never leave it.

Only one such session can run per user at a time (one /run/user/UID, one manager): sessions of
concurrent test runs take turns through a lock file.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NoReturn

from tests.desktop import DesktopError, die_with_parent, wait_until

TEST_USER = "calmcoach-test"  # created by `bash scripts/dev.sh test` when it runs as root
SYSTEMD = Path("/lib/systemd/systemd")
MARKER = Path("/run/systemd/system")
LOCK = Path("/tmp/calmcoach-user-session.lock")
REQUIRED_ENV = "CALMCOACH_REAL_DESKTOP"  # "required": fail instead of skipping (set by dev.sh as root)
START_TIMEOUT_S = 30.0
LOCK_TIMEOUT_S = 900.0  # another test run's session may hold the user for its whole tier


def skip_or_fail(reason: str) -> NoReturn:
    """Leave a real-desktop test out for `reason`: skipped where that tier may be missing, failed
    where it is required (scripts/dev.sh as root, as in CI, installs and sets up everything), so
    that CI can never pass by skipping a tier."""
    import pytest

    if os.environ.get(REQUIRED_ENV) == "required":
        pytest.fail(f"the real-desktop tiers are required here, but {reason}")
    pytest.skip(reason)


def unavailable_reason() -> str | None:
    """Return why a user session cannot be set up here, in words, or None when it can."""
    if os.geteuid() != 0:
        return "setting up a systemd user manager needs root (bash scripts/dev.sh test does it as root)"
    try:
        pwd.getpwnam(TEST_USER)
    except KeyError:
        return f"no user {TEST_USER!r}: bash scripts/dev.sh test creates it when run as root"
    for program in (SYSTEMD, Path("/usr/bin/python3")):
        if not program.exists():
            return f"{program} is missing: bash scripts/dev.sh test installs it"
    if not cgroup_roots():
        return "no cgroup hierarchy to delegate under /sys/fs/cgroup"
    return None


def cgroup_roots() -> list[Path]:
    """Return the cgroup hierarchies a user manager needs its own group in (v2; v1's name=systemd)."""
    base = Path("/sys/fs/cgroup")
    if (base / "cgroup.controllers").exists():  # the unified hierarchy only
        return [base]
    return [root for root in (base / "unified", base / "systemd") if (root / "cgroup.procs").exists()]


@dataclass
class UserSession:
    """A running `systemd --user` for TEST_USER, and ways to run commands as that user in it."""

    name: str
    uid: int
    gid: int
    home: Path
    runtime: Path
    cgroups: list[Path]
    made_marker: bool
    lock: IO[str]
    manager: subprocess.Popen[bytes] | None = None
    extra_path: list[str] = field(default_factory=list)

    @classmethod
    def start(cls) -> UserSession:
        """Take the lock, prepare the user's runtime folder and cgroup, and start its manager."""
        user = pwd.getpwnam(TEST_USER)
        lock = LOCK.open("a")
        deadline = time.monotonic() + LOCK_TIMEOUT_S
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    lock.close()
                    raise DesktopError(f"another test run held {LOCK} for {LOCK_TIMEOUT_S:g} s") from None
                time.sleep(0.5)
        home = Path(tempfile.mkdtemp(prefix="cc-home-"))
        os.chown(home, user.pw_uid, user.pw_gid)
        session = cls(
            name=TEST_USER,
            uid=user.pw_uid,
            gid=user.pw_gid,
            home=home,
            runtime=Path(f"/run/user/{user.pw_uid}"),
            cgroups=[root / f"calmcoach-test-{user.pw_uid}" for root in cgroup_roots()],
            made_marker=not MARKER.exists(),
            lock=lock,
        )
        try:
            session._prepare()
            session._start_manager()
        except BaseException:
            session.stop()
            raise
        return session

    # -- running things as the user --------------------------------------------------------------

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment of a program the user starts in their desktop session."""
        path = [*self.extra_path, "/usr/local/bin", "/usr/bin", "/bin"]
        env = {
            "HOME": str(self.home),
            "USER": self.name,
            "LOGNAME": self.name,
            "PATH": ":".join(path),
            "LANG": "C.UTF-8",
            "XDG_RUNTIME_DIR": str(self.runtime),
            "DBUS_SESSION_BUS_ADDRESS": f"unix:path={self.runtime}/bus",
        }
        # pip's settings (an index, a cache of wheels), so that the user can install as root can.
        env.update({key: value for key, value in os.environ.items() if key.startswith("PIP_")})
        env.update(extra or {})
        return env

    def argv(self, command: Sequence[str], env: Mapping[str, str] | None = None) -> list[str]:
        """Given a command, return the argv that runs it as the user, with the user's environment."""
        drop = ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--init-groups", "--"]
        words = [f"{key}={value}" for key, value in self.env(env).items()]
        return [*drop, "env", "-i", *words, *command]

    def run(
        self,
        *command: str,
        env: Mapping[str, str] | None = None,
        timeout: float = 60.0,
        check: bool = False,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run `command` as the user and return what it printed."""
        result = subprocess.run(
            self.argv(command, env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=cwd or self.home,
        )
        if check and result.returncode != 0:
            raise DesktopError(
                f"{' '.join(command)} exited with {result.returncode}:\n{result.stdout}{result.stderr}"
            )
        return result

    def systemctl(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        return self.run("systemctl", "--user", *args, timeout=timeout)

    def show(self, unit: str, *properties: str) -> dict[str, str]:
        """Return the unit's properties from `systemctl --user show`."""
        answer = self.systemctl("show", unit, *(f"--property={name}" for name in properties))
        return dict(line.split("=", 1) for line in answer.stdout.splitlines() if "=" in line)

    def write(self, path: Path, text: str, mode: int = 0o644) -> Path:
        """Write a file under HOME owned by the user, with the folders it needs, as they would."""
        relative = path.relative_to(self.home)  # raises for a path outside the user's home
        folder = self.home
        for part in relative.parts[:-1]:
            folder = folder / part
            folder.mkdir(exist_ok=True)
            os.chown(folder, self.uid, self.gid)
        path.write_text(text, encoding="utf-8")
        os.chown(path, self.uid, self.gid)
        path.chmod(mode)
        return path

    # -- setting up and tearing down ------------------------------------------------------------

    def _prepare(self) -> None:
        self._kill_leftovers()
        if self.made_marker:
            MARKER.mkdir(parents=True)
        shutil.rmtree(self.runtime, ignore_errors=True)
        self.runtime.mkdir(mode=0o700, parents=True)
        os.chown(self.runtime, self.uid, self.gid)
        for group in self.cgroups:
            group.mkdir(exist_ok=True)
            for path in [group, *group.iterdir()]:
                with contextlib.suppress(OSError):
                    os.chown(path, self.uid, self.gid)

    def _start_manager(self) -> None:
        cgroups = list(self.cgroups)

        def enter() -> None:  # in the child, still root: into the delegated group
            for group in cgroups:
                (group / "cgroup.procs").write_text(str(os.getpid()))
            die_with_parent()

        log = (self.home / ".manager.log").open("wb")
        self.manager = subprocess.Popen(
            self.argv([str(SYSTEMD), "--user"]),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            preexec_fn=enter,  # noqa: PLW1509 - the suite forks from its main thread only
        )
        log.close()

        def running() -> bool:
            if self.manager is not None and self.manager.poll() is not None:
                raise DesktopError(f"systemd --user exited with {self.manager.returncode}")
            state = self.systemctl("is-system-running", timeout=10).stdout.strip()
            return state in ("running", "degraded")

        wait_until(running, timeout=START_TIMEOUT_S, what="the user manager", step=0.1)

    def stop(self) -> None:
        """Stop the manager and everything it runs; remove what `start` made."""
        if self.manager is not None and self.manager.poll() is None:
            self.manager.terminate()  # SIGTERM: the manager stops its units, then exits
            try:
                self.manager.wait(20)
            except subprocess.TimeoutExpired:
                self.manager.kill()
                self.manager.wait(10)
        self._kill_leftovers()
        for group in self.cgroups:
            remove_cgroup(group)
        shutil.rmtree(self.runtime, ignore_errors=True)
        if self.made_marker:
            with contextlib.suppress(OSError):
                MARKER.rmdir()
        shutil.rmtree(self.home, ignore_errors=True)
        self.lock.close()  # releases the flock

    def _kill_leftovers(self) -> None:
        """Kill every process of the test user: nothing of an earlier session may linger."""
        for _ in range(50):
            pids = user_pids(self.uid)
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.1)
        print(f"processes of {self.name} survived SIGKILL: {user_pids(self.uid)}", file=sys.stderr)


def user_pids(uid: int) -> list[int]:
    """Return the pids of the processes whose real uid is `uid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid:
                    found.append(int(entry.name))
    return found


def remove_cgroup(group: Path) -> None:
    """Remove a cgroup and the groups the manager made below it, deepest first."""
    if not group.exists():
        return
    for folder in sorted((p for p in group.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        with contextlib.suppress(OSError):
            folder.rmdir()
    with contextlib.suppress(OSError):
        group.rmdir()


def ready(result: subprocess.CompletedProcess[Any]) -> str:
    """Given a finished command, return its output for an assertion message."""
    return f"exit {result.returncode}\n{result.stdout}{result.stderr}"
