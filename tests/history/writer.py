"""A separate process that writes to the history the way the service (or a busy script) would.

    python -m tests.history.writer DB MODE COUNT PACE_S [FOLLOW]

MODE "service": COUNT entries alternating reminder deliveries and sessions, PACE_S apart; with
                FOLLOW, entry i waits until others have logged i x FOLLOW / COUNT entries, so the
                writes spread across the whole time the others write, however long that takes.
MODE "water":   COUNT water entries as fast as it can.
MODE "cli":     COUNT runs of the real command line in this one process, each `calmcoach` followed
                by the words of FOLLOW (for example "log water 100ml"), as a busy CLI would do.
After each commit it prints the entry's type and id and flushes, so a test reading stdout knows
exactly which entries were committed before it killed the process.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from calmcoach.history import History


def run_cli(words: list[str], count: int) -> int:
    """Run `calmcoach WORDS...` COUNT times through the real entry point; stop at the first failure."""
    from calmcoach.cli import main as calmcoach

    for _ in range(count):
        code = calmcoach(words)
        if code != 0:
            return code
    return 0


def main(argv: list[str]) -> int:
    if argv[1] == "cli":
        return run_cli(argv[4].split(), int(argv[2]))
    db, mode, count, pace = Path(argv[0]), argv[1], int(argv[2]), float(argv[3])
    follow = int(argv[4]) if len(argv) > 4 else 0
    start = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)
    with History.open(db) as history:
        for i in range(count):
            while follow and history.count("journal") < i * follow // count:
                time.sleep(pace)
            at = start + timedelta(seconds=i)
            if mode == "water":
                print("water", history.log_water(100, at), flush=True)
            elif i % 2 == 0:
                print(
                    "delivery", history.record_delivery("water", "hydration", at, "notification"), flush=True
                )
            else:
                print("session", history.record_session("breathing", "box", at, 4, 4, True), flush=True)
            if pace and not follow:
                time.sleep(pace)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
