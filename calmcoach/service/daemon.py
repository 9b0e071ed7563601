"""The service: start, serve, reload, stop. The main thread owns signals, the watchdog and shutdown.

Threads: APScheduler's scheduler thread decides when; its default pool delivers notifications and
its single-worker "speech" executor everything that speaks; the control thread answers the
socket. The main thread sleeps on a pipe that signals are written to (`signal.set_wakeup_fd`), so
a signal handler never takes a lock: SIGHUP reloads, SIGTERM and SIGINT stop. It also pings the
systemd watchdog while the scheduler thread is alive, and wakes the scheduler every few seconds:
its sleep is measured on the monotonic clock, which stands still during a suspend, and the wake-up
makes it look at the wall clock again soon after a resume.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from pathlib import Path
from typing import Any

from calmcoach import __version__
from calmcoach.clock import Clock
from calmcoach.errors import CalmcoachError, ScheduleError
from calmcoach.paths import Paths
from calmcoach.presence.gate import Gate
from calmcoach.presence.policy import Held, Return
from calmcoach.schedule.model import Reminder, Schedule, Settings
from calmcoach.service.control import CommandError, ControlServer
from calmcoach.service.dispatch import Core, Dispatcher, Outputs, Sessions, recent_json
from calmcoach.service.jobs import MANUAL_PREFIX, JobBook, make_scheduler
from calmcoach.service.lock import InstanceLock
from calmcoach.service.sdnotify import SdNotifier
from calmcoach.service.state import Pause, ServiceState, StateStore

log = logging.getLogger("calmcoach.service")

STATE_FILE = "service.json"
DEFAULT_STRETCH_BREAK = timedelta(minutes=5)  # when the routine's length is not known
LOCK_FILE = "calmcoach.lock"


@dataclass
class ServiceOptions:
    schedule_given: list[Path] = field(default_factory=list)  # --schedule; empty: config, else default
    session_lead: timedelta = timedelta(seconds=30)  # from the announcement to the session's start
    stop_timeout_s: float = 1.5  # how long shutdown waits for the delivery in flight
    tick_s: float = 5.0  # how often the scheduler is woken (suspend detection)
    presence: bool = True  # ask the desktop whether the person is away or busy (calmcoach.presence)
    presence_poll_s: float = 2.0  # how often a return or the end of do-not-disturb is looked for


@dataclass(frozen=True)
class ReloadError:
    at: datetime
    problems: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "errors": list(self.problems)}


OutputsFactory = Callable[[Settings], Outputs]
SessionsFactory = Callable[[Outputs], Sessions | None]
ScheduleLoader = Callable[[list[Path]], Schedule]


def _default_loader(files: list[Path]) -> Schedule:
    from calmcoach.schedule.loader import load_files

    return load_files(files)


class Service:
    def __init__(
        self,
        paths: Paths,
        clock: Clock,
        options: ServiceOptions,
        *,
        outputs_factory: OutputsFactory,
        sessions_factory: SessionsFactory | None = None,
        load: ScheduleLoader = _default_loader,
        notifier: SdNotifier | None = None,
    ) -> None:
        self.paths = paths
        self.clock = clock
        self.options = options
        self.outputs_factory = outputs_factory
        self.sessions_factory = sessions_factory
        self.load = load
        self.sd = notifier or SdNotifier()
        self.lock = InstanceLock(paths.runtime / LOCK_FILE, paths.control_socket)
        self.started_at: datetime | None = None
        self.files: list[Path] = []
        self.reload_error: ReloadError | None = None
        self._reload_lock = threading.Lock()
        self._stopped = False
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self.core: Core | None = None
        self.dispatcher: Dispatcher | None = None
        self.book: JobBook | None = None
        self.control: ControlServer | None = None
        self.outputs: Outputs | None = None
        self.figures: Any = None
        self.scheduler: Any = None
        self.presence: Gate | None = None

    # -- starting ------------------------------------------------------------------------------

    def start(self) -> None:
        """Take the lock, load the schedule and state, start the scheduler and the control socket.

        Raise CalmcoachError (another service runs) or ScheduleError (the files are invalid).
        """
        from calmcoach.commands.common import schedule_files
        from calmcoach.content.tips import load_tips, read_rotation, rotation_path, write_rotation
        from calmcoach.service.figures import HistoryFigures

        self.lock.acquire()
        try:
            self.files = list(schedule_files(self.options.schedule_given, self.paths))
            schedule = self.load(self.files)
            store = StateStore(self.paths.state / STATE_FILE)
            now = self.clock.now(schedule.settings.timezone)
            state = store.load()
            if state.pause is not None and not state.pause.active(now):
                state = replace(state, pause=None)
            state = replace(state, snoozed={k: v for k, v in state.snoozed.items() if v > now})
            rotation, problem = read_rotation(rotation_path(self.paths.state))
            if problem:
                log.warning("%s", problem)
            self.core = Core(schedule=schedule, state=state, store=store, rotation=rotation)
            self.outputs = self.outputs_factory(schedule.settings)
            self.figures = HistoryFigures.open(self.paths.history_db)
            self.presence = self._make_presence(schedule)
            self.dispatcher = Dispatcher(
                self.core,
                self.outputs,
                self.clock,
                load_tips(),
                figures=self.figures,
                sessions=self.sessions_factory(self.outputs) if self.sessions_factory else None,
                session_lead=self.options.session_lead,
                save_rotation=lambda r: write_rotation(rotation_path(self.paths.state), r),
                load_rotation=lambda: read_rotation(rotation_path(self.paths.state))[0],
                presence=self.presence,
            )
            self._start_scheduler(schedule, now)
            self.control = ControlServer(self.paths.control_socket, self.handle)
            self.control.start()
            if self.presence is not None:
                self.presence.start()
        except BaseException:
            self._abandon()
            raise
        self.started_at = now
        log.info(
            "calmcoach %s started (pid %d): %s from %s",
            __version__,
            os.getpid(),
            _count(len(schedule.reminders), "reminder"),
            ", ".join(str(f) for f in self.files),
        )
        self._log_next()
        self.sd.ready(self._status_line())
        # Check the outputs in the background: a notification server that is slow to answer
        # must not delay READY=1; a broken output is reported once, now rather than at the first
        # reminder.
        threading.Thread(target=self.outputs.probe, name="probe-outputs", daemon=True).start()

    def _start_scheduler(self, schedule: Schedule, now: datetime) -> None:
        from apscheduler.events import EVENT_JOB_MISSED

        assert self.core is not None and self.dispatcher is not None
        self.scheduler = make_scheduler()
        self.book = JobBook(
            self.scheduler,
            self.dispatcher.fire,
            next_firing=self.presence.next_firing if self.presence is not None else None,
        )
        dispatcher = self.dispatcher

        def on_missed(event: Any) -> None:
            name = str(event.job_id)
            if name.startswith(MANUAL_PREFIX):
                log.warning("a triggered reminder (%s) could not run in time and was dropped", name)
                return
            dispatcher.missed(name, event.scheduled_run_time)

        self.scheduler.add_listener(on_missed, EVENT_JOB_MISSED)
        self.book.install(schedule, self.core.state.last_fired, self.core.state.snoozed, now)
        self.scheduler.start()

    def _make_presence(self, schedule: Schedule) -> Gate | None:
        if not self.options.presence:
            return None
        from calmcoach.presence.monitor import choose

        gate = Gate(
            self.clock, schedule.settings.idle_after, choose=choose, poll_s=self.options.presence_poll_s
        )
        gate.on_return = self._on_return
        gate.on_release = self._on_release
        return gate

    def _on_return(self, back: Return) -> None:
        """The person is back: restart `every` timers from the return; a long absence was a stretch."""
        from calmcoach.planner import next_firing
        from calmcoach.presence.policy import counts_as_break, restart_times

        assert self.core is not None and self.book is not None and self.presence is not None
        with self.core.lock:
            schedule = self.core.schedule
        restarted = restart_times(schedule, back, next_firing)
        self.presence.set_anchors({name: anchor for name, (anchor, _) in restarted.items()})
        for name, (_, first) in restarted.items():
            if first is not None:
                with contextlib.suppress(LookupError):  # JobLookupError: removed by a reload meanwhile
                    self.book.scheduler.modify_job(name, next_run_time=first)
        breaks = [
            r.name for r in schedule.reminders if counts_as_break(r, back, self._break_length(r, schedule))
        ]
        for name in breaks:
            self.core.update(partial(ServiceState.fired, name=name, at=back.back_at))
        self.presence.drop(breaks)
        log.info(
            "back after %s (%s): timers count again from %s%s",
            _words(back.absence),
            back.reason,
            f"{back.back_at.astimezone(schedule.settings.timezone):%H:%M:%S}",
            f"; the absence counts as the stretch break for {', '.join(breaks)}" if breaks else "",
        )

    def _break_length(self, reminder: Reminder, schedule: Schedule) -> timedelta:
        sessions = self.dispatcher.sessions if self.dispatcher is not None else None
        length = sessions.length(reminder, schedule) if sessions is not None else None
        return length if length is not None else DEFAULT_STRETCH_BREAK

    def _on_release(self, held: list[Held]) -> None:
        """What waited may come now: deliver it as one, as a job on the right executor."""
        from calmcoach.schedule.model import Channel
        from calmcoach.service.jobs import DEFAULT_EXECUTOR, SPEECH_EXECUTOR

        assert self.dispatcher is not None
        speaks = any(Channel.VOICE in h.channels for h in held)
        self.scheduler.add_job(
            self.dispatcher.deliver_held,
            args=[held],
            id=f"{MANUAL_PREFIX}held:{self.clock.monotonic()}",
            name="held reminders",
            executor=SPEECH_EXECUTOR if speaks else DEFAULT_EXECUTOR,
            misfire_grace_time=60,
        )

    def _abandon(self) -> None:
        """Undo a start that failed half way."""
        if self.presence is not None:
            self.presence.close()
        if self.control is not None:
            self.control.close()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self.outputs is not None:
            self.outputs.close()
        if self.figures is not None:
            self.figures.close()
        self.lock.release()

    # -- serving -------------------------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        """Route SIGTERM, SIGINT and SIGHUP to the wake-up pipe (main thread only)."""
        signal.set_wakeup_fd(self._wake_w, warn_on_full_buffer=False)
        for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            # The C-level handler writes the signal number to the pipe; Python's does nothing, so
            # no lock is ever taken inside a signal handler.
            signal.signal(number, _ignore_here)

    def request_stop(self) -> None:
        """Ask the serving loop to stop (from any thread)."""
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_w, bytes([signal.SIGTERM]))

    def serve(self) -> None:
        """Wait for signals until asked to stop; ping the watchdog and wake the scheduler meanwhile."""
        watchdog = self.sd.watchdog.total_seconds() if self.sd.watchdog else None
        monotonic = self.clock.monotonic
        next_ping = monotonic()
        next_tick = monotonic() + self.options.tick_s
        while True:
            now = monotonic()
            if watchdog is not None and now >= next_ping:
                if self._scheduler_alive():
                    self.sd.ping()
                else:
                    log.error("the scheduler has stopped; no more watchdog pings, so systemd restarts us")
                next_ping = now + watchdog
            if now >= next_tick:
                self.scheduler.wakeup()
                next_tick = now + self.options.tick_s
            wait = min(next_tick, next_ping if watchdog is not None else next_tick) - monotonic()
            readable, _, _ = select.select([self._wake_r], [], [], max(0.0, wait))
            if not readable:
                continue
            try:
                received = os.read(self._wake_r, 64)
            except BlockingIOError:
                continue
            if signal.SIGHUP in received:
                with contextlib.suppress(CommandError):  # logged, and kept for `status`
                    self.reload(reason="SIGHUP")
            if signal.SIGTERM in received or signal.SIGINT in received:
                name = "SIGINT" if signal.SIGINT in received else "SIGTERM"
                log.info("received %s: stopping", name)
                return

    def _scheduler_alive(self) -> bool:
        """Return whether the scheduler runs and its thread is alive (worth a watchdog ping)."""
        if self.scheduler is None or not self.scheduler.running:
            return False
        thread = getattr(self.scheduler, "_thread", None)  # BackgroundScheduler's loop thread
        return thread is None or bool(thread.is_alive())

    # -- stopping ------------------------------------------------------------------------------

    def shutdown(self) -> bool:
        """Stop within `stop_timeout_s` (after the delivery in flight); return whether all is idle.

        Order: tell systemd, stop answering, stop new firings, let the one in flight finish (a
        notification is bounded at 2 s by the notifier; a session ends at the stop event), save
        the state one last time and refuse later saves, then close the outputs and the lock.
        """
        if self._stopped:
            return True
        self._stopped = True
        deadline = self.clock.monotonic() + self.options.stop_timeout_s
        self.sd.stopping()
        if self.control is not None:
            self.control.close()
        if self.dispatcher is not None:
            self.dispatcher.stop.set()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        idle = True
        if self.dispatcher is not None:
            idle = self.dispatcher.in_flight.wait_idle(max(0.0, deadline - self.clock.monotonic()))
            if not idle:
                log.warning("stopping with a delivery still in progress")
        if self.core is not None:
            with self.core.lock:
                self.core.store.save(self.core.state)
                self.core.store.close()
        if self.presence is not None:
            self.presence.close()
        if self.outputs is not None:
            self.outputs.close()
        if self.figures is not None and idle:
            self.figures.close()
        self.lock.release()
        with contextlib.suppress(OSError):
            os.close(self._wake_r)
            os.close(self._wake_w)
        log.info("stopped")
        return idle

    # -- reloading -----------------------------------------------------------------------------

    def reload(self, reason: str) -> dict[str, Any]:
        """Read the schedule files again; keep the current schedule if they are invalid.

        Return what was loaded; raise CommandError with every problem when the files are invalid.
        """
        from calmcoach.commands.common import schedule_files

        assert self.core is not None and self.book is not None
        with self._reload_lock:
            self.sd.reloading()
            files = list(schedule_files(self.options.schedule_given, self.paths))
            try:
                schedule = self.load(files)
            except CalmcoachError as error:
                problems = (
                    tuple(str(p) for p in error.problems)
                    if isinstance(error, ScheduleError)
                    else (error.message,)
                )
                self.reload_error = ReloadError(self.clock.now(UTC), problems)
                log.error(
                    "reload (%s) failed; keeping the current schedule. %s",
                    reason,
                    _count(len(problems), "problem"),
                )
                for problem in problems:
                    log.error("  %s", problem)
                self.sd.ready(self._status_line())
                raise CommandError(
                    "the schedule files are invalid; kept the current schedule", list(problems)
                ) from None
            assert self.outputs is not None
            self.outputs.reconfigure(schedule.settings)
            if self.presence is not None:
                self.presence.configure(schedule.settings)
            with self.core.lock:
                self.core.schedule = schedule
                now = self.clock.now(schedule.settings.timezone)
                self.book.install(schedule, self.core.state.last_fired, self.core.state.snoozed, now)
            self.files = files
            self.reload_error = None
            log.info(
                "reloaded (%s): %s from %s",
                reason,
                _count(len(schedule.reminders), "reminder"),
                ", ".join(map(str, files)),
            )
            self._log_next()
            self.sd.ready(self._status_line())
            return {"reminders": len(schedule.reminders), "files": [str(f) for f in files]}

    # -- the control commands ------------------------------------------------------------------

    def handle(self, command: str, args: Mapping[str, Any]) -> dict[str, Any]:
        """Given a control command and its arguments, act and return the result (the socket's handler)."""
        handlers: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
            "status": lambda _: self.status(),
            "pause": self._pause,
            "resume": lambda _: self._resume(),
            "snooze": self._snooze,
            "trigger": self._trigger,
            "reload": lambda _: self.reload(reason="calmcoach reload"),
        }
        handler = handlers.get(command)
        if handler is None:
            raise CommandError(f"unknown command {command!r}; expected one of {', '.join(handlers)}")
        return handler(args)

    def status(self) -> dict[str, Any]:
        assert self.core is not None and self.book is not None and self.outputs is not None
        with self.core.lock:
            schedule, state, recent = self.core.schedule, self.core.state, list(self.core.recent)
        zone = schedule.settings.timezone
        now = self.clock.now(zone)
        runs = self.book.next_runs()
        upcoming = sorted(
            (self._reminder_json(r, runs.get(r.name), state, zone) for r in schedule.reminders),
            key=lambda item: (item["next"] is None, _instant(item["next"]), item["name"]),
        )
        paused = state.paused(now)
        return {
            "pid": os.getpid(),
            "version": __version__,
            "now": now.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "timezone": str(zone),
            "files": [str(f) for f in self.files],
            "paused": paused,
            "paused_until": state.pause.until.astimezone(zone).isoformat()
            if paused and state.pause and state.pause.until
            else None,
            "reminders": upcoming,
            "last_deliveries": recent_json(list(reversed(recent))),
            "channels": self.outputs.health(),
            "reload_error": self.reload_error.to_json() if self.reload_error else None,
            "presence": self.presence.describe() if self.presence is not None else None,
        }

    @staticmethod
    def _reminder_json(
        reminder: Reminder, next_run: datetime | None, state: ServiceState, zone: tzinfo
    ) -> dict[str, Any]:
        def iso(moment: datetime | None) -> str | None:
            return moment.astimezone(zone).isoformat() if moment is not None else None

        return {
            "name": reminder.name,
            "kind": str(reminder.kind),
            "next": iso(next_run),
            "channels": [str(c) for c in reminder.say],
            "snoozed_until": iso(state.snoozed.get(reminder.name)),
            "last_fired": iso(state.last_fired.get(reminder.name)),
        }

    def _pause(self, args: Mapping[str, Any]) -> dict[str, Any]:
        from calmcoach.service.holds import parse_hold
        from calmcoach.units import parse_clock

        assert self.core is not None
        zone = self.core.schedule.settings.timezone
        now = self.clock.now(zone)
        until: datetime | None = None
        try:
            if args.get("duration"):
                until = now + parse_hold(str(args["duration"]))
            elif args.get("until"):
                wall = parse_clock(str(args["until"]))
                until = datetime.combine(now.date(), wall, tzinfo=zone)
                if until <= now:
                    until = datetime.combine(now.date() + timedelta(days=1), wall, tzinfo=zone)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.core.update(lambda s: replace(s, pause=Pause(until)))
        log.info("paused %s", f"until {until:%Y-%m-%d %H:%M}" if until else "until resumed")
        self.sd.status(self._status_line())
        return {"paused_until": until.isoformat() if until else None, "now": now.isoformat()}

    def _resume(self) -> dict[str, Any]:
        assert self.core is not None
        was = self.core.state.pause
        self.core.update(lambda s: replace(s, pause=None))
        log.info("resumed" if was else "resume: was not paused")
        self.sd.status(self._status_line())
        now = self.clock.now(self.core.schedule.settings.timezone)
        return {"was_paused": was is not None, "next": self._next_json(), "now": now.isoformat()}

    def _snooze(self, args: Mapping[str, Any]) -> dict[str, Any]:
        from calmcoach.service.holds import parse_hold

        assert self.core is not None and self.book is not None
        name = str(args.get("name", ""))
        reminder = self._reminder(name)
        try:
            delay = parse_hold(str(args.get("duration", "")))
        except ValueError as error:
            raise CommandError(str(error)) from None
        now = self.clock.now(self.core.schedule.settings.timezone)
        until = now + delay
        with self.core.lock:
            self.core.update(lambda s: replace(s, snoozed={**s.snoozed, reminder.name: until}))
            self.book.snooze(reminder.name, until)
        log.info("snoozed %s until %s", reminder.name, f"{until:%H:%M:%S}")
        return {"name": reminder.name, "until": until.isoformat(), "now": now.isoformat()}

    def _trigger(self, args: Mapping[str, Any]) -> dict[str, Any]:
        assert self.book is not None
        reminder = self._reminder(str(args.get("name", "")))
        self.book.fire_now(reminder)
        log.info("triggered %s", reminder.name)
        return {"name": reminder.name, "kind": str(reminder.kind), "channels": [str(c) for c in reminder.say]}

    def _reminder(self, name: str) -> Reminder:
        assert self.core is not None
        with self.core.lock:
            schedule = self.core.schedule
        reminder = schedule.reminder(name)
        if reminder is None:
            names = ", ".join(r.name for r in schedule.reminders)
            raise CommandError(f"no reminder named {name!r}; the reminders are: {names}")
        return reminder

    # -- words ---------------------------------------------------------------------------------

    def _next_json(self) -> list[dict[str, Any]]:
        assert self.book is not None and self.core is not None
        zone = self.core.schedule.settings.timezone
        runs = sorted(((t, n) for n, t in self.book.next_runs().items() if t is not None))
        return [{"name": n, "at": t.astimezone(zone).isoformat()} for t, n in runs[:3]]

    def _log_next(self) -> None:
        upcoming = self._next_json()
        if upcoming:
            words = (f"{u['name']} at {datetime.fromisoformat(u['at']):%a %H:%M:%S}" for u in upcoming)
            log.info("next: %s", "; ".join(words))
        else:
            log.warning("no reminder will ever fire with this schedule")

    def _status_line(self) -> str:
        """Return the one line systemd shows (STATUS=): how many reminders, paused, what is next."""
        assert self.core is not None
        now = self.clock.now(self.core.schedule.settings.timezone)
        parts = [_count(len(self.core.schedule.reminders), "reminder")]
        if self.core.state.paused(now):
            parts.append("paused")
        upcoming = self._next_json()
        if upcoming:
            first = upcoming[0]
            parts.append(f"next {first['name']} at {datetime.fromisoformat(first['at']):%H:%M}")
        if self.reload_error:
            parts.append("last reload failed")
        return "; ".join(parts)


def _ignore_here(signum: int, frame: object) -> None:
    """A Python-level signal handler that does nothing: the wake-up pipe carries the signal."""


def _instant(text: Any) -> float:
    return datetime.fromisoformat(text).timestamp() if text else 0.0


def _words(delta: timedelta) -> str:
    minutes = round(delta.total_seconds() / 60)
    return f"{minutes} min away" if minutes else f"{round(delta.total_seconds())} s away"


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"
