"""The voice cannot work under the running service: no libespeak-ng, or a player that hangs.

The real `calmcoach run` has "water" say its reminder with the voice. In both cases the service
keeps running, says once why the voice is broken, and the recording notification server receives
the reminders instead: the voice's fallback is a desktop notification.

tests/voice/test_failures.py already shows the speaker's own behaviour (the message naming the
package to install, the hung player killed after its clip and a margin); these tests show the
service living through it.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from calmcoach.outputs.voice.engine import NO_LIBRARY
from tests.desktop import Notifications
from tests.faults.conftest import Start
from tests.service.conftest import wait_for
from tests.voice.helpers import process_gone, write_script
from tests.voice.test_failures import hidden_espeak_env

VOICE_BROKEN = "the voice is not working"
VIA_NOTIFICATION = "delivered water (hydration) via notification"


def test_without_libespeak_ng_the_voice_falls_back_to_notifications(
    notifications: Notifications, start: Start, tmp_path: Path
) -> None:
    env = hidden_espeak_env(tmp_path)
    service = start(every="2s", say="voice", env={k: env[k] for k in ("PYTHONPATH", "HIDE_ESPEAK")})
    log = service.wait_log(VIA_NOTIFICATION, count=2, timeout=30)
    assert len(notifications.wait_for(2, timeout=10)) >= 2
    assert log.count(VOICE_BROKEN) == 1, log
    assert NO_LIBRARY in log
    assert service.request("status")["ok"]  # still answering
    code, _ = service.stop(signal.SIGTERM)
    assert code == 0, service.log()


def test_a_hung_player_is_killed_and_the_reminder_becomes_a_notification(
    notifications: Notifications, start: Start, tmp_path: Path
) -> None:
    fake = tmp_path / "fake-bin"
    pids = tmp_path / "pids"
    for name in ("pw-play", "paplay", "aplay"):  # whichever the speaker looks for first, it hangs
        write_script(fake, name, f'sleep 1000 &\necho $! >> "{pids}"\nwait')
    service = start(every="2s", say="voice", env={"PATH": f"{fake}{os.pathsep}{os.environ['PATH']}"})
    log = service.wait_log(VIA_NOTIFICATION, count=1, timeout=60)
    assert "ran past" in log and "was killed" in log, log
    assert log.count(VOICE_BROKEN) == 1, log
    assert notifications.wait_for(1, timeout=10)
    assert service.request("status")["ok"]
    code, _ = service.stop(signal.SIGTERM)
    assert code == 0, service.log()
    # Every hung player the service started is gone: none is left behind to pile up.
    started = [int(pid) for pid in pids.read_text().split()]
    assert started
    wait_for(lambda: all(process_gone(pid) for pid in started), timeout=10, what="hung players to go")
