"""What to do with a due reminder, given what is known about the person: pure, time passed in.

- Away (no input for `idle_after`), the screen locked, or the machine asleep: nothing fires. An
  `every` reminder is skipped, and its timer restarts from the return (`restart_times`), so a long
  absence brings no reminder the moment the person sits down again. An `at` or `cron` reminder
  waits until the return, but no longer than its grace time: it was meant for that time of day.
- Busy (do-not-disturb, or a full-screen window) and the reminder respects it: the voice stays
  silent and the reminder waits until it ends, no longer than its `hold_limit`, after which the
  moment has passed and it is dropped. Whatever waited comes as one notification (`combine`).
- An absence at least as long as a stretch break counts as that break (`counts_as_break`).
- A reminder fired by hand (`calmcoach trigger`) always comes: the person asked for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from calmcoach.outputs import Message
from calmcoach.schedule.model import Channel, Every, Kind, Reminder, Schedule, Settings

NextFiring = Callable[..., datetime | None]


class State(StrEnum):
    HERE = "here"
    AWAY = "away"  # no keyboard or mouse input for `idle_after`
    LOCKED = "locked"
    ASLEEP = "asleep"
    BUSY = "busy"  # do-not-disturb or a full-screen window

    @property
    def absent(self) -> bool:
        return self in (State.AWAY, State.LOCKED, State.ASLEEP)


@dataclass(frozen=True)
class Observation:
    """What the desktop said at one instant; None and False where a backend could not tell."""

    at: datetime
    idle: timedelta | None = None
    locked: bool = False
    asleep: bool = False
    dnd: bool = False
    fullscreen: bool = False
    asleep_since: datetime | None = None  # when the last suspend began, if known

    def state(self, idle_after: timedelta) -> State:
        """Given the idle threshold, return the person's state (the most absent reason wins)."""
        if self.asleep:
            return State.ASLEEP
        if self.locked:
            return State.LOCKED
        if self.idle is not None and self.idle >= idle_after:
            return State.AWAY
        if self.dnd or self.fullscreen:
            return State.BUSY
        return State.HERE

    def why_busy(self) -> str:
        return "full screen" if self.fullscreen and not self.dnd else "do not disturb"


class Action(StrEnum):
    DELIVER = "deliver"
    HOLD = "hold"  # until the person is back
    DEFER = "defer"  # until do-not-disturb ends
    SKIP = "skip"


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str  # for the log line: "away", "locked", "do not disturb"...
    until: datetime | None = None  # HOLD and DEFER: the latest it may still come


def respects_dnd(reminder: Reminder, settings: Settings) -> bool:
    return reminder.respect_dnd if reminder.respect_dnd is not None else settings.respect_dnd


def decide(
    reminder: Reminder,
    settings: Settings,
    observation: Observation,
    now: datetime,
    *,
    manual: bool = False,
) -> Decision:
    """Given a due reminder, its settings, the latest observation and now, return what to do."""
    state = observation.state(settings.idle_after)
    if manual or state is State.HERE:
        return Decision(Action.DELIVER, "here" if not manual else "triggered")
    if state.absent:
        reason = str(state)
        if isinstance(reminder.trigger, Every):
            return Decision(Action.SKIP, f"{reason}; it counts again from the return")
        return Decision(Action.HOLD, reason, now + reminder.grace)
    if not respects_dnd(reminder, settings):
        return Decision(Action.DELIVER, f"{observation.why_busy()} (not respected by this reminder)")
    return Decision(Action.DEFER, observation.why_busy(), now + reminder.hold_limit)


@dataclass(frozen=True)
class Held:
    """A composed reminder waiting for the person to be back or for do-not-disturb to end."""

    name: str
    kind: Kind
    message: Message
    channels: tuple[Channel, ...]
    since: datetime
    until: datetime


