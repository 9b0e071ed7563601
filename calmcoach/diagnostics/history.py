"""The doctor's history question: is the database whole, and can this calmcoach use it?

Commands check only the pages they read, and the service checks the whole file at start-up; the
doctor is where a person asks on purpose, so it reads every page (`PRAGMA quick_check`). It only
looks: the file is opened read-only, so nothing is migrated, created or moved aside here.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

from calmcoach.diagnostics.report import Check

TITLE = "history"
TIMEOUT_S = 2.0  # the service or a command may be writing: wait that long for the lock


def fix_for_damaged(path: Path) -> str:
    return (
        f"save what can be saved: sqlite3 {path} .recover > recovered.sql; the service (at start-up) "
        "and `calmcoach log` then move the damaged file aside and start a new history"
    )


def history_check(path: Path) -> tuple[Check, dict[str, Any]]:
    """Given the history database's path, return the check and facts (path, schema, entries)."""
    facts: dict[str, Any] = {"path": str(path), "schema": None, "entries": None}
    if not path.exists():
        return Check("history", TITLE, True, f"none yet: {path} starts with the first entry"), facts
    try:
        connection = sqlite3.connect(
            f"file:{quote(str(path))}?mode=ro", uri=True, timeout=TIMEOUT_S, isolation_level=None
        )
    except sqlite3.Error as error:
        return Check("history", TITLE, False, f"cannot open {path}: {error}", f"ls -l {path}"), facts
    try:
        return _examine(connection, path, facts), facts
    except sqlite3.OperationalError as error:  # locked for longer than TIMEOUT_S, unreadable
        return Check("history", TITLE, False, f"cannot read {path}: {error}", f"ls -l {path}"), facts
    except sqlite3.DatabaseError as error:  # "file is not a database", "database disk image is malformed"
        return Check("history", TITLE, False, f"{path} is damaged: {error}", fix_for_damaged(path)), facts
    finally:
        connection.close()


def _examine(connection: sqlite3.Connection, path: Path, facts: dict[str, Any]) -> Check:
    """Read every page, then the schema version and the entry count (into `facts`)."""
    from calmcoach.history.schema import LATEST_VERSION

    problems = [str(row[0]) for row in connection.execute("PRAGMA quick_check")]
    if problems != ["ok"]:
        return Check(
            "history", TITLE, False, f"{path} is damaged: {'; '.join(problems[:3])}", fix_for_damaged(path)
        )
    version = facts["schema"] = int(connection.execute("PRAGMA user_version").fetchone()[0])
    if version > LATEST_VERSION:
        detail = (
            f"{path} was written by a newer calmcoach (schema {version}; this one knows {LATEST_VERSION})"
        )
        return Check("history", TITLE, False, detail, "upgrade calmcoach")
    entries = facts["entries"] = _entries(connection) if version else 0
    return Check("history", TITLE, True, f"{path}: {_count(entries)} logged, every page checked")


def _entries(connection: sqlite3.Connection) -> int:
    """Count the entries a person logged: water, caffeine and twitches (the undo journal has each)."""
    return int(connection.execute("SELECT count(*) FROM journal").fetchone()[0])


def _count(n: int) -> str:
    return f"{n} entr{'y' if n == 1 else 'ies'}"
