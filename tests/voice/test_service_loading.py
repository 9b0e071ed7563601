"""The real `calmcoach run` keeps espeak-ng and dbus-python out of its process until it needs them.

Both are loaded only by what uses them: espeak-ng (through pyttsx3) by the first phrase the
service speaks, dbus-python (plyer's backend) by its first notification. The start-up checks still
find both outputs working, as `status` shows: the voice is checked in a child process, the
notification server through jeepney. A scheduled reminder does not wait for them at its instant:
each is loaded a few seconds before the first firing that needs it (jobs.WarmUp). Whether a
library is loaded is read from /proc/PID/maps of the service process, which lists every file it
has mapped.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from calmcoach.paths import Paths
from tests.desktop import Notifications
from tests.service.conftest import Running, far_from_now, start_service, wait_for

SCHEDULE = """\
[settings]
timezone = "UTC"
voice = {{ rate = 220 }}

[[reminder]]
name = "water"
kind = "hydration"
at = ["{never}"]
say = ["voice"]

[[reminder]]
name = "tip"
kind = "tip"
at = ["{never}"]
say = ["notification"]
"""

ESPEAK = "libespeak-ng"
DBUS_PYTHON = "_dbus_bindings"  # dbus-python's extension module, which links libdbus-1


@pytest.fixture
def short_runtime(xdg_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A short XDG_RUNTIME_DIR: the control socket's path must fit in 108 bytes."""
    folder = Path(tempfile.mkdtemp(prefix="cc-"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def service_paths(short_runtime: Path) -> Paths:
    """The folders the service uses, with the short runtime folder."""
    return Paths.from_environment()


def mapped(service: Running) -> set[str]:
    """The names of the files the service process has mapped (from its /proc/PID/maps), each cut
    before its first dot: "libespeak-ng.so.1.1.51" is "libespeak-ng" (the test's folder, which
    holds the history database the service maps, is named after the test: so not whole paths)."""
    names = set()
    for line in Path(f"/proc/{service.process.pid}/maps").read_text().splitlines():
        fields = line.split(maxsplit=5)
        if len(fields) == 6 and fields[5].startswith("/"):
            names.add(Path(fields[5]).name.split(".")[0])
    return names


def checked(service: Running) -> dict[str, bool | None]:
    """What `status` says about the voice and notifications (None until the start-up check ends)."""
    channels = service.request("status")["result"]["channels"]
    return {name: channels[name]["ok"] for name in ("voice", "notification")}


def test_espeak_ng_and_dbus_python_load_with_the_first_voice_and_notification(
    service_paths: Paths,
    tmp_path: Path,
    alsa_capture: Path,
    notifications: Notifications,
) -> None:
    schedule = tmp_path / "schedule.toml"
    schedule.write_text(SCHEDULE.format(never=far_from_now()))  # they fire only when triggered
    service = start_service(service_paths, schedule)
    try:
        # Generous: the voice check starts a Python that loads espeak-ng, on a loaded machine.
        wait_for(lambda: None not in checked(service).values(), timeout=60, what="the start-up checks")
        assert checked(service) == {"voice": True, "notification": True}
        before = mapped(service)
        assert ESPEAK not in before
        assert DBUS_PYTHON not in before

        assert service.cli("trigger", "water").returncode == 0
        service.wait_log("delivered water (hydration, triggered) via voice", timeout=60)
        assert alsa_capture.stat().st_size > 10_000  # it was heard: aplay wrote the phrase
        spoken = mapped(service)
        assert ESPEAK in spoken
        assert DBUS_PYTHON not in spoken

        assert service.cli("trigger", "tip").returncode == 0
        service.wait_log("delivered tip (tip, triggered) via notification", timeout=60)
        assert len(notifications.wait_for(1, timeout=30)) == 1
        # plyer picked dbus-python for that notification: the same check of the maps sees it.
        assert DBUS_PYTHON in mapped(service)
    finally:
        if service.process.poll() is None:
            service.process.kill()
            service.process.wait(10)


SNOOZE_S = 16  # the reminders' first firing, from now: beyond the warm-up's lead (8 s)


@pytest.mark.slow  # it waits for the reminders' instant, SNOOZE_S away
def test_both_are_loaded_before_the_instant_of_the_first_reminder_that_needs_them(
    service_paths: Paths,
    tmp_path: Path,
    alsa_capture: Path,
    notifications: Notifications,
) -> None:
    schedule = tmp_path / "schedule.toml"
    schedule.write_text(SCHEDULE.format(never=far_from_now()))
    service = start_service(service_paths, schedule)
    try:
        wait_for(lambda: None not in checked(service).values(), timeout=60, what="the start-up checks")
        idle = mapped(service)
        assert ESPEAK not in idle
        assert DBUS_PYTHON not in idle
        # A snooze makes each reminder's first firing SNOOZE_S from now: the warm-up is planned
        # from the scheduler's next run times, whatever moved them.
        instants = []
        for name in ("tip", "water"):
            answer = service.request("snooze", {"name": name, "duration": f"{SNOOZE_S}s"})
            instants.append(datetime.fromisoformat(answer["result"]["until"]).timestamp())
        due = min(instants)

        # Look at the process's maps until the first instant; note when each library is first seen.
        seen: dict[str, float] = {}
        while time.time() < due and len(seen) < 2:
            looked_at = time.time()  # read before the maps: the library was there at this moment
            names = mapped(service)
            for library in (ESPEAK, DBUS_PYTHON):
                if library in names and library not in seen:
                    seen[library] = looked_at
            time.sleep(0.05)
        assert set(seen) == {ESPEAK, DBUS_PYTHON}, f"not loaded before the reminders' instant: {seen}"
        assert all(at < due for at in seen.values())  # so the warm-up loaded them, not a delivery

        # Then both reminders are delivered as scheduled, through what was loaded.
        service.wait_log("delivered tip (tip) via notification", timeout=60)
        service.wait_log("delivered water (hydration) via voice", timeout=60)
        assert len(notifications.wait_for(1, timeout=30)) == 1
        assert alsa_capture.stat().st_size > 10_000
    finally:
        if service.process.poll() is None:
            service.process.kill()
            service.process.wait(10)