class Waiting:
    """The held reminders, at most one per name (the newest): waiting never builds a pile."""

    def __init__(self) -> None:
        self._held: dict[str, Held] = {}

    def __len__(self) -> int:
        return len(self._held)

    def names(self) -> list[str]:
        return list(self._held)

    def first_limit(self) -> datetime | None:
        """Return the earliest instant until which a held reminder may wait (None: none waits)."""
        return min((h.until for h in self._held.values()), default=None)

    def add(self, held: Held) -> None:
        self._held.pop(held.name, None)
        self._held[held.name] = held

    def drop(self, names: Iterable[str]) -> list[Held]:
        return [held for name in list(names) if (held := self._held.pop(name, None)) is not None]

    def release(self, state: State, now: datetime) -> tuple[list[Held], list[Held]]:
        """Given the state and now, return (ready, expired): ready only when the person is HERE.

        Expired ones waited past their limit and are dropped whatever the state.
        """
        expired = [h for h in self._held.values() if h.until < now]
        for held in expired:
            del self._held[held.name]
        if state is not State.HERE:
            return [], expired
        ready = list(self._held.values())
        self._held.clear()
        return ready, expired


def combine(held: Sequence[Held]) -> tuple[Message, tuple[Channel, ...]]:
    """Given the held reminders (at least one), return one message and the channels to use.

    One comes as it was; several come as one notification listing each, on every channel any of
    them asked for.
    """
    if not held:
        raise ValueError("nothing to combine")
    channels = tuple(dict.fromkeys(c for h in held for c in h.channels))
    if len(held) == 1:
        return held[0].message, channels
    title = f"{len(held)} reminders while you were busy"
    body = "\n".join(f"{h.message.title}: {h.message.body}" for h in held)
    speech = " ".join(h.message.speech for h in held)
    return Message(title, body, speech), channels


@dataclass(frozen=True)
class Return:
    """An absence that ended: from when the person left to when they were back."""

    away_since: datetime
    back_at: datetime
    reason: State

    @property
    def absence(self) -> timedelta:
        return self.back_at - self.away_since


class Tracker:
    """Follows observations in order and notices returns; holds the latest state (not thread-safe)."""

    def __init__(self, idle_after: timedelta) -> None:
        self.idle_after = idle_after
        self.latest: Observation | None = None
        self.state = State.HERE
        self.away_since: datetime | None = None
        self.away_reason: State | None = None
        self.last_return: Return | None = None

    def observe(self, observation: Observation) -> Return | None:
        """Given the next observation, return the absence it ended, if it ended one."""
        self.latest = observation
        self.state = observation.state(self.idle_after)
        if self.state.absent:
            if self.away_since is None:
                self.away_since, self.away_reason = _left_at(observation, self.state), self.state
            return None
        if self.away_since is None:
            return None
        # The person came back at their first input, `idle` before this observation.
        back_at = observation.at - (observation.idle or timedelta(0))
        ended = Return(self.away_since, max(back_at, self.away_since), self.away_reason or State.AWAY)
        self.away_since, self.away_reason, self.last_return = None, None, ended
        return ended


def _left_at(observation: Observation, state: State) -> datetime:
    """Given the first observation of an absence, return when the person most likely left."""
    if state is State.AWAY and observation.idle:
        return observation.at - observation.idle  # their last input
    if state is State.ASLEEP and observation.asleep_since is not None:
        return min(observation.asleep_since, observation.at)
    return observation.at


def restart_times(
    schedule: Schedule, back: Return, next_firing: NextFiring
) -> dict[str, tuple[datetime, datetime | None]]:
    """Given a schedule, a return and the planner's `next_firing`, return the restarted timers.

    For each `every` reminder: (the anchor, its next firing counted from the return). `at` and
    `cron` reminders keep their times of day.
    """
    restarted: dict[str, tuple[datetime, datetime | None]] = {}
    for reminder in schedule.reminders:
        if isinstance(reminder.trigger, Every):
            anchor = back.back_at
            restarted[reminder.name] = (
                anchor,
                next_firing(reminder, schedule.settings, anchor, anchor=anchor),
            )
    return restarted


def counts_as_break(reminder: Reminder, back: Return, break_length: timedelta) -> bool:
    """Given a reminder, an absence and how long a stretch break takes, return whether it was one."""
    return reminder.kind is Kind.STRETCH and back.absence >= break_length
