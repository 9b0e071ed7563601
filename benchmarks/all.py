"""Run every benchmark and record the figures, with the date and the machine, in benchmarks/RESULTS.md.

    benchmarks/run [--quick] [--no-record]

Each figure is printed as a ratio against a baseline measured in the same run (see
benchmarks/service.py for the CLI, idle and reminder-latency figures). The breathing cue error
comes from benchmarks/sessions.py; its baseline is a bare loop in this process that sleeps to
monotonic deadlines, the best any cue could do on this machine under this load.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks import service, sessions
from benchmarks.home import install

RESULTS = Path(__file__).with_name("RESULTS.md")


def bare_sleep_error_ms(cues: int = 40, period: float = 0.25) -> tuple[float, float]:
    """Return the median and max lateness (ms) of sleeping to `cues` monotonic deadlines."""
    start = time.monotonic() + period
    late = []
    for n in range(cues):
        deadline = start + n * period
        time.sleep(max(0.0, deadline - time.monotonic()))
        late.append((time.monotonic() - deadline) * 1000)
    return statistics.median(late), max(late)


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def machine() -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu_model()}, load average {load} "
        f"at the start, Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def _errors_line(label: str, errors: sessions.Errors | None, bare_max: float) -> str:
    if errors is None:
        return f"  {label}: not measured (nothing was played)"
    ratio = errors.max_abs_ms / bare_max if bare_max > 0 else float("inf")
    verdict = "meets" if errors.max_abs_ms <= sessions.TARGET_MAX_ERROR_MS else "MISSES"
    return (
        f"  {label}: median {errors.median_abs_ms:.1f} ms, max {errors.max_abs_ms:.1f} ms "
        f"= {ratio:.1f}x the baseline's max, drift {errors.drift_ms:+.1f} ms  "
        f"[{verdict} <= {sessions.TARGET_MAX_ERROR_MS:g} ms]"
    )


def _startup_line(s: dict[str, float]) -> str:
    verdict = "meets" if s["warm_median_ms"] <= sessions.TARGET_FIRST_CUE_MS else "MISSES"
    return (
        f"  first cue of `calmcoach breathe`: median {s['warm_median_ms']:.0f} ms warm = "
        f"{s['warm_median_ms'] / s['python_median_ms']:.1f}x `python -c pass` "
        f"({s['python_median_ms']:.0f} ms)  [{verdict} <= {sessions.TARGET_FIRST_CUE_MS:g} ms]"
    )


def session_lines(quick: bool, bare: tuple[float, float]) -> list[str]:
    """Run the parts of benchmarks/sessions.py one by one (a part that fails is named, the others
    still measured); return the report's lines."""
    bare_median, bare_max = bare
    out = [
        "Breathing cue error (benchmarks/sessions.py; |cue time - deadline|):",
        "  baseline: a bare loop sleeping to monotonic deadlines: "
        f"median {bare_median:.2f} ms, max {bare_max:.2f} ms",
    ]
    with tempfile.TemporaryDirectory(prefix="calmcoach-bench-") as name:
        work = Path(name)
        parts: list[tuple[str, Callable[[], list[str]]]] = [
            ("start-up", lambda: [_startup_line(sessions.startup(3 if quick else 7))]),
            (
                "live, runner",
                lambda: [
                    _errors_line(
                        "live, runner", sessions.live_runner(15.0 if quick else 45.0, work)[0], bare_max
                    )
                ],
            ),
            (
                "live, observed",
                lambda: [
                    _errors_line(label, errors, bare_max)
                    for label, errors in zip(
                        (
                            "live, observed (installed calmcoach)",
                            "played audio (aplay through an ALSA file device)",
                        ),
                        sessions.live_observed(12.0 if quick else 30.0),
                        strict=True,
                    )
                ],
            ),
            (
                "saved audio",
                lambda: [
                    _errors_line(
                        "saved audio (WAV onsets)", sessions.saved_audio(4 if quick else 8, work)[0], bare_max
                    )
                ],
            ),
        ]
        for label, part in parts:
            try:
                out.extend(part())
            except Exception as error:  # one failed measurement must not lose the others' figures
                out.append(f"  {label}: NOT MEASURED, it failed: {error!r}")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (about a minute and a half)")
    parser.add_argument("--no-record", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args(argv)
    # Started in the background by a shell (`benchmarks/run &`), SIGINT arrives ignored and every
    # child inherits that: the sessions benchmark stops `calmcoach breathe` with SIGINT, which
    # would then never exit. Give SIGINT its usual meaning back for us and our children.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    started = time.strftime("%Y-%m-%d %H:%M %Z")
    where = machine()
    print(f"calmcoach benchmarks, {started}: {where}", flush=True)
    measured = install().describe()
    print(f"Measured: the {measured}.", flush=True)
    figures = service.measure(args.quick)
    body = service.lines(figures)
    print("\n".join(body), flush=True)
    bare = bare_sleep_error_ms()
    session_body = session_lines(args.quick, bare)
    print("\n".join(session_body))
    short = [line.strip() for line in body + session_body if "MISSES" in line or "NOT MEASURED" in line]
    if not args.no_record:
        section = [
            f"## {started}{' (--quick)' if args.quick else ''}",
            "",
            f"Machine: {where}.",
            "",
            f"Measured: the {measured}.",
            "",
            "```",
            *body,
            *session_body,
            "```",
            "",
            "Falls short: " + ("; ".join(short) if short else "nothing, every target met in this run") + ".",
            "",
        ]
        header = (
            "# Benchmark results\n\nWritten by `benchmarks/run` (newest last); "
            "each figure against a baseline of the same run.\n\n"
        )
        old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else header
        RESULTS.write_text(old.rstrip("\n") + "\n\n" + "\n".join(section), encoding="utf-8")
        print(f"\nrecorded in {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
