"""Benchmark of guided sessions: how close to plan do cues land, and how soon does the first come?

    .venv/bin/python -m benchmarks.sessions            # about a minute and a half
    .venv/bin/python -m benchmarks.sessions --quick    # about half a minute

It prints measured figures and never fails on them. Every figure is measured, not taken from the
plan; where it comes from is printed next to it:

- live, runner: a session run in this process on the real monotonic clock and real sleeps, with
  the rich animation drawn to a pseudo terminal (so drawing costs what it costs) and the events
  output; the error is when each cue was given against its deadline.
- live, observed: the installed `calmcoach breathe` (the regular install benchmarks/home.py
  makes) in a subprocess, its plain lines read from a
  pipe by this process and time-stamped on arrival with this process's own monotonic clock
  (CLOCK_MONOTONIC is shared by all processes on Linux).
- played audio: what the real `aplay` played in that same run, written through an ALSA `file`
  device (there may be no sound card), with the cue onsets found by energy analysis of that audio.
- saved audio: a session rendered with the real voice (espeak-ng) and tones to a WAV file, read
  back, onsets found by energy analysis.
- start-up: from spawning the installed `calmcoach breathe` to its first cue, on CLOCK_MONOTONIC
  (the events file records each cue's monotonic time), with a cold voice cache and warm.

Targets (issue 4): maximum cue error 10 ms or less, no drift, first cue within 300 ms.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from benchmarks.home import calmcoach_argv, install, python_argv, user_env
from calmcoach.content.patterns import built_in_pattern, make_pattern
from calmcoach.schedule.model import VoiceSettings
from calmcoach.sessions import guided
from calmcoach.sessions.animation import LiveAnimation
from calmcoach.sessions.audio import SAMPLE_RATE, read_wav
from calmcoach.sessions.events import EventsOutput
from calmcoach.sessions.onsets import detect_onsets, match_onsets
from calmcoach.sessions.runner import run_session
from calmcoach.sessions.timeline import breathing_timeline

TARGET_MAX_ERROR_MS = 10.0
TARGET_FIRST_CUE_MS = 300.0

BENCH_SCHEDULE = """\
[settings.patterns]
bench = { inhale = 2, hold = 1, exhale = 2, rest = 1, description = "The benchmark's pattern." }

[[reminder]]
name = "bench"
kind = "breathing"
at = "11:30"
pattern = "bench"
"""


@dataclass(frozen=True)
class Errors:
    """Cue timing errors in milliseconds (found minus planned), with the plan times they belong to."""

    planned_s: tuple[float, ...]
    errors_ms: tuple[float, ...]
    missing: int = 0  # planned cues with no onset found near them

    @property
    def median_abs_ms(self) -> float:
        return statistics.median(abs(e) for e in self.errors_ms) if self.errors_ms else float("nan")

    @property
    def max_abs_ms(self) -> float:
        return max((abs(e) for e in self.errors_ms), default=float("nan"))

    @property
    def drift_ms(self) -> float:
        """The least-squares trend of the error across the session, first cue to last, in ms."""
        if len(self.errors_ms) < 2:
            return 0.0
        xs, ys = self.planned_s, self.errors_ms
        mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
        var = sum((x - mean_x) ** 2 for x in xs)
        slope = (
            0.0 if var == 0 else sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / var
        )
        return slope * (max(xs) - min(xs))

    def line(self) -> str:
        found = len(self.errors_ms)
        head = f"{found} cues" + (f" ({self.missing} not found)" if self.missing else "")
        verdict = "meets" if self.max_abs_ms <= TARGET_MAX_ERROR_MS and not self.missing else "MISSES"
        return (
            f"{head}: error median {self.median_abs_ms:.2f} ms, max {self.max_abs_ms:.2f} ms, "
            f"drift first->last {self.drift_ms:+.2f} ms  [{verdict} max <= {TARGET_MAX_ERROR_MS:g} ms]"
        )


def errors_from_audio(planned: Sequence[float], samples: array[int]) -> Errors:
    """Given planned cue times and audio, find the onsets by analysis and return the errors."""
    matches = match_onsets(planned, detect_onsets(samples, SAMPLE_RATE))
    found = [(m.planned_s, m.error_s * 1000) for m in matches if m.error_s is not None]
    return Errors(tuple(p for p, _ in found), tuple(e for _, e in found), len(matches) - len(found))


# --- live, in this process --------------------------------------------------------------------


class CountingAnimation(LiveAnimation):
    """The real animation, counting the frames it draws."""

    frames = 0

    def frame(self, t_s: float) -> None:
        self.frames += 1
        super().frame(t_s)


def live_runner(seconds: float, work: Path) -> tuple[Errors, float, float]:
    """Run a session here on the real clock with the animation drawn; return errors, fps, seconds."""
    from rich.console import Console

    pattern = make_pattern("bench", 2, 1, 2, 1)
    cycles = max(1, round(seconds / pattern.cycle_seconds))
    timeline = breathing_timeline(
        pattern, cycles, opening="Begin.", closing="Done.", counts=True, speech_s=lambda text: 0.0
    )
    console = Console(file=io.StringIO(), force_terminal=True, width=100, height=40)
    animation = CountingAnimation(console, timeline)
    events = EventsOutput(work / "live-runner.jsonl")

    class _Clock:
        def monotonic(self) -> float:
            return time.monotonic()

    result = run_session(timeline, [animation, events], _Clock(), time.sleep)
    errors = Errors(tuple(i.cue.at_s for i in result.issued), tuple(i.error_s * 1000 for i in result.issued))
    return errors, animation.frames / result.elapsed_s, result.elapsed_s


# --- live, the installed command in a subprocess ------------------------------------------------


@contextmanager
def sandbox() -> Iterator[tuple[Path, dict[str, str]]]:
    """A temporary home: XDG folders, and ALSA's default device writing to home/played.raw."""
    with tempfile.TemporaryDirectory(prefix="calmcoach-bench-") as name:
        home = Path(name)
        env = user_env(home)
        played = home / "played.raw"
        (home / ".asoundrc").write_text(
            f'pcm.!default {{\n  type file\n  slave.pcm "null"\n  file "{played}"\n  format "raw"\n}}\n',
            encoding="utf-8",
        )
        (home / "bench.toml").write_text(BENCH_SCHEDULE, encoding="utf-8")
        yield home, env


