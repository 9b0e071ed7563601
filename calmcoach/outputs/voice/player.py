"""Playing a WAV file through a player subprocess that can be timed out and killed.

pyttsx3's own playback (`say()`) shells out to `aplay` with no timeout, so a stuck sound server
would hang the speech thread forever. Here the player runs in its own process group (a wrapper
script's children die with it), its argv is a list (text never reaches a shell), and it is killed
once it runs past the clip's duration plus a margin.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path

from calmcoach.errors import DeliveryError

# In order of preference: PipeWire, PulseAudio, then plain ALSA, which works without a server.
PLAYER_CANDIDATES: tuple[tuple[str, ...], ...] = (("pw-play",), ("paplay",), ("aplay", "-q"))
NO_PLAYER = (
    "no audio player on PATH (looked for pw-play, paplay, aplay): apt-get install alsa-utils "
    "(or pipewire-bin for pw-play, pulseaudio-utils for paplay)"
)
REAP_TIMEOUT_S = 2.0  # after a kill, how long to wait for the process to be reaped


def find_player(search_path: str | None = None) -> list[str] | None:
    """Return the argv prefix of the first player found on `search_path` (default: $PATH), its
    program resolved to an absolute path, or None when there is none. The WAV path is appended."""
    for name, *options in PLAYER_CANDIDATES:
        found = shutil.which(name, path=search_path)
        if found is not None:
            return [found, *options]
    return None


def player_name(argv: Sequence[str]) -> str:
    """Return the player's program name, as error messages show it."""
    return Path(argv[0]).name if argv else "player"


class PlayerProcess:
    """One run of the player on one file; `kill()` may be called from any thread."""

    def __init__(self, argv: Sequence[str], wav: Path) -> None:
        self.name = player_name(argv)
        self._killed = threading.Event()
        try:
            self._process = subprocess.Popen(
                [*argv, str(wav)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,  # its own process group, so kill() reaches its children
            )
        except OSError as exc:
            raise DeliveryError(f"cannot start the audio player {self.name}: {exc}") from exc

    def wait(self, limit_s: float, clip_s: float) -> None:
        """Wait for the player to finish; kill it after `limit_s`. Raise DeliveryError when it was
        killed, ran too long or failed."""
        try:
            _, stderr = self._process.communicate(timeout=limit_s)
        except subprocess.TimeoutExpired:
            self.kill()
            self._reap()
            raise DeliveryError(
                f"the audio player {self.name} ran past {limit_s:.1f} s playing a {clip_s:.1f} s clip "
                "and was killed"
            ) from None
        if self._killed.is_set():
            raise DeliveryError(f"the audio player {self.name} was stopped")
        if self._process.returncode != 0:
            lines = stderr.decode("utf-8", "replace").strip().splitlines()
            detail = f": {lines[-1]}" if lines else ""
            raise DeliveryError(
                f"the audio player {self.name} failed (exit status {self._process.returncode}){detail}"
            )

    def ended(self) -> bool:
        """Return True once the player has exited (without waiting, and without reaping it)."""
        return self._process.poll() is not None

    def kill(self) -> None:
        """Kill the player and everything it started; harmless when it has already ended."""
        self._killed.set()
        if self._process.returncode is not None:
            return  # already reaped: its process group id may belong to someone else by now
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, signal.SIGKILL)

    def _reap(self) -> None:
        # A child that left the process group could keep stderr open; don't wait on it forever.
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.communicate(timeout=REAP_TIMEOUT_S)
