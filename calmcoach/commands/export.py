"""`calmcoach export --csv FILE`: every entry of every table, one row each, with a `type` column.

The file is written the way an editor saves: into a temporary file next to it, flushed to disk,
then renamed over the name in one step, so a crash or a full disk leaves the old file (or no
file), never half a CSV. An existing file is kept unless `--force` is given.
"""

from __future__ import annotations

import argparse
import errno
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from calmcoach.context import Context

STDOUT = "-"
TEMP_PREFIX = ".calmcoach-export-"  # short and fixed: a long target name must not make it too long

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
        "it was logged. An existing file is left alone unless --force is given; the file is "
        "replaced in one step, so it is never left half written.",
    )
    parser.add_argument(
        "--csv",
        required=True,
        metavar="FILE",
        help="the file to write ('-' for standard output; ./- for a file named '-')",
    )
    parser.add_argument("--force", action="store_true", help="replace FILE if it already exists")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from calmcoach.history import History

    target = None if args.csv == STDOUT else Path(args.csv)
    if target is not None:
        check_target(target, force=args.force)  # before reading anything: refuse at once
    with History.open(ctx.paths.history_db) as history:
        rows = history.export_rows()
    text = to_csv(rows)
    if target is None:
        ctx.stdout.write(text)
        return 0
    write_atomically(target, text, force=args.force)
    ctx.out(f"Wrote {len(rows)} {'entry' if len(rows) == 1 else 'entries'} to {target}.")
    return 0


def to_csv(rows: list[dict[str, object]]) -> str:
    """Given the history's rows, return the CSV text: a header, then one line per row."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="raise", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _exists_error(target: Path) -> Exception:
    from calmcoach.errors import CalmcoachError

    return CalmcoachError(f"calmcoach export: {target} already exists; pass --force to replace it")


def _write_error(target: Path, error: OSError) -> Exception:
    from calmcoach.errors import CalmcoachError

    return CalmcoachError(f"calmcoach export: cannot write {target}: {error.strerror or error}")


def check_target(target: Path, *, force: bool) -> None:
    """Given the file to write, raise CalmcoachError when it is a folder, or exists without `force`."""
    from calmcoach.errors import CalmcoachError

    # os.path's checks treat any error (a name too long, a loop) as "not there"; writing then
    # reports the real reason.
    if os.path.isdir(target):  # noqa: PTH112 - Path.is_dir raises on a name too long
        raise CalmcoachError(f"calmcoach export: {target} is a folder; give the name of a file")
    if not force and os.path.lexists(target):  # a dangling link counts: it names a file
        raise _exists_error(target)


def write_atomically(target: Path, text: str, *, force: bool) -> None:
    """Write `text` to `target` through a temporary file in the same folder and a rename.

    Without `force` an existing `target` is never replaced, even one created while we wrote (a
    hard link fails when the name exists). A symlink is kept and the file it points to replaced.
    A new file gets the usual permissions (0666 less the umask); a replaced one keeps its own.
    Raise CalmcoachError when it exists (without `force`) or cannot be written.
    """
    destination = Path(os.path.realpath(target))
    folder = destination.parent
    try:
        mode = _existing_mode(destination) if force else None
        temp = _create_temp(folder)
    except OSError as error:
        raise _write_error(target, error) from error
    try:
        with temp.open("w", encoding="utf-8", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())  # on disk before the rename makes it the file
        if mode is not None:
            temp.chmod(mode)
        if force:
            temp.replace(destination)
        else:
            _place_new(temp, destination, target)
        _sync_folder(folder)
    except OSError as error:
        raise _write_error(target, error) from error
    finally:
        temp.unlink(missing_ok=True)  # still there after a failure, or after _place_new's link


def _existing_mode(path: Path) -> int | None:
    """Return the permission bits of the file at `path`, or None when there is none."""
    import stat

    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None


def _create_temp(folder: Path) -> Path:
    """Create an empty, new file in `folder` and return its path; os.open applies the umask to
    0666 as for any new file (mkstemp would make it 0600)."""
    for _ in range(100):
        temp = folder / f"{TEMP_PREFIX}{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return temp
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(folder))


def _place_new(temp: Path, destination: Path, target: Path) -> None:
    """Give `temp` the name `destination`, which must not exist; raise CalmcoachError if it does."""
    try:
        os.link(temp, destination)  # atomic, and fails rather than replace
    except FileExistsError:
        raise _exists_error(target) from None
    except OSError as error:
        # Some file systems (FAT, some network ones) have no hard links: check, then rename.
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        if os.path.lexists(destination):
            raise _exists_error(target) from None
        temp.replace(destination)


def _sync_folder(folder: Path) -> None:
    """Flush the folder's entry for the new name to disk; some file systems cannot, which is fine."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
