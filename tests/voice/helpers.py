"""Helpers for the voice tests: fake programs on PATH, and facts about audio samples."""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable
from pathlib import Path

from calmcoach.outputs.wavtools import first_above, last_above

# Louder than this counts as speech in the assertions (about -42 dBFS: the soft start of an "h" or
# an "f" stays below -30 dBFS for 40 ms); the trimmer's own threshold (64) is lower, so these
# tests do not merely repeat the code under test.
SPEECH_LEVEL = 256
WAIT_S = 20.0  # upper bound for things that should happen in milliseconds


def write_script(folder: Path, name: str, body: str) -> Path:
    """Create an executable shell script `folder/name` running `body`, and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / name
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o755)
    return script


def speech_start_s(samples: array[int], rate: int) -> float:
    """Return the time of the first sample louder than SPEECH_LEVEL, in seconds."""
    first = first_above(samples, SPEECH_LEVEL)
    assert first is not None, "no speech in the clip"
    return first / rate


def speech_tail_s(samples: array[int], rate: int) -> float:
    """Return the time from the last sample louder than SPEECH_LEVEL to the end, in seconds."""
    last = last_above(samples, SPEECH_LEVEL)
    assert last is not None, "no speech in the clip"
    return (len(samples) - 1 - last) / rate


def wait_until(condition: Callable[[], bool], timeout_s: float = WAIT_S) -> None:
    """Poll `condition` until it holds; fail the test when it does not within `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for a condition"
        time.sleep(0.01)


def process_gone(pid: int) -> bool:
    """Return True when process `pid` has ended (a zombie waiting to be reaped counts as ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    state = stat.rsplit(")", 1)[1].split()[0]
    return state in {"Z", "X"}
