"""The service: start, serve, reload, stop. The main thread owns signals, the watchdog and shutdown.

Threads: APScheduler's scheduler thread decides when; its default pool delivers notifications and
its single-worker "speech" executor everything that speaks; the control thread answers the
socket. The main thread sleeps on a pipe that signals are written to (`signal.set_wakeup_fd`), so
a signal handler never takes a lock: SIGHUP reloads, SIGTERM and SIGINT stop. It also pings the
systemd watchdog while the scheduler thread is alive, and watches the wall clock for the
scheduler, whose sleep is measured on the monotonic clock: that clock stands still during a
suspend and never sees the wall clock set. Where Linux offers it, a wall-clock timer armed at the
scheduler's next wake-up and inotify on /etc tell the main thread about a resume, a clock set
back or forward, and a new system time zone, so an idle service does not wake at all
(`calmcoach.service.clockwatch`); elsewhere it looks every `tick_s`. A clock set back and a new
zone are planned for again (`calmcoach.service.replan`).
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
from zoneinfo import ZoneInfo

from calmcoach import __version__
from calmcoach.clock import Clock
from calmcoach.errors import CalmcoachError, ScheduleError
from calmcoach.paths import Paths
from calmcoach.presence.gate import Gate
from calmcoach.presence.policy import Held, Return
from calmcoach.schedule.model import Reminder, Schedule, Settings
from calmcoach.service.clockwatch import FolderWatch, Offset, WallTimer, ZoneSource
from calmcoach.service.control import CommandError, ControlServer
from calmcoach.service.dispatch import Core, Dispatcher, Outputs, Sessions, WarmsUp, recent_json
from calmcoach.service.jobs import MANUAL_PREFIX, JobBook, make_scheduler
from calmcoach.service.lock import InstanceLock
from calmcoach.service.replan import Anchors, replan
from calmcoach.service.sdnotify import SdNotifier
from calmcoach.service.state import Pause, ServiceState, StateStore

log = logging.getLogger("calmcoach.service")

STATE_FILE = "service.json"
# After a change to the zone files, wait until they have been quiet this long before reading the
# zone: `ln -sf` removes /etc/localtime before it makes the new link, and reading in between
# would plan in UTC for a moment (and say so).
ZONE_SETTLE_S = 0.2
DEFAULT_STRETCH_BREAK = timedelta(minutes=5)  # when the routine's length is not known
LOCK_FILE = "calmcoach.lock"
JUMP_S = 1.0  # a wall-clock jump smaller than this (an NTP step) only wakes the scheduler
WALL_SLACK_S = 0.5  # the wall timer fires this long after the scheduler's own wake-up, never before
ZONE_CHECK_S = 300.0  # how often the system zone is looked at where inotify cannot watch it
CLOCK_CHECK_ENV = "CALMCOACH_CLOCK_CHECK_S"


def _clock_check_from_env() -> float | None:
    """Return $CALMCOACH_CLOCK_CHECK_S as seconds, or None when it is unset or not a positive number.

    For a wall clock the kernel cannot see (libfaketime's, which the tests use): look this often.
    """
    text = os.environ.get(CLOCK_CHECK_ENV, "")
    try:
        seconds = float(text)
    except ValueError:
        return None
    return seconds if seconds > 0 else None


@dataclass
class ServiceOptions:
    schedule_given: list[Path] = field(default_factory=list)  # --schedule; empty: config, else default
    session_lead: timedelta = timedelta(seconds=30)  # from the announcement to the session's start
    stop_timeout_s: float = 1.5  # how long shutdown waits for the delivery in flight
    tick_s: float = 5.0  # how often the wall clock is looked at where the kernel cannot tell us
    presence: bool = True  # ask the desktop whether the person is away or busy (calmcoach.presence)
    presence_poll_s: float = 2.0  # how often a return or the end of do-not-disturb is looked for
    watch_clock: bool = True  # let Linux tell us of clock and zone changes (False: look every tick_s)
    clock_check_s: float | None = field(default_factory=_clock_check_from_env)  # also look this often
    zone_root: Path = Path("/")  # where etc/localtime and etc/timezone are (tests give their own)


@dataclass(frozen=True)
class ReloadError:
    at: datetime
    problems: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "errors": list(self.problems)}


OutputsFactory = Callable[[Settings], Outputs]
SessionsFactory = Callable[[Outputs], Sessions | None]
ScheduleLoader = Callable[[list[Path], ZoneInfo], Schedule]  # (files, the zone when none is named)


def _default_loader(files: list[Path], default_zone: ZoneInfo) -> Schedule:
    from calmcoach.schedule.loader import load_files

    return load_files(files, default_zone=default_zone)


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
        self.anchors = Anchors()  # `every` reminders restarted by a return or a re-plan
        self.zones = ZoneSource(options.zone_root)
        self.follows_system_zone = False  # no file names a zone: the system's is followed
        self._zone_identity: str | None = None
        self._wall_timer: WallTimer | None = None
        self._zone_watch: FolderWatch | None = None
        self._offset: Offset | None = None

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
            schedule, zone_identity = self._load_schedule(self.files)
            self._follow_zone(zone_identity)
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
            self._watch_clock()
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

    def _load_schedule(self, files: list[Path]) -> tuple[Schedule, str | None]:
        """Given the files, return the schedule and, when it follows the system zone, that zone's identity."""
        zone = self.zones.zone()
        schedule = self.load(files, zone)
        # The system zone is a ZoneInfo of its own; a zone a file names never is (see ZoneSource).
        follows = schedule.settings.timezone is zone
        return schedule, self.zones.identity(zone) if follows else None

    def _follow_zone(self, identity: str | None) -> None:
        """Given the identity of the system zone the schedule follows (None: it names its own), keep it."""
        self.follows_system_zone = identity is not None
        self._zone_identity = identity

    def _watch_clock(self) -> None:
        """Open the kernel's clock and zone notices where they can be had; remember the clock's offset."""
        self._offset = Offset.read(self.clock)
        if not self.options.watch_clock:
            return
        self._wall_timer = WallTimer.open()
        self._zone_watch = FolderWatch.open(self.zones.folder)
        if self._wall_timer is None:
            log.info("cannot ask Linux about clock changes here; looking every %g s", self.options.tick_s)

    def _follow_wait(self, wait: float | None) -> None:
        """The scheduler sleeps `wait` s on the monotonic clock: arm the wall timer at that instant too."""
        timer = self._wall_timer
        if timer is None:
            return
        timer.arm(None if wait is None else self.clock.now(UTC).timestamp() + wait + WALL_SLACK_S)

    def _start_scheduler(self, schedule: Schedule, now: datetime) -> None:
        from apscheduler.events import EVENT_JOB_MISSED

        assert self.core is not None and self.dispatcher is not None
        self.scheduler = make_scheduler(on_wait=self._follow_wait, look_ahead=self._look_ahead)
        # Each output is loaded a few seconds before the first reminder that needs it (jobs.WarmUp).
        warm = self.outputs.warm_ups() if isinstance(self.outputs, WarmsUp) else None
        self.book = JobBook(
            self.scheduler, self.dispatcher.fire, next_firing=self.anchors.next_firing, warm=warm
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

    def _look_ahead(self, wait: float | None) -> float | None:
        """The scheduler is about to sleep `wait` s: wake it sooner for a warm-up (JobBook.look_ahead)."""
        book = self.book
        return wait if book is None else book.look_ahead(wait)

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
        anchors = {name: anchor for name, (anchor, _) in restarted.items()}
        self.anchors.set(anchors)
        self.presence.set_anchors(anchors)
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
        self._close_clock_watch()
        if self.outputs is not None:
            self.outputs.close()
        if self.figures is not None:
            self.figures.close()
        self.lock.release()

    def _close_clock_watch(self) -> None:
        timer, watch = self._wall_timer, self._zone_watch
        self._wall_timer = self._zone_watch = None  # the scheduler's thread stops arming it first
        for each in (timer, watch):
            if each is not None:
                each.close()

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
        """Wait for signals until asked to stop; ping the watchdog and watch the clock meanwhile."""
        watchdog = self.sd.watchdog.total_seconds() if self.sd.watchdog else None
        check = self._check_every()
        monotonic = self.clock.monotonic
        next_ping = monotonic()
        next_check = monotonic() + check if check is not None else None
        while True:
            now = monotonic()
            if watchdog is not None and now >= next_ping:
                if self._scheduler_alive():
                    self.sd.ping()
                else:
                    log.error("the scheduler has stopped; no more watchdog pings, so systemd restarts us")
                next_ping = now + watchdog
            if check is not None and next_check is not None and now >= next_check:
                self.look_at_clock()
                next_check = now + check
            ping = next_ping if watchdog is not None else None
            deadlines = [d for d in (ping, next_check) if d is not None]
            wait = max(0.0, min(deadlines) - monotonic()) if deadlines else None
            watched = [w for w in (self._wake_r, self._wall_timer, self._zone_watch) if w is not None]
            readable, _, _ = select.select(watched, [], [], wait)
            if self._wall_timer is not None and self._wall_timer in readable:
                self._on_wall_timer(self._wall_timer)
            if self._zone_watch is not None and self._zone_watch in readable and self._zone_watch.read():
                self._zone_watch.settle(ZONE_SETTLE_S)
                self.zone_changed()
            if self._wake_r not in readable:
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

    def _check_every(self) -> float | None:
        """Return how often the main thread looks at the clock itself (None: Linux tells it)."""
        if self.options.clock_check_s is not None:
            return self.options.clock_check_s
        if self._wall_timer is None:
            return self.options.tick_s
        if self._zone_watch is None and self.follows_system_zone:
            return ZONE_CHECK_S
        return None

    def _on_wall_timer(self, timer: WallTimer) -> None:
        fired = timer.read()
        if fired is None:
            return
        if fired is False:
            timer.rearm()  # a read that reports a change disarms it; the scheduler re-arms it soon
        elif timer.at is not None and self.clock.now(UTC).timestamp() < timer.at:
            # The kernel's wall clock is ahead of the one we read (libfaketime fakes ours):
            # waking the scheduler would only arm the timer in the past again, and again.
            log.debug("the wall timer fired before our clock reached its instant; ignored")
            return
        self.look_at_clock(wake=True)

    # -- the wall clock and the zone -------------------------------------------------------------

    def look_at_clock(self, *, wake: bool = False) -> float:
        """Compare the wall clock with the monotonic one; act on a jump; return it in seconds (+ forward).

        Set back: `every` reminders and snoozes keep the real time they had left (`replan`).
        Forward (a resume, or the clock set ahead): the scheduler delivers what it missed once,
        within each reminder's grace time, as after any suspend. Either way it is woken, and the
        system zone is looked at too.
        """
        later = Offset.read(self.clock)
        jump = self._offset.jump_to(later) if self._offset is not None else 0.0
        self._offset = later
        if jump <= -JUMP_S:
            log.warning(
                "the wall clock was set back %s: `every` reminders and snoozes keep the time they had left",
                _span(-jump),
            )
            self._clock_set_back(timedelta(seconds=jump))
        elif jump >= JUMP_S:
            log.info("the wall clock moved %s forward (a resume from suspend, or the clock set)", _span(jump))
        self.zone_changed()
        if (wake or abs(jump) >= JUMP_S) and self.scheduler is not None:
            self.scheduler.wakeup()
        return jump

    def _clock_set_back(self, shift: timedelta) -> None:
        from calmcoach.planner import next_firing

        assert self.core is not None and self.book is not None
        with self._reload_lock, self.core.lock:
            schedule, state = self.core.schedule, self.core.state
            now = self.clock.now(schedule.settings.timezone)
            runs = self.book.next_runs()
            plan = replan(schedule, runs, state.snoozed, now, shift=shift, next_firing=next_firing)
            self.anchors.set(plan.anchors)
            for name, at in plan.next_runs.items():
                with contextlib.suppress(LookupError):  # JobLookupError: it has just run its last
                    self.book.scheduler.modify_job(name, next_run_time=at)
            if plan.snoozed:
                self.core.update(lambda s: replace(s, snoozed={**s.snoozed, **plan.snoozed}))
        self._log_next()

    def zone_changed(self) -> bool:
        """When the schedule follows the system zone and it changed, plan in the new one; return whether."""
        from calmcoach.planner import next_firing

        if not self.follows_system_zone or self.core is None or self.book is None:
            return False
        with self._reload_lock:
            zone = self.zones.zone()
            identity = self.zones.identity(zone)
            if identity == self._zone_identity:
                return False
            with self.core.lock:
                old = self.core.schedule
                schedule = replace(old, settings=replace(old.settings, timezone=zone))
                state = self.core.state
                now = self.clock.now(zone)
                runs = self.book.next_runs()
                plan = replan(schedule, runs, state.snoozed, now, shift=timedelta(0), next_firing=next_firing)
                self.anchors.set(plan.anchors)
                self.core.schedule = schedule
                self.book.install(schedule, state.last_fired, state.snoozed, now, first_runs=plan.next_runs)
            self._zone_identity = identity
        was = old.settings.timezone.key
        log.info("the system time zone is now %s (was %s): reminders follow it", zone.key, was)
        self._log_next()
        self.sd.status(self._status_line())
        return True

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
        self._close_clock_watch()
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
                schedule, zone_identity = self._load_schedule(files)
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
            self._follow_zone(zone_identity)
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


def _span(seconds: float) -> str:
    """Given seconds, return them in words: "50 min", "2 h 5 min", "3 s"."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else f"{secs} s"


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"
