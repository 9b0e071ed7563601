"""`calmcoach export --csv FILE`: every entry of every table, one row each, with a `type` column."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from calmcoach.context import Context

# The columns, in order: what every row has, then each table's own (empty where a row lacks them).
COLUMNS = (
    "type",
    "id",
    "at",
    "local",
    "tz",
    "ml",
    "mg",
    "drink",
    "volume_ml",
    "where",
    "side",
    "stress",
    "note",
    "new_symptom",
    "weakness",
    "reminder",
    "kind",
    "channel",
    "acted_at",
    "name",
    "cycles_planned",
    "cycles_done",
    "completed",
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write every entry to a CSV file",
        description="Write every entry (water, caffeine, twitches, reminders delivered, sessions) "
        "to a CSV file, oldest first, with a `type` column. `at` is UTC; `local` is the time where "
        "it was logged.",
    )
    parser.add_argument(
        "--csv", required=True, metavar="FILE", help="the file to write ('-' for standard output)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    import csv
    import io

    from calmcoach.errors import CalmcoachError
    from calmcoach.history import History

    with History.open(ctx.paths.history_db) as history:
        rows = history.export_rows()
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="raise", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    if args.csv == "-":
        ctx.stdout.write(buffer.getvalue())
        return 0
    target = Path(args.csv)
    try:
        target.write_text(buffer.getvalue(), encoding="utf-8")
    except OSError as error:
        raise CalmcoachError(f"calmcoach export: cannot write {target}: {error.strerror or error}") from error
    ctx.out(f"Wrote {len(rows)} entries to {target}.")
    return 0
