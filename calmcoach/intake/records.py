"""The entries the history store keeps, as plain frozen dataclasses.

They live here, in the pure core, so that the models can compute on them without importing
SQLite; `calmcoach.history` builds them from rows. Every datetime is timezone-aware.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Side(StrEnum):
    LEFT = "left"
    RIGHT = "right"
    BOTH = "both"


@dataclass(frozen=True)
class WaterEntry:
    id: int
    at: datetime
    ml: float


@dataclass(frozen=True)
class CaffeineEntry:
    id: int
    at: datetime
    mg: float
    drink: str | None = None
    volume_ml: float | None = None


@dataclass(frozen=True)
class TwitchEntry:
    id: int
    at: datetime
    where: str | None = None
    side: Side | None = None
    stress: int | None = None  # 0-10, as the person rates it
    note: str | None = None
    new_symptom: bool = False  # something the person has not felt before came with it
    weakness: bool = False  # the muscle felt weak, not only twitchy


@dataclass(frozen=True)
class Delivery:
    id: int
    reminder: str
    kind: str
    at: datetime
    channel: str
    acted_at: datetime | None = None


@dataclass(frozen=True)
class SessionRecord:
    id: int
    kind: str
    name: str
    started_at: datetime
    cycles_planned: int
    cycles_done: int
    completed: bool
