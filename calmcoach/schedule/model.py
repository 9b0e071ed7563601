"""The validated schedule: frozen dataclasses that the planner and the service read.

Nothing here parses or checks; `calmcoach.schedule.loader` builds these only from input it has
validated, so every value in them is known to be well formed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

from calmcoach.content.patterns import BreathingPattern

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALL_DAYS: frozenset[int] = frozenset(range(7))


class Kind(StrEnum):
    HYDRATION = "hydration"
    CAFFEINE = "caffeine"
    STRETCH = "stretch"
    BREATHING = "breathing"
    TIP = "tip"


class Channel(StrEnum):
    NOTIFICATION = "notification"
    VOICE = "voice"
    TERMINAL = "terminal"


@dataclass(frozen=True)
class TimeWindow:
    """A daily window of wall-clock time. When `end <= start` it crosses midnight ("22:00-07:30")."""

    start: time
    end: time

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start

    def contains(self, moment: time) -> bool:
        """Given a wall-clock time, return whether it lies in the window (start included, end not)."""
        if self.crosses_midnight:
            return moment >= self.start or moment < self.end
        return self.start <= moment < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Every:
    """Fire every `interval`, counted from the start of each active window (or midnight)."""

    interval: timedelta


@dataclass(frozen=True)
class At:
    """Fire at these wall-clock times each active day, in ascending order."""

    times: tuple[time, ...]


@dataclass(frozen=True)
class Cron:
    """Fire on a five-field cron expression: minute hour day-of-month month day-of-week."""

    expression: str


Trigger = Every | At | Cron


@dataclass(frozen=True)
class VoiceSettings:
    enabled: bool = True
    rate: int = 160  # words per minute, as espeak-ng counts them
    volume: float = 0.8  # 0.0-1.0
    voice: str | None = None  # a pyttsx3 voice id or name; None keeps the engine's default


@dataclass(frozen=True)
class Drink:
    """A caffeinated drink the log command knows: its usual serving and the caffeine in it."""

    name: str
    serving_ml: float
    caffeine_mg: float


@dataclass(frozen=True)
class Settings:
    timezone: ZoneInfo
    quiet_hours: TimeWindow | None = None
    days: frozenset[int] = ALL_DAYS  # 0 is Monday, as datetime.weekday() counts
    bedtime: time = time(23, 0)
    water_goal_ml: float = 2000.0  # EFSA 2010: about 1.6-2.0 l a day from drinks
    caffeine_limit_mg: float = 400.0  # FDA and EFSA, healthy adults
    caffeine_half_life: timedelta = timedelta(hours=5)  # IOM 2001
    caffeine_cutoff_before_bed: timedelta = timedelta(hours=8)  # Gardiner et al. 2023: ~8.8 h
    voice: VoiceSettings = field(default_factory=VoiceSettings)
    drinks: tuple[Drink, ...] = ()  # the user's additions to the built-in drink table
    patterns: tuple[BreathingPattern, ...] = ()  # the user's own breathing patterns
    idle_after: timedelta = timedelta(minutes=5)  # no input this long: the person is away
    respect_dnd: bool = True  # do-not-disturb and full screen: voice silent, notifications wait


@dataclass(frozen=True)
class Source:
    """Where a reminder was written, for messages that point back to it."""

    file: Path
    line: int | None
    index: int  # position among the file's [[reminder]] tables, 1-based


@dataclass(frozen=True)
class Reminder:
    name: str
    kind: Kind
    trigger: Trigger
    source: Source
    between: TimeWindow | None = None
    days: frozenset[int] | None = None  # None: the settings' days
    say: tuple[Channel, ...] = (Channel.NOTIFICATION,)
    message: str | None = None  # the user's own words, used instead of the catalogue
    grace: timedelta = timedelta(minutes=10)  # how late a missed firing may still be delivered
    # breathing
    pattern: str | None = None
    minutes: float | None = None
    cycles: int | None = None
    # stretch
    routine: str | None = None
    respect_dnd: bool | None = None  # None: the settings' respect_dnd
    hold_limit: timedelta = timedelta(minutes=30)  # longest wait during do-not-disturb, then dropped


@dataclass(frozen=True)
class Schedule:
    settings: Settings
    reminders: tuple[Reminder, ...]
    files: tuple[Path, ...]

    def reminder(self, name: str) -> Reminder | None:
        return next((r for r in self.reminders if r.name == name), None)

    def active_days(self, reminder: Reminder) -> frozenset[int]:
        return reminder.days if reminder.days is not None else self.settings.days
