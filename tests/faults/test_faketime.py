"""Clock jumps on the real `calmcoach run`, with libfaketime moving its wall clock.

libfaketime (Debian's `libfaketime`) is preloaded into the service; FAKETIME_TIMESTAMP_FILE holds
an offset the test rewrites ("+0", then "+7200": a two-hour suspend, then "+3600": the clock set
back an hour), re-read at every call (FAKETIME_NO_CACHE). The kernel does not see a clock faked
inside the process, so its clock-change notices (calmcoach.service.clockwatch) stay silent: the
service is told to look at the wall clock every second instead ($CALMCOACH_CLOCK_CHECK_S), as
it does where Linux cannot tell it. The monotonic clock is left alone
(FAKETIME_DONT_FAKE_MONOTONIC), as in a real suspend of a few seconds' wall time.

What was measured about libfaketime with Python 3.11 and APScheduler's threads, and why only
these two jumps are done on the real process:
- With the monotonic clock faked too, a jump leaves `threading.Event.wait(timeout)` (which
  APScheduler's loop and the service's threads use) waiting forever: unusable.
- With it left alone, Event.wait, select and the service work, but `time.sleep` fails at once
  with EINVAL (libfaketime's clock_nanosleep wrapper), and every child process inherits the
  preload (the presence probe's gsettings fails the same way and is reported, then retried).
  The service's own paths do not sleep, so it runs; the assertions avoid what children do.
- DST and zone changes are the planner's business (the scheduler itself runs in UTC), so they
  are shown on the injected clock (test_clock_jumps.py) rather than with faked wall time.
"""

from __future__ import annotations

import json
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

from calmcoach.paths import Paths
from tests.service.conftest import Running, start_service, wait_for

LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")

SCHEDULE = """\
[settings]
timezone = "UTC"

[[reminder]]
name = "tip"
kind = "tip"
at = "{at}"
grace = "3h"
say = ["terminal"]

[[reminder]]
name = "water"
kind = "hydration"
every = "10m"
grace = "15m"
say = ["terminal"]
"""


def next_runs(service: Running) -> dict[str, datetime]:
    status = service.request("status")["result"]
    return {r["name"]: datetime.fromisoformat(r["next"]) for r in status["reminders"] if r.get("next")}


def set_offset(path: Path, offset: str) -> None:
    """Give libfaketime a new offset atomically: it re-reads the file at every clock reading, and
    a file caught empty half way through a rewrite would read as a jump to "+0" and back."""
    staging = path.with_suffix(".new")
    staging.write_text(offset + "\n")
    staging.replace(path)


def service_now(service: Running) -> datetime:
    return datetime.fromisoformat(service.request("status")["result"]["now"])


def test_a_suspend_then_the_clock_set_back_on_the_real_service(paths: Paths, tmp_path: Path) -> None:
    assert LIBFAKETIME.exists(), "libfaketime is missing: apt-get install libfaketime"
    offset = tmp_path / "faketime"
    offset.write_text("+0\n")
    real_now = datetime.now(UTC)
    tip_at = (real_now + timedelta(hours=2)).replace(second=0, microsecond=0) - timedelta(minutes=1)
    schedule = tmp_path / "schedule.toml"
    schedule.write_text(SCHEDULE.format(at=f"{tip_at:%H:%M}"))
    env = {
        "LD_PRELOAD": str(LIBFAKETIME),
        "FAKETIME_TIMESTAMP_FILE": str(offset),
        "FAKETIME_NO_CACHE": "1",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        # The kernel's clock-change notices cannot see a clock faked inside the process: look
        # at the wall clock every second instead, as the service does where Linux cannot tell it.
        "CALMCOACH_CLOCK_CHECK_S": "1",
    }
    service = start_service(paths, schedule, env=env)
    try:
        before = next_runs(service)
        assert before["tip"] == tip_at
        # Suspend for two hours: the tip (due a minute before the resume) comes once, late; the
        # water reminder's twelve missed firings come as one.
        water_before = service.log().count(
            "delivered water (hydration) via terminal"
        )  # a 10-minute mark may pass
        set_offset(offset, "+7200")
        log = service.wait_log("delivered tip (tip) via terminal", timeout=30)
        log = service.wait_log("delivered water (hydration) via terminal", count=water_before + 1, timeout=30)
        after = next_runs(service)
        assert after["tip"] - tip_at >= timedelta(hours=23)  # tomorrow's
        assert timedelta(0) < after["water"] - (real_now + timedelta(hours=2)) <= timedelta(minutes=11)
        jumped = log.count("delivered water (hydration) via terminal")
        # Set back an hour: the tip's time lies ahead again, but it already fired today.
        set_offset(offset, "+3600")
        wait_for(
            lambda: service_now(service) < tip_at,
            timeout=10,
            what="the service to see the clock set back",
        )
        service.wait_log("the wall clock was set back 1 h", timeout=10)
        back = next_runs(service)
        assert back["tip"] == after["tip"]
        # Water keeps the real time it had left: due an hour earlier on the clock set back, not an
        # hour and up to ten minutes away (up to one interval later if it fired meanwhile, or
        # if the step it kept would have crossed midnight).
        kept = after["water"] - timedelta(hours=1)
        assert kept - timedelta(seconds=2) <= back["water"] <= kept + timedelta(minutes=10), (after, back)
        code, _ = service.stop(signal.SIGTERM)
        log = service.log()
        assert code == 0, log
        assert log.count("delivered tip (tip)") == 1, log
        assert log.count("delivered water (hydration) via terminal") == jumped, log  # no burst
        state = json.loads((paths.state / "service.json").read_text())
        fired = datetime.fromisoformat(state["last_fired"]["tip"])  # when it ran, on the faked clock
        assert tip_at < fired < tip_at + timedelta(minutes=5)
    finally:
        if service.process.poll() is None:
            service.process.kill()
            service.process.wait(10)
