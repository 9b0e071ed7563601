"""A separate process that writes to the history, for the concurrency tests.

    python -m tests.history.writer DB water COUNT
    python -m tests.history.writer DB deliveries COUNT [--pace S] [--follow N]
    python -m tests.history.writer DB cli COUNT --words "log water 100ml" --first-at ISO
                                   [--installed COMMAND] [--service-entries S --lag L] [--barrier]

"water":      COUNT water entries through History, as fast as it can.
"deliveries": COUNT reminder deliveries and sessions, alternating, written through History (not
              the service: a fifth plain writer); --pace S apart, or with --follow N, entry i
              waits until others have logged i x N / COUNT entries.
"cli":        COUNT runs of the real command line, `calmcoach WORDS --at T`, with T = --first-at
              plus k seconds for run k, so that every entry can be found again by its time. In
              this one process through `calmcoach.cli.main` (each run opens its own connection,
              as a separate `calmcoach` would), or with --installed, the installed command
              started anew for each run. With --service-entries S, run k first waits until the
              delivery table holds k x S / COUNT - L rows: the CLI may run ahead of the service's
              deliveries by L at most, so the two sets of writes interleave however the machine
              schedules them. With --barrier it prints "ready" and waits for a line on stdin.

Every line is written by one write() call and flushed: the tests run with PYTHONUNBUFFERED=1,
under which print("water", 5) is four separate writes, and a SIGKILL between two of them left a
torn line ("water ") that the killed-writer test could not read (seen in CI).
"water" and "deliveries" print "TYPE ID" after each commit; "cli" prints
"K TABLE AT BEFORE AFTER" after each run that succeeded, where BEFORE and AFTER are the delivery
rows seen just before the run and just after it committed.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from calmcoach.history import History
from calmcoach.history.store import to_text

WAIT_TIMEOUT_S = 90.0  # for the service's deliveries: generous, a loaded machine is slow, not stuck


def emit(line: str) -> None:
    """Given one line, write it in a single write() and flush it."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.history.writer")
    parser.add_argument("db", type=Path)
    parser.add_argument("mode", choices=("water", "deliveries", "cli"))
    parser.add_argument("count", type=int)
    parser.add_argument("--pace", type=float, default=0.0)
    parser.add_argument("--follow", type=int, default=0)
    parser.add_argument("--words", default="")
    parser.add_argument("--first-at", type=datetime.fromisoformat)
    parser.add_argument("--installed")
    parser.add_argument("--service-entries", type=int, default=0)
    parser.add_argument("--lag", type=int, default=0)
    parser.add_argument("--barrier", action="store_true")
    return parser.parse_args(argv)


def write_directly(args: argparse.Namespace) -> int:
    start = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)
    with History.open(args.db) as history:
        for i in range(args.count):
            while args.follow and history.count("journal") < i * args.follow // args.count:
                time.sleep(args.pace)
            at = start + timedelta(seconds=i)
            if args.mode == "water":
                emit(f"water {history.log_water(100, at)}")
            elif i % 2 == 0:
                emit(f"delivery {history.record_delivery('water', 'hydration', at, 'notification')}")
            else:
                emit(f"session {history.record_session('breathing', 'box', at, 4, 4, True)}")
            if args.pace and not args.follow:
                time.sleep(args.pace)
    return 0


def wait_for_deliveries(history: History, needed: int) -> int:
    """Wait until the delivery table holds `needed` rows; return how many it holds."""
    deadline = time.monotonic() + WAIT_TIMEOUT_S
    while (seen := history.count("delivery")) < needed:
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"waited {WAIT_TIMEOUT_S:g} s for {needed} deliveries; the service made {seen}"
            )
        time.sleep(0.005)
    return seen


def run_once(args: argparse.Namespace, argv: list[str]) -> tuple[int, str, str]:
    """Given the words of one command line, run it; return its exit code, stdout and stderr."""
    if args.installed:
        done = subprocess.run(
            [args.installed, *argv], capture_output=True, text=True, timeout=120, check=False
        )
        return done.returncode, done.stdout, done.stderr
    from calmcoach.cli import main as calmcoach
    from calmcoach.context import Context
    from calmcoach.paths import Paths

    out, err = io.StringIO(), io.StringIO()
    code = calmcoach(argv, Context(paths=Paths.from_environment(), stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def run_cli(args: argparse.Namespace) -> int:
    words = args.words.split()
    table = words[1]  # "log water ..." goes to the water table, and so on
    if not args.installed:
        import calmcoach.cli  # noqa: F401 - imported before the barrier, so the runs start together
    with History.open(args.db) as history:
        if args.barrier:
            emit("ready")
            sys.stdin.readline()
        for k in range(args.count):
            at = args.first_at + timedelta(seconds=k)
            before = history.count("delivery")
            if args.service_entries:
                needed = -(-k * args.service_entries // args.count) - args.lag  # ceil, less the lag
                before = wait_for_deliveries(history, needed)
            code, out, err = run_once(args, [*words, "--at", at.isoformat()])
            if code != 0 or not out.startswith("Logged "):
                sys.stderr.write(f"calmcoach {' '.join(words)} (run {k}) exited {code}:\n{out}{err}")
                return 1
            emit(f"{k} {table} {to_text(at)} {before} {history.count('delivery')}")
    return 0


def main(argv: list[str]) -> int:
    args = parse(argv)
    if args.mode == "cli":
        return run_cli(args)
    return write_directly(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
