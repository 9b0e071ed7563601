"""A sound server for tests: PipeWire, WirePlumber and pipewire-pulse, headless, with a null sink.

Everything here starts real programs and stops them again, as tests/desktop.py does for the bus
and the notification servers. What a desktop plays today goes through PipeWire: `pw-play` speaks
its native protocol, `paplay` the PulseAudio one (served by pipewire-pulse). There is no sound
card, so a null sink stands in for one, and `pw-record` on its monitor captures what was played.

Why it is set up the way it is (DESIGN section 4, measured on CI's kind of machine, as root):
- Its own runtime folder, short (unix socket paths allow about 100 bytes) and under /tmp, with
  HOME and the XDG folders inside it: WirePlumber keeps its state (the default sink, volumes) in
  XDG_STATE_HOME, and nothing must be read from or left in the real user's home.
- Its own session bus (`PrivateBus`): WirePlumber and pipewire-pulse talk D-Bus, and must not
  reach the test run's bus, where a test may be counting what arrives.
- Clients find it through PIPEWIRE_RUNTIME_DIR and PULSE_SERVER (`env()`), not through
  XDG_RUNTIME_DIR, so the calmcoach under test keeps its own runtime folder (its control socket).
- Readiness is shown, never slept for: `pactl info` answers, WirePlumber is a client, the sink
  exists and is the default; then a short tone played with `pw-play` must reach the capture,
  which proves the session manager links streams to the sink (as root, too).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import wave
from array import array
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from calmcoach.outputs.wavtools import read_pcm
from tests.desktop import DesktopError, PrivateBus, die_with_parent, stop_process, wait_until

PROGRAMS = (
    "pipewire",
    "wireplumber",
    "pipewire-pulse",
    "pactl",
    "pw-play",
    "paplay",
    "pw-record",
    "dbus-daemon",
)
SINK = "calmcoach_test"
CAPTURE_RATE = 48000  # the server's own rate: nothing is resampled on the way into the capture
# A mono sink: with the default stereo one, a mono clip was spread over two channels and summed
# again on the way into a mono capture, and espeak-ng's peaks clipped at full scale (measured).
SINK_FORMAT = ("channels=1", "channel_map=mono", f"rate={CAPTURE_RATE}")
STARTUP_TIMEOUT_S = 20.0  # seconds, not milliseconds, on a loaded 2-core machine
PACTL_TIMEOUT_S = 10.0
# After the player has ended, the capture must hold this much more audio before it is stopped:
# what the player wrote last is still in the server's buffers (a quantum is 21 ms at 1024 frames).
DRAIN_S = 0.3
# A probe tone's peak must reach this in the capture (about -26 dBFS; the tone is -10 dBFS).
PROBE_LEVEL = 1600


def missing_programs() -> list[str]:
    """Return the programs this server needs that are not on PATH (empty when all are there)."""
    return [name for name in PROGRAMS if shutil.which(name) is None]


@dataclass
class Capture:
    """One `pw-record` on the sink's monitor, writing mono 16-bit WAV at the server's rate."""

    process: subprocess.Popen[bytes]
    path: Path
    # False once the server has gone away: nothing more will come, so `stop` waits for nothing.
    drain: bool = True

    def frames(self) -> int:
        """Return how many frames have reached the file so far."""
        offset = self._data_offset()
        return 0 if offset is None else max(0, self.path.stat().st_size - offset) // 2

    def so_far(self) -> array[int]:
        """Return the samples written so far, while pw-record still runs (its header's sizes
        are filled in only when it stops, so the data are read to the end of the file)."""
        offset = self._data_offset()
        samples = array("h")
        if offset is None:
            return samples
        body = self.path.read_bytes()[offset:]
        samples.frombytes(body[: len(body) // 2 * 2])
        if sys.byteorder == "big":
            samples.byteswap()
        return samples

    def _data_offset(self) -> int | None:
        """Return where the samples begin in the file, or None while there is no data chunk yet."""
        try:
            with self.path.open("rb") as file:
                head = file.read(4096)
        except FileNotFoundError:
            return None
        chunk = head.find(b"data", 12)
        return None if chunk < 0 else chunk + 8

    def stop(self) -> Path:
        """Stop recording once what was played last has reached the file; return the WAV's path.

        pw-record finishes the WAV header when it is stopped with SIGINT (measured); it exits
        with status 1 then, so the status is not checked, the file is.
        """
        if self.process.poll() is None and self.drain:
            wanted = self.frames() + round(DRAIN_S * CAPTURE_RATE)
            wait_until(
                lambda: self.frames() >= wanted or self.process.poll() is not None,
                timeout=STARTUP_TIMEOUT_S,
                what="the capture to take in what was played last",
            )
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(STARTUP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                stop_process(self.process)
                raise DesktopError("pw-record did not stop on SIGINT") from None
        stop_process(self.process)
        return self.path

    def samples(self) -> array[int]:
        """Stop (if still recording) and return the captured audio: mono 16-bit at CAPTURE_RATE."""
        rate, samples = read_pcm(self.stop())
        if rate != CAPTURE_RATE:
            raise DesktopError(f"the capture is at {rate} Hz, expected {CAPTURE_RATE}")
        return samples


@dataclass
class SoundServer:
    """PipeWire + WirePlumber + pipewire-pulse on a runtime folder of their own, with a null sink."""

    directory: Path
    bus: PrivateBus
    sink: str = SINK
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _captures: list[Capture] = field(default_factory=list)

    @classmethod
    def start(cls, directory: Path, sink: str = SINK) -> SoundServer:
        """Given a short, empty folder, start the server there and wait until it plays into `sink`."""
        home = directory / "home"
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        server = cls(directory=directory, bus=PrivateBus.start(directory / "bus"), sink=sink)
        try:
            for name in ("pipewire", "wireplumber", "pipewire-pulse"):
                server._spawn(name)
                if name == "pipewire":
                    wait_until(
                        lambda: server._alive() and (directory / "pipewire-0").exists(),
                        timeout=STARTUP_TIMEOUT_S,
                        what="pipewire's socket",
                    )
            wait_until(lambda: server._alive() and server._pactl_ok("info"), timeout=STARTUP_TIMEOUT_S,
                       what="pipewire-pulse to answer `pactl info`")  # fmt: skip
            wait_until(
                lambda: server._alive() and "wireplumber" in server.pactl("list", "short", "clients"),
                timeout=STARTUP_TIMEOUT_S,
                what="WirePlumber to connect to pipewire",
            )
            server.pactl("load-module", "module-null-sink", f"sink_name={sink}", *SINK_FORMAT)
            wait_until(lambda: sink in server.sinks(), timeout=STARTUP_TIMEOUT_S, what=f"the sink {sink}")
            server.pactl("set-default-sink", sink)
            wait_until(
                lambda: server.pactl("get-default-sink").strip() == sink,
                timeout=STARTUP_TIMEOUT_S,
                what=f"{sink} to be the default sink",
            )
            server._probe()
        except BaseException:
            server.close()
            raise
        return server

    # --- what tests use ---------------------------------------------------------------------

    def env(self, base: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
        """Return an environment (default: ours) whose pw-play, paplay and pactl reach this server."""
        env = dict(os.environ if base is None else base)
        env["PIPEWIRE_RUNTIME_DIR"] = str(self.directory)
        env["PULSE_SERVER"] = f"unix:{self.directory / 'pulse' / 'native'}"
        env.pop("PIPEWIRE_REMOTE", None)  # the default name, pipewire-0, in the folder above
        env.update(extra)
        return env

    @contextmanager
    def capture(self) -> Iterator[Capture]:
        """Record the sink's monitor for the duration of the block; yield the Capture.

        Recording has begun (audio is reaching the file) when the block starts, so nothing
        played inside it is missed. Call `samples()` inside or after the block.
        """
        path = self.directory / f"capture-{len(self._captures) + 1}.wav"
        process = subprocess.Popen(
            ["pw-record", "--target", f"{self.sink}.monitor", "--rate", str(CAPTURE_RATE),
             "--channels", "1", "--format", "s16", str(path)],
            env=self._client_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,  # noqa: PLW1509 - tests fork from the main thread only
        )  # fmt: skip
        capture = Capture(process, path)
        self._captures.append(capture)
        try:
            # The null sink's monitor delivers silence while nothing plays, so frames arriving
            # in the file show that the recorder is linked and running.
            wait_until(
                lambda: capture.frames() > 0 or process.poll() is not None,
                timeout=STARTUP_TIMEOUT_S,
                what="pw-record to start capturing",
            )
            if process.poll() is not None:
                raise DesktopError(f"pw-record exited with status {process.returncode} before recording")
            yield capture
        finally:
            capture.stop()

    def stop(self, *names: str) -> None:
        """Make the server go away: stop the named programs (default: all three), as a crash or
        a logout would, and wait until they have gone."""
        for capture in self._captures:
            capture.drain = False  # the null sink belongs to pipewire-pulse: it goes too
        for name in names or ("pipewire-pulse", "wireplumber", "pipewire"):
            process = self.processes.pop(name, None)
            if process is not None:
                stop_process(process)

    def close(self) -> None:
        self.stop()
        self.bus.stop()

    def pactl(self, *args: str) -> str:
        result = subprocess.run(
            ["pactl", *args],
            env=self._client_env(),
            capture_output=True,
            text=True,
            timeout=PACTL_TIMEOUT_S,
            check=False,
        )
        if result.returncode != 0:
            raise DesktopError(
                f"pactl {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}"
            )
        return result.stdout

    def sinks(self) -> list[str]:
        return [
            line.split("\t")[1] for line in self.pactl("list", "short", "sinks").splitlines() if "\t" in line
        ]

    # --- inside -------------------------------------------------------------------------------

    def _spawn(self, name: str) -> None:
        log = (self.directory / f"{name}.log").open("wb")
        with log:
            self.processes[name] = subprocess.Popen(
                [name], env=self._server_env(), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                preexec_fn=die_with_parent,  # noqa: PLW1509
            )  # fmt: skip

    def _server_env(self) -> dict[str, str]:
        home = self.directory / "home"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "XDG_RUNTIME_DIR": str(self.directory),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_STATE_HOME": str(home / ".local" / "state"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "DBUS_SESSION_BUS_ADDRESS": self.bus.address,
        }
        # No DISPLAY or WAYLAND_DISPLAY: a headless server, as on CI.
        return env

    def _client_env(self) -> dict[str, str]:
        """The environment of the server's own clients (pactl, pw-record, the probe): its home,
        not the test's or the real user's, where libpulse would keep a cookie."""
        return self.env(self._server_env())

    def _alive(self) -> bool:
        for name, process in self.processes.items():
            if process.poll() is not None:
                log = (self.directory / f"{name}.log").read_text(encoding="utf-8", errors="replace")
                raise DesktopError(f"{name} exited with status {process.returncode}:\n{log[-2000:]}")
        return True

    def _pactl_ok(self, *args: str) -> bool:
        try:
            self.pactl(*args)
        except DesktopError:
            return False
        return True

    def _probe(self) -> None:
        """Play a short tone with pw-play and find it in a capture: the whole path works."""
        tone = self.directory / "probe.wav"
        _write_tone(tone, seconds=0.2)
        with self.capture() as capture:
            subprocess.run(
                ["pw-play", str(tone)],
                env=self._client_env(),
                timeout=PACTL_TIMEOUT_S,
                check=True,
                stdin=subprocess.DEVNULL,
                capture_output=True,
            )
            samples = capture.samples()
        peak = max((abs(s) for s in samples), default=0)
        if peak < PROBE_LEVEL:
            raise DesktopError(
                f"a tone played with pw-play did not reach the capture of {self.sink}.monitor "
                f"(peak {peak} of 32767): the session manager did not link the streams"
            )


def _write_tone(path: Path, seconds: float) -> None:
    import math

    n = round(seconds * CAPTURE_RATE)
    samples = array("h", (round(10362 * math.sin(2 * math.pi * 440 * i / CAPTURE_RATE)) for i in range(n)))
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(CAPTURE_RATE)
        wav.writeframes(samples.tobytes())


@contextmanager
def sound_server() -> Iterator[SoundServer]:
    """Start a sound server in a fresh short folder under /tmp; stop it and remove the folder after."""
    directory = Path(tempfile.mkdtemp(prefix="cc-pw-"))
    try:
        server = SoundServer.start(directory)
        try:
            yield server
        finally:
            server.close()
    finally:
        with suppress(OSError):
            shutil.rmtree(directory)