def read_events(path: Path) -> list[dict[str, float | str | int]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def live_observed(seconds: float) -> tuple[Errors, Errors | None]:
    """Run the installed command with tones; time-stamp its lines; analyse what aplay played."""
    cycles = max(1, round(seconds / 6))
    with sandbox() as (home, env):
        events = home / "events.jsonl"
        argv = [*calmcoach_argv(), "breathe", "bench", "--schedule", str(home / "bench.toml")]
        argv += ["--cycles", str(cycles), "--no-voice", "--tone", "--events", str(events)]
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        assert process.stdout is not None
        arrivals = [(time.monotonic(), line) for line in process.stdout]
        process.wait()
        given = read_events(events)
        start = float(given[0]["monotonic_s"]) - float(given[0]["actual_s"])
        # plain lines show every cue but the counts, in order: pair them up
        shown = [e for e in given if e["phase"] != "count"]
        cue_lines = [t for t, line in arrivals if line[:1].isdigit()][: len(shown)]
        observed = Errors(
            tuple(float(e["planned_s"]) for e in shown),
            tuple((t - start - float(e["planned_s"])) * 1000 for t, e in zip(cue_lines, shown, strict=False)),
        )
        played = home / "played.raw"
        audio = None
        if played.exists():
            samples = array("h")
            samples.frombytes(played.read_bytes())
            toned = [float(e["planned_s"]) for e in given if e["phase"] not in ("opening", "closing")]
            audio = errors_from_audio(toned, samples)
        return observed, audio


# --- saved audio --------------------------------------------------------------------------------


def saved_audio(cycles: int, work: Path) -> tuple[Errors, float, float]:
    """Render box breathing with the real voice, tones and counts; analyse the saved WAV."""
    from calmcoach.outputs.voice import TtsSpeaker

    pattern = built_in_pattern("box")
    assert pattern is not None
    plan = guided.breathing_plan(pattern, cycles, voice=True, tone=True, counts=True, closing="Well done.")
    speaker = TtsSpeaker(VoiceSettings(), work / "voice")
    try:
        cold = guided.prepare(plan, synthesizer=speaker, tone_cache=work / "tones")
        warm = guided.prepare(plan, synthesizer=speaker, tone_cache=work / "tones")
    finally:
        speaker.close()
    saved = guided.save(warm, work / "saved.wav")
    planned = [c.at_s for c in warm.timeline.cues if c.audible]
    return errors_from_audio(planned, read_wav(saved.path)), cold.seconds_to_prepare, warm.seconds_to_prepare


# --- start-up -----------------------------------------------------------------------------------


def first_cue_ms(env: dict[str, str], home: Path, extra: Sequence[str] = ()) -> float:
    """Spawn `calmcoach breathe box --cycles 1`; return ms from the spawn to its first cue.

    The session is stopped with SIGINT 1.5 s after its first cue, once it has had time to make
    the next session's closing line (as a person's session would).
    """
    events = home / "first.jsonl"
    events.unlink(missing_ok=True)
    argv = [*calmcoach_argv(), "breathe", "box", "--cycles", "1", "--events", str(events), *extra]
    spawned = time.monotonic()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        deadline = spawned + 30
        while time.monotonic() < deadline and (not events.exists() or events.stat().st_size == 0):
            time.sleep(0.002)
        first = read_events(events)[0]
        time.sleep(1.5)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(10)
    return (float(first["monotonic_s"]) - spawned) * 1000


def wall_ms(argv: Sequence[str], env: dict[str, str]) -> float:
    began = time.monotonic()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    return (time.monotonic() - began) * 1000


def startup(runs: int) -> dict[str, float]:
    with sandbox() as (home, env):
        cold = first_cue_ms(env, home)
        warm = [first_cue_ms(env, home) for _ in range(runs)]
        quiet = [first_cue_ms(env, home, ["--quiet"]) for _ in range(runs)]
        version = [wall_ms([*calmcoach_argv(), "--version"], env) for _ in range(runs)]
        bare = [wall_ms([*python_argv(), "-c", "pass"], env) for _ in range(runs)]
    return {
        "cold_ms": cold,
        "warm_median_ms": statistics.median(warm),
        "warm_max_ms": max(warm),
        "quiet_median_ms": statistics.median(quiet),
        "version_median_ms": statistics.median(version),
        "python_median_ms": statistics.median(bare),
    }


# --- report -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    live_runner: Errors
    frames_per_second: float
    live_seconds: float
    live_observed: Errors
    played_audio: Errors | None
    saved_audio: Errors
    prepare_cold_s: float
    prepare_warm_s: float
    startup: dict[str, float]


def measure(quick: bool = False) -> Figures:
    """Run every measurement; return the figures (benchmarks/run may collect them)."""
    with tempfile.TemporaryDirectory(prefix="calmcoach-bench-") as name:
        work = Path(name)
        runner, fps, elapsed = live_runner(15.0 if quick else 45.0, work)
        observed, played = live_observed(12.0 if quick else 30.0)
        saved, cold_s, warm_s = saved_audio(4 if quick else 8, work)
    return Figures(runner, fps, elapsed, observed, played, saved, cold_s, warm_s, startup(3 if quick else 7))


def report(f: Figures, out: TextIO = sys.stdout) -> None:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    out.write(
        f"calmcoach sessions benchmark: {time.strftime('%Y-%m-%d %H:%M')}, {platform.node()}, "
        f"{os.cpu_count()} CPUs, load {load}, Python {platform.python_version()}\n\n"
        f"Live, runner ({f.live_seconds:.0f} s in this process: real clock, rich animation drawn, "
        "events written):\n"
        f"  {f.live_runner.line()}\n"
        f"  animation: {f.frames_per_second:.1f} frames a second [target >= 20]\n\n"
        "Live, observed (installed calmcoach; its lines time-stamped on arrival by this process):\n"
        f"  {f.live_observed.line()}\n"
        "Played audio (what the real aplay played, through an ALSA file device; onsets by analysis):\n"
        f"  {f.played_audio.line() if f.played_audio else 'nothing was played (is aplay installed?)'}\n\n"
        "Saved audio (box, real espeak-ng voice + tones + counts, WAV read back; onsets by analysis):\n"
        f"  {f.saved_audio.line()}\n"
        f"  preparing it: {f.prepare_cold_s * 1000:.0f} ms with no voice cache, "
        f"{f.prepare_warm_s * 1000:.0f} ms cached\n\n"
    )
    s = f.startup
    verdict = "meets" if s["warm_median_ms"] <= TARGET_FIRST_CUE_MS else "MISSES"
    out.write(
        "Start-up (spawn of `calmcoach breathe box --cycles 1` to its first cue, CLOCK_MONOTONIC):\n"
        f"  warm: median {s['warm_median_ms']:.0f} ms, max {s['warm_max_ms']:.0f} ms  "
        f"[{verdict} <= {TARGET_FIRST_CUE_MS:g} ms]\n"
        f"  cold (empty voice cache: espeak-ng loads, every line synthesized): {s['cold_ms']:.0f} ms\n"
        f"  --quiet (no audio at all): median {s['quiet_median_ms']:.0f} ms\n"
        f"  for scale: `calmcoach --version` {s['version_median_ms']:.0f} ms, "
        f"`python -c pass` {s['python_median_ms']:.0f} ms\n"
    )


def to_json(f: Figures) -> dict[str, object]:
    def errors(e: Errors | None) -> dict[str, float] | None:
        if e is None:
            return None
        return {
            "median_ms": e.median_abs_ms,
            "max_ms": e.max_abs_ms,
            "drift_ms": e.drift_ms,
            "missing": e.missing,
        }

    return {
        "live_runner": errors(f.live_runner),
        "frames_per_second": f.frames_per_second,
        "live_observed": errors(f.live_observed),
        "played_audio": errors(f.played_audio),
        "saved_audio": errors(f.saved_audio),
        "prepare_ms": {"cold": f.prepare_cold_s * 1000, "warm": f.prepare_warm_s * 1000},
        "startup": f.startup,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sessions", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (about half a minute)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if shutil.which("aplay") is None:
        print("note: aplay is missing, so the played-audio figures will be empty", file=sys.stderr)
    print(f"measuring the {install().describe()}", file=sys.stderr, flush=True)
    figures = measure(args.quick)
    if args.json:
        print(json.dumps(to_json(figures), indent=2))
    else:
        report(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
