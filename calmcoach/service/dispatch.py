"""What happens when a reminder fires: decide, word, deliver, remember, and log one line.

`Dispatcher.fire` runs on an APScheduler worker thread. It reads the current schedule and state
from the `Core` (under its lock), asks `reminders.compose` what to say, records the firing in the
state file *before* delivering (so a crash mid-delivery never leads to a second delivery after a
restart: at most once), delivers on the reminder's channels, and records the delivery in history.
Breathing and stretch reminders then run their session by voice, after the announced lead time.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from calmcoach.clock import Clock
from calmcoach.content.tips import Rotation, Tip
from calmcoach.outputs import Message
from calmcoach.presence.policy import Action, Decision, Held
from calmcoach.reminders import Composed, ReminderContext, Skip, compose
from calmcoach.schedule.model import Channel, Kind, Reminder, Schedule, Settings
from calmcoach.service.state import ServiceState, StateStore

if TYPE_CHECKING:
    from calmcoach.presence.gate import Gate

log = logging.getLogger("calmcoach.service")

RECENT_DELIVERIES = 20
SESSION_KINDS = frozenset({Kind.BREATHING, Kind.STRETCH})


class Outputs(Protocol):
    """What the service delivers through (the delivery module's Deliverer, adapted)."""

    def deliver(self, message: Message, channels: Sequence[Channel]) -> list[str]:
        """Deliver on the first channels that work; return the channels actually used."""
        ...

    def probe(self) -> None:
        """Check every output now, so that a broken one is reported at start, once."""
        ...

    def health(self) -> dict[str, dict[str, Any]]:
        """Return, per channel: "ok" (True, False, or None when not tried yet) and "reason"."""
        ...

    def reconfigure(self, settings: Settings) -> None:
        """Given the settings of a reloaded schedule, apply them (the voice) from the next delivery."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class WarmsUp(Protocol):
    """Outputs that can be loaded ahead of the first reminder that needs them (ServiceOutputs)."""

    def warm_ups(self) -> dict[Channel, Callable[[], None]]:
        """Return, per output, what loads it (run once, on that output's executor)."""
        ...


@dataclass(frozen=True)
class SessionOutcome:
    planned: int
    done: int
    completed: bool
    name: str


class Sessions(Protocol):
    """Runs breathing and stretch sessions by voice, without a terminal."""

    def length(self, reminder: Reminder, schedule: Schedule) -> timedelta | None: ...

    def run(self, reminder: Reminder, schedule: Schedule, stop: threading.Event) -> SessionOutcome | None: ...


class Figures(Protocol):
    """What the history store knows that changes the wording (None fields when it knows nothing)."""

    def context_for(self, reminder: Reminder, schedule: Schedule, now: datetime) -> dict[str, Any]: ...

    def record_delivery(self, reminder: Reminder, at: datetime, channel: str) -> None: ...

    def record_session(self, reminder: Reminder, started: datetime, outcome: SessionOutcome) -> None: ...


@dataclass(frozen=True)
class DeliveryRecord:
    name: str
    kind: str
    at: datetime
    channels: tuple[str, ...]
    title: str
    manual: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "at": self.at.isoformat(),
            "channels": list(self.channels),
            "channel": self.channels[0] if self.channels else None,
            "title": self.title,
            "manual": self.manual,
        }


@dataclass
class Core:
    """The service's shared, changing data; every access holds `lock`."""

    schedule: Schedule
    state: ServiceState
    store: StateStore
    lock: threading.RLock = field(default_factory=threading.RLock)
    recent: deque[DeliveryRecord] = field(default_factory=lambda: deque(maxlen=RECENT_DELIVERIES))
    rotation: Rotation = field(default_factory=Rotation)

    def update(self, change: Callable[[ServiceState], ServiceState]) -> ServiceState:
        """Given a change to the state, apply it and save the result atomically; return it."""
        with self.lock:
            self.state = change(self.state)
            self.store.save(self.state)
            return self.state


class InFlight:
    """Counts firings in progress, so that shutdown can wait for the one being delivered."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = threading.Condition()

    def __enter__(self) -> None:
        with self._idle:
            self._count += 1

    def __exit__(self, *exc: object) -> None:
        with self._idle:
            self._count -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout_s: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._count == 0, timeout=timeout_s)


class Dispatcher:
    def __init__(
        self,
        core: Core,
        outputs: Outputs,
        clock: Clock,
        tips: Sequence[Tip],
        *,
        figures: Figures | None = None,
        sessions: Sessions | None = None,
        session_lead: timedelta = timedelta(seconds=30),
        save_rotation: Callable[[Rotation], None] | None = None,
        load_rotation: Callable[[], Rotation] | None = None,
        rng: random.Random | None = None,
        presence: Gate | None = None,
    ) -> None:
        self.core = core
        self.outputs = outputs
        self.clock = clock
        self.tips = tips
        self.figures = figures
        self.sessions = sessions
        self.session_lead = session_lead
        self.save_rotation = save_rotation
        self.load_rotation = load_rotation
        self.rng = rng or random.Random()
        self.presence = presence  # asked before each delivery: away, locked, do-not-disturb
        self.stop = threading.Event()  # set on shutdown: no new deliveries, sessions end
        self.in_flight = InFlight()
        self._rng_lock = threading.Lock()

    def fire(self, name: str, manual: bool = False) -> None:
        """Given a reminder's name, handle one firing of it (the APScheduler job function)."""
        # Counted in flight before looking at `stop`: shutdown sets `stop` and then waits for what
        # is in flight, so a firing either sees the stop or is waited for, never neither.
        with self.in_flight:
            if self.stop.is_set():
                return
            with self.core.lock:
                schedule = self.core.schedule
                reminder = schedule.reminder(name)
                state = self.core.state
            if reminder is None:
                log.info("skipped %s: no longer in the schedule", name)
                return
            now = self.clock.now(schedule.settings.timezone)
            if not manual and state.paused(now):
                self.core.update(lambda s: s.fired(name, now))
                log.info(
                    "skipped %s (%s): paused%s",
                    name,
                    reminder.kind,
                    _until(state.pause.until if state.pause else None),
                )
                return
            decision = None
            if self.presence is not None:
                decision = self.presence.decide(reminder, schedule.settings, now, manual=manual)
                if decision.action is Action.SKIP:
                    self.core.update(lambda s: s.fired(name, now))
                    log.info("skipped %s (%s): %s", name, reminder.kind, decision.reason)
                    return
            self._deliver(reminder, schedule, now, state, manual, decision=decision)

    def missed(self, name: str, scheduled: datetime) -> None:
        """Given a firing APScheduler skipped as too late, remember it and say so in the log."""
        with self.core.lock:
            reminder = self.core.schedule.reminder(name)
        if reminder is None:
            return
        now = self.clock.now(scheduled.tzinfo)
        self.core.update(lambda s: s.fired(name, scheduled))
        log.warning(
            "skipped %s (%s) due at %s: %s late, beyond its grace time of %s",
            name,
            reminder.kind,
            scheduled.astimezone(self.core.schedule.settings.timezone).strftime("%Y-%m-%d %H:%M:%S"),
            _words(now - scheduled),
            _words(reminder.grace),
        )

    def _deliver(
        self,
        reminder: Reminder,
        schedule: Schedule,
        now: datetime,
        state: ServiceState,
        manual: bool,
        *,
        decision: Decision | None = None,
    ) -> None:
        session_length = None
        if reminder.kind in SESSION_KINDS and self.sessions is not None:
            session_length = self.sessions.length(reminder, schedule)
        extra = self.figures.context_for(reminder, schedule, now) if self.figures is not None else {}
        context = ReminderContext(
            now=now,
            previous=state.last_wording.get(reminder.name),
            rotation=self._rotation(),
            session_length=session_length,
            session_lead=self.session_lead if session_length is not None else None,
            **extra,
        )
        with self._rng_lock:
            result = compose(reminder, schedule.settings, context, self.tips, self.rng)
        if isinstance(result, Skip):
            self.core.update(lambda s: s.fired(reminder.name, now))
            log.info("skipped %s (%s): %s", reminder.name, reminder.kind, result.reason)
            return
        self._remember(reminder, now, result)
        if decision is not None and decision.action in (Action.HOLD, Action.DEFER):
            self._hold(reminder, now, result.message, decision)
            return
        channels = self.outputs.deliver(result.message, reminder.say)
        record = DeliveryRecord(
            reminder.name, str(reminder.kind), now, tuple(channels), result.message.title, manual
        )
        with self.core.lock:
            self.core.recent.append(record)
        if channels:
            log.info(
                "delivered %s (%s%s) via %s: %s",
                reminder.name,
                reminder.kind,
                ", triggered" if manual else "",
                "+".join(channels),
                result.message.title,
            )
        else:
            log.error(
                "could not deliver %s (%s) on any channel: %s",
                reminder.name,
                reminder.kind,
                result.message.title,
            )
        if self.figures is not None:
            for channel in channels:
                self.figures.record_delivery(reminder, now, channel)
        if session_length is not None:
            self._run_session(reminder, schedule)

    def _hold(self, reminder: Reminder, now: datetime, message: Message, decision: Decision) -> None:
        """Keep a composed reminder until the person is back or do-not-disturb ends (presence)."""
        assert self.presence is not None and decision.until is not None
        self.presence.hold(Held(reminder.name, reminder.kind, message, reminder.say, now, decision.until))
        log.info(
            "holding %s (%s): %s; it may wait until %s",
            reminder.name,
            reminder.kind,
            decision.reason,
            f"{decision.until:%H:%M:%S}",
        )

    def deliver_held(self, held: Sequence[Held]) -> None:
        """Given the reminders that waited, deliver them as one (a job, so the voice stays on its thread)."""
        from calmcoach.presence.policy import combine

        if not held:
            return
        with self.in_flight:  # before looking at `stop`, as in fire()
            if self.stop.is_set():
                return
            message, wanted = combine(held)
            with self.core.lock:
                schedule = self.core.schedule
            now = self.clock.now(schedule.settings.timezone)
            channels = self.outputs.deliver(message, wanted)
            names = ", ".join(h.name for h in held)
            kinds = "+".join(dict.fromkeys(str(h.kind) for h in held))
            record = DeliveryRecord(names, kinds, now, tuple(channels), message.title, False)
            with self.core.lock:
                self.core.recent.append(record)
            log.info(
                "delivered %s (%s, held) via %s: %s",
                names,
                kinds,
                "+".join(channels) or "no channel",
                message.title,
            )
            if self.figures is not None:
                for item in held:
                    reminder = schedule.reminder(item.name)
                    if reminder is None:
                        continue
                    for channel in channels:
                        self.figures.record_delivery(reminder, now, channel)

    def _rotation(self) -> Rotation:
        """Return the tip rotation, read afresh: `calmcoach tip` shares it and may have moved it on."""
        if self.load_rotation is not None:
            try:
                fresh = self.load_rotation()
            except OSError as error:
                log.debug("could not read the tip rotation: %s", error)
            else:
                with self.core.lock:
                    self.core.rotation = fresh
        with self.core.lock:
            return self.core.rotation

    def _remember(self, reminder: Reminder, now: datetime, result: Composed) -> None:
        with self.core.lock:
            self.core.rotation = result.rotation
        self.core.update(lambda s: s.fired(reminder.name, now, result.wording))
        if self.save_rotation is not None:
            try:
                self.save_rotation(result.rotation)
            except OSError as error:
                log.warning("could not save the tip rotation: %s", error)

    def _run_session(self, reminder: Reminder, schedule: Schedule) -> None:
        assert self.sessions is not None
        if self.stop.wait(self.session_lead.total_seconds()):
            return
        started = self.clock.now(schedule.settings.timezone)
        log.info("session for %s (%s) starting", reminder.name, reminder.kind)
        outcome = self.sessions.run(reminder, schedule, self.stop)
        if outcome is None:
            return
        log.info(
            "session for %s (%s) %s: %d of %d done",
            reminder.name,
            reminder.kind,
            "completed" if outcome.completed else "stopped",
            outcome.done,
            outcome.planned,
        )
        if self.figures is not None:
            self.figures.record_session(reminder, started, outcome)


def recent_json(records: Sequence[DeliveryRecord]) -> list[dict[str, Any]]:
    return [record.to_json() for record in records]


def _until(moment: datetime | None) -> str:
    return f" until {moment:%H:%M}" if moment is not None else " until resumed"


def _words(delta: timedelta) -> str:
    """Given a duration, return it as "1h05m" or "40s" for a log line."""
    seconds = max(0, round(delta.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"
