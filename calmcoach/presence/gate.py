"""The service's presence gate: asked before each delivery, and watching for returns and the end of DND.

The backends are chosen in a background thread, so a slow desktop service never delays the
start. Until then, and where none works, the gate lets everything through (said once in the log).
A watch thread observes: on a return it calls `on_return` (the service restarts its `every`
timers from it); when the person is here and free it hands what waited to `on_release`.

It looks only as often as an answer can change something (`next_look_s`): every `poll_s` while
the person is away from the keyboard (to catch the return soon after it happens) or busy with
something waiting (to catch the end of do-not-disturb); while they are here, not before their
idle time could reach `idle_after` (input only makes it later); while the screen is locked, not
until logind's signal of the unlock or a held reminder's limit (a minute at most); and not at
all where nothing can be observed. logind's signals wake the watch at once,
as do a reminder put on hold and an observation made for a delivery that finds the person's
state changed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from calmcoach.clock import Clock
from calmcoach.presence.policy import (
    Action,
    Decision,
    Held,
    Observation,
    Return,
    State,
    Tracker,
    Waiting,
    decide,
)
from calmcoach.schedule.model import Reminder, Settings

log = logging.getLogger("calmcoach.presence")

POLL_S = 2.0
SIGNALLED_S = 60.0  # locked, with logind watching: look this often all the same
Observe = Callable[[datetime, bool], Observation]  # (now, whether to ask do-not-disturb too)


class Gate:
    def __init__(
        self,
        clock: Clock,
        idle_after: timedelta,
        *,
        choose: Callable[[], Any] | None = None,
        poll_s: float = POLL_S,
    ) -> None:
        self.clock = clock
        self.poll_s = poll_s
        self.tracker = Tracker(idle_after)
        self.waiting = Waiting()
        self.anchors: dict[str, datetime] = {}  # `every` reminders restarted from a return
        self.on_return: Callable[[Return], None] = lambda _: None
        self.on_release: Callable[[list[Held]], None] = lambda _: None
        self._choose = choose
        self._observe: Observe | None = None
        self._lock_signals = False  # logind tells us of unlock and resume: no need to poll for them
        self._backends: Any = None
        self._chosen = threading.Event()
        self._lock = threading.RLock()
        # Its own lock: the scheduler asks `next_firing` while holding its job store's lock, and
        # a return changes jobs, so nothing else may be held around the anchors.
        self._anchor_lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()  # look again now, and work out the next wait afresh
        self._thread: threading.Thread | None = None

    # -- wiring --------------------------------------------------------------------------------

    def start(self) -> None:
        """Choose the backends and watch, in a daemon thread."""
        self._thread = threading.Thread(target=self._run, name="presence", daemon=True)
        self._thread.start()

    def use(self, observe: Observe | None, backends: Any = None, *, lock_signals: bool = False) -> None:
        """Given an observe function (None: no backend works), start using it.

        `lock_signals`: a source that signals unlock and resume wakes the watch (`wake`).
        """
        with self._lock:
            self._observe, self._backends = observe, backends
            self._lock_signals = lock_signals
        self._chosen.set()

    def wait_chosen(self, timeout_s: float) -> bool:
        return self._chosen.wait(timeout_s)

    def configure(self, settings: Settings) -> None:
        with self._lock:
            self.tracker.idle_after = settings.idle_after
        self.wake()

    def wake(self) -> None:
        """Look now (from any thread): something may have changed what there is to watch for."""
        self._wake.set()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(0.5)  # a daemon thread: never hold up the service's stop
        if self._backends is not None:
            self._backends.close()

    # -- asked by the scheduler and the dispatcher ---------------------------------------------

    def next_firing(self, reminder: Reminder, settings: Settings, after: datetime) -> datetime | None:
        """The planner's next firing, counted from the person's return where there was one."""
        from calmcoach.planner import next_firing

        with self._anchor_lock:
            anchor = self.anchors.get(reminder.name)
        return next_firing(reminder, settings, after, anchor=anchor)

    def decide(self, reminder: Reminder, settings: Settings, now: datetime, *, manual: bool) -> Decision:
        """Given a due reminder, return what to do with it, from a fresh observation."""
        if manual:
            return Decision(Action.DELIVER, "triggered")
        try:
            observation, back = self._look(now)
        except Exception:  # presence must never cost a reminder: deliver, and say why once per firing
            log.exception("presence: could not observe; delivering %s regardless", reminder.name)
            return Decision(Action.DELIVER, "presence unknown")
        if observation is None:
            return Decision(Action.DELIVER, "presence unknown")
        decision = decide(reminder, settings, observation, now)
        with self._anchor_lock:
            restarted = reminder.name in self.anchors
        if back is not None and decision.action is Action.DELIVER and restarted:
            # Seen back at this very firing: its timer has just restarted from the return.
            return Decision(Action.SKIP, "back just now; it counts again from the return")
        return decision

    def set_anchors(self, anchors: dict[str, datetime]) -> None:
        """Given the `every` reminders restarted from a return, count them from there from now on."""
        with self._anchor_lock:
            self.anchors.update(anchors)

    def hold(self, held: Held) -> None:
        with self._lock:
            self.waiting.add(held)
        self.wake()  # watch for the return or the end of do-not-disturb from now on

    def drop(self, names: list[str]) -> list[Held]:
        with self._lock:
            return self.waiting.drop(names)

    def describe(self) -> dict[str, Any]:
        """Return the backends and the current state, for `calmcoach status`."""
        with self._lock:
            chosen = self._chosen.is_set()
            backends = self._backends.names() if self._backends is not None else None
            missing = list(self._backends.missing) if self._backends is not None else []
            latest = self.tracker.latest
            back = self.tracker.last_return
            return {
                "backends": backends if chosen else "choosing",
                "missing": missing,
                "state": str(self.tracker.state) if latest is not None else "unknown",
                "away_since": _iso(self.tracker.away_since),
                "idle_s": latest.idle.total_seconds() if latest and latest.idle is not None else None,
                "last_return": {"away_since": _iso(back.away_since), "back_at": _iso(back.back_at)}
                if back
                else None,
                "waiting": self.waiting.names(),
            }

    # -- watching ------------------------------------------------------------------------------

    def _look(self, now: datetime, *, dnd: bool = True) -> tuple[Observation | None, Return | None]:
        with self._lock:
            if self._observe is None:
                return None, None
            before = self.tracker.state
            observation = self._observe(now, dnd)
            back = self.tracker.observe(observation)
            changed = self.tracker.state is not before
        if changed and threading.current_thread() is not self._thread:
            self.wake()  # seen at a delivery: the watch may need to look more (or less) often
        if back is not None:
            self.on_return(back)  # outside our lock: it changes the scheduler's jobs
        return observation, back

    def tick(self) -> None:
        """Observe once: report a return, drop what waited too long, release what may come now."""
        now = self.clock.now(UTC)
        # Do-not-disturb is asked only when something waits for its end: its sources start
        # programs (gsettings, xprop), which an idle service should not do every few seconds.
        with self._lock:
            waiting = len(self.waiting) > 0
        observation, _ = self._look(now, dnd=waiting)
        if observation is None or not waiting:
            # Without do-not-disturb asked, this look cannot tell whether a reminder put on hold
            # meanwhile (for do-not-disturb) may come: the hold wakes the watch to look again.
            return
        with self._lock:
            ready, expired = self.waiting.release(self.tracker.state, now)
        for held in expired:
            log.info(
                "dropped %s (%s): waited since %s, longer than it may",
                held.name,
                held.kind,
                f"{held.since:%H:%M:%S}",
            )
        if ready:
            self.on_release(ready)

    def next_look_s(self, now: datetime) -> float | None:
        """Given now, just after an observation, return how long the watch may wait (None: until woken)."""
        with self._lock:
            if self._observe is None:
                return None  # nothing to observe: only a stop wakes the watch
            latest, state = self.tracker.latest, self.tracker.state
            limit = self.waiting.first_limit()
            if state is State.LOCKED and self._lock_signals:
                # The unlock comes as a signal; only a held reminder's limit (to drop it on
                # time) or a lock seen through the screensaver alone needs a look. (Not so after
                # a resume: the first look after it still says "asleep", once, so look again.)
                wait = SIGNALLED_S if limit is None else (limit - now).total_seconds()
                return max(self.poll_s, min(wait, SIGNALLED_S))
            if limit is not None or latest is None or state.absent or state is State.BUSY:
                return self.poll_s
            # Here: idle time grows by at most the time that passes, so the person cannot be
            # away before it could reach the threshold. Unknown idle time: look now and then.
            idle = latest.idle if latest.idle is not None else timedelta(0)
            away_at = latest.at + self.tracker.idle_after - idle
        return max(self.poll_s, (away_at - now).total_seconds())

    def _run(self) -> None:
        if self._choose is not None:
            backends = self._choose()
            if backends.any:
                from calmcoach.presence.monitor import Monitor

                log.info("presence: %s", _words(backends.names()))
                if backends.lock is not None:
                    backends.lock.on_change = self.wake  # lock, unlock, sleep: look at once
                self.use(Monitor(backends).observe, backends, lock_signals=backends.lock is not None)
            else:
                log.warning(
                    "presence: cannot tell here whether you are away, locked or busy (%s); "
                    "reminders come regardless",
                    "; ".join(backends.missing),
                )
                self.use(None, backends)
        wait: float | None = self.poll_s
        while True:
            self._wake.wait(wait)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.tick()
            except Exception:  # the watch must go on; the next tick may work
                log.exception("presence: an observation failed")
            wait = self.next_look_s(self.clock.now(UTC))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _words(names: dict[str, Any]) -> str:
    dnd = ", ".join(names.get("dnd") or []) or "none"
    idle, lock = names.get("idle") or "nothing", names.get("lock") or "nothing"
    return f"idle time from {idle}, lock and sleep from {lock}, do-not-disturb from {dnd}"
