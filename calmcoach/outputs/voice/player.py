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
import tempfile
import threading
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from calmcoach.errors import DeliveryError

# In order of preference: PipeWire, PulseAudio, then plain ALSA, which works without a server.
PLAYER_CANDIDATES: tuple[tuple[str, ...], ...] = (("pw-play",), ("paplay",), ("aplay", "-q"))
NO_PLAYER = (
    "no audio player on PATH (looked for pw-play, paplay, aplay): apt-get install alsa-utils "
    "(or pipewire-bin for pw-play, pulseaudio-utils for paplay)"
)
REAP_TIMEOUT_S = 2.0  # after a kill, how long to wait for the process to be reaped
PROBE_CLIP_S = 0.02  # the silent clip a player is tried on before a session or in doctor: short,
# since a sound server plays it in real time before the session can start
PROBE_TIMEOUT_S = 5.0  # a player that has not played that clip by then counts as not working


class PlayerFailed(DeliveryError):
    """The player could not start or exited with an error, as `pw-play` does at once where no
    PipeWire runs: another player may still work. (A player killed for running too long is not
    this: the sound server took the clip and hung, and playing it again elsewhere could double it.)"""


def find_players(search_path: str | None = None) -> list[list[str]]:
    """Return the argv prefixes of every player found on `search_path` (default: $PATH), in
    order of preference, each program resolved to an absolute path. The WAV path is appended.

    Being installed is not working: `pw-play` is often installed where no PipeWire runs. Callers
    try them in order (`TtsSpeaker`, `choose_player`) and keep the one that played.
    """
    found: list[list[str]] = []
    for name, *options in PLAYER_CANDIDATES:
        program = shutil.which(name, path=search_path)
        if program is not None:
            found.append([program, *options])
    return found


def find_player(search_path: str | None = None) -> list[str] | None:
    """Return the first player found on `search_path` (default: $PATH), or None when there is none."""
    players = find_players(search_path)
    return players[0] if players else None


@dataclass(frozen=True)
class PlayerChoice:
    """The first player that played a silent clip, or None; and why each one before it did not."""

    player: list[str] | None
    problems: tuple[str, ...]

    def no_sound(self) -> str:
        """Return why there is no sound, in words: the players' failures, or that none is installed."""
        return "; ".join(self.problems) if self.problems else NO_PLAYER


def write_silence(path: Path, seconds: float, rate: int = 22050) -> None:
    """Write a mono 16-bit WAV of `seconds` of silence (the format the voice plays)."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\0\0" * round(seconds * rate))


def choose_player(candidates: Sequence[Sequence[str]]) -> PlayerChoice:
    """Given players in order of preference, play a short silent clip through each until one
    plays it; return that one (None when none did) and the failures of those tried before it.

    A session plays its whole sound through one player started at its zero, so the player must
    be known to work before the session starts: a failure found then is told at once, not as
    "no sound" when the session ends.
    """
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="calmcoach-player-") as folder:
        clip = Path(folder) / "silence.wav"
        write_silence(clip, PROBE_CLIP_S)
        for argv in candidates:
            try:
                PlayerProcess(argv, clip).wait(PROBE_TIMEOUT_S, PROBE_CLIP_S)
            except DeliveryError as error:
                problems.append(error.message)
                continue
            return PlayerChoice(list(argv), tuple(problems))
    return PlayerChoice(None, tuple(problems))


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
            raise PlayerFailed(f"cannot start the audio player {self.name}: {exc}") from exc

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
            raise PlayerFailed(
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
