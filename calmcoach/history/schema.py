"""The history database's schema, as an ordered list of migrations.

`PRAGMA user_version` holds the number of the last migration applied. Each migration runs in one
transaction together with the version bump, so a database is always at exactly one version.
Never edit a migration that has shipped: add a new one at the end.

Times are stored as UTC in a fixed-width ISO 8601 form ("2024-05-06T12:30:00.000000Z"), which
sorts as text in time order, next to `tz`: the zone the entry was logged in, for showing it back
in local time.
"""

from __future__ import annotations

from typing import NamedTuple


class Migration(NamedTuple):  # a NamedTuple, not a dataclass: every command opening the history imports it
    version: int
    why: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "the first tables: intake, twitches, reminder deliveries, sessions and the undo journal",
        (
            """CREATE TABLE water (
                id INTEGER PRIMARY KEY,
                at TEXT NOT NULL,
                tz TEXT NOT NULL,
                ml REAL NOT NULL CHECK (ml > 0)
            )""",
            """CREATE TABLE caffeine (
                id INTEGER PRIMARY KEY,
                at TEXT NOT NULL,
                tz TEXT NOT NULL,
                mg REAL NOT NULL CHECK (mg > 0),
                drink TEXT,
                volume_ml REAL
            )""",
            """CREATE TABLE twitch (
                id INTEGER PRIMARY KEY,
                at TEXT NOT NULL,
                tz TEXT NOT NULL,
                place TEXT,
                side TEXT CHECK (side IN ('left', 'right', 'both')),
                stress INTEGER CHECK (stress BETWEEN 0 AND 10),
                note TEXT
            )""",
            """CREATE TABLE delivery (
                id INTEGER PRIMARY KEY,
                reminder TEXT NOT NULL,
                kind TEXT NOT NULL,
                at TEXT NOT NULL,
                tz TEXT NOT NULL,
                channel TEXT NOT NULL,
                acted_at TEXT
            )""",
            """CREATE TABLE session (
                id INTEGER PRIMARY KEY,
                kind TEXT NOT NULL,
                name TEXT NOT NULL,
                started_at TEXT NOT NULL,
                tz TEXT NOT NULL,
                cycles_planned INTEGER NOT NULL,
                cycles_done INTEGER NOT NULL,
                completed INTEGER NOT NULL
            )""",
            # The order entries were logged in, across the three log tables, for `log undo`:
            # AUTOINCREMENT so a sequence number is never reused after the last one is undone.
            """CREATE TABLE journal (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                entry_type TEXT NOT NULL CHECK (entry_type IN ('water', 'caffeine', 'twitch')),
                entry_id INTEGER NOT NULL
            )""",
        ),
    ),
    Migration(
        2,
        "the twitch journal's warning signs (new symptom, weakness) and indexes for day queries",
        (
            "ALTER TABLE twitch ADD COLUMN new_symptom INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE twitch ADD COLUMN weakness INTEGER NOT NULL DEFAULT 0",
            "CREATE INDEX water_at ON water (at)",
            "CREATE INDEX caffeine_at ON caffeine (at)",
            "CREATE INDEX twitch_at ON twitch (at)",
            "CREATE INDEX delivery_reminder_at ON delivery (reminder, at)",
            "CREATE INDEX delivery_at ON delivery (at)",
            "CREATE INDEX session_started_at ON session (started_at)",
        ),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version
