"""Choose the presence backends at start-up and observe the desktop through them.

Idle time: the first of Mutter's IdleMonitor, the ScreenSaver service and `xprintidle` that
answers. Lock and sleep: logind on the system bus. Do-not-disturb: every source that answers
(GNOME's show-banners, the notification server's Inhibited, an X11 full-screen window). A source
that fails later counts as "cannot tell" for that observation, and is reported once.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from calmcoach.presence.dbus import Bus, BusError, session_address, system_address
from calmcoach.presence.dnd import GnomeBanners, NotificationsInhibited, X11Fullscreen
from calmcoach.presence.idle import IdleSource, MutterIdle, ScreenSaverIdle, XprintIdle
from calmcoach.presence.logind import Logind
from calmcoach.presence.policy import Observation

log = logging.getLogger("calmcoach.presence")


class DndSource(Protocol):
    name: str

    def busy(self) -> bool: ...


@dataclass
class Backends:
    idle: IdleSource | None = None
    lock: Logind | None = None
    dnd: list[DndSource] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # why each kind of backend is missing
    session: Bus | None = None

    def names(self) -> dict[str, Any]:
        return {
            "idle": self.idle.name if self.idle else None,
            "lock": self.lock.name if self.lock else None,
            "dnd": [source.name for source in self.dnd],
        }

    @property
    def any(self) -> bool:
        return bool(self.idle or self.lock or self.dnd)

    def close(self) -> None:
        if self.lock is not None:
            self.lock.close()
        if self.session is not None:
            self.session.close()


def _works(source: Any, ask: str) -> bool:
    try:
        getattr(source, ask)()
    except (BusError, OSError) as error:
        log.debug("presence: %s does not answer: %s", source.name, error)
        return False
    return True


def choose(environ: Mapping[str, str] | None = None) -> Backends:
    """Given the environment (default: ours), return the backends that answer here."""
    env = os.environ if environ is None else environ
    display = env.get("DISPLAY") or None
    found = Backends()
    address = session_address(env)
    found.session = Bus(address) if address else None
    idle_sources: list[IdleSource] = []
    if found.session is not None:
        idle_sources += [MutterIdle(found.session), ScreenSaverIdle(found.session)]
    xprintidle = XprintIdle.find(display)
    if xprintidle is not None:
        idle_sources.append(xprintidle)
    found.idle = next((s for s in idle_sources if _works(s, "idle")), None)
    if found.idle is None:
        found.missing.append("idle time: no Mutter IdleMonitor, ScreenSaver service or xprintidle answered")
    lock = Logind(system_address(env), env.get("XDG_SESSION_ID"))
    try:
        lock.start()
        found.lock = lock
    except BusError as error:
        found.missing.append(f"lock and sleep: {error}")
    candidates: list[DndSource | None] = [
        GnomeBanners.find(),
        NotificationsInhibited(found.session) if found.session is not None else None,
        X11Fullscreen.find(display),
    ]
    found.dnd = [s for s in candidates if s is not None and _works(s, "busy")]
    if not found.dnd:
        found.missing.append("do-not-disturb: no show-banners setting, Inhibited property or X11 display")
    return found


class Monitor:
    """Observes the desktop through the chosen backends; safe to call from several threads."""

    def __init__(self, backends: Backends) -> None:
        self.backends = backends
        self._failed: set[str] = set()
        self._lock = threading.Lock()

    def observe(self, now: datetime, dnd: bool = True) -> Observation:
        """Given now, return what every backend says (a failing one says nothing).

        With `dnd` False the do-not-disturb sources are not asked (and say "not busy").
        """
        b = self.backends
        idle = locked_by_saver = None
        if b.idle is not None:
            idle = self._ask(b.idle.name, b.idle.idle)
            locked_by_saver = self._ask(b.idle.name + " GetActive", b.idle.locked)
        busy = [self._ask(source.name, source.busy) if dnd else False for source in b.dnd]
        fullscreen = any(v for s, v in zip(b.dnd, busy, strict=True) if isinstance(s, X11Fullscreen))
        dnd = any(v for s, v in zip(b.dnd, busy, strict=True) if not isinstance(s, X11Fullscreen))
        return Observation(
            at=now,
            idle=idle,
            locked=bool(locked_by_saver) or (b.lock is not None and b.lock.locked()),
            asleep=b.lock is not None and b.lock.asleep(),
            dnd=dnd,
            fullscreen=fullscreen,
            asleep_since=b.lock.slept_at() if b.lock is not None else None,
        )

    def _ask(self, name: str, question: Any) -> Any:
        try:
            answer = question()
        except (BusError, OSError) as error:
            with self._lock:
                first = name not in self._failed
                self._failed.add(name)
            if first:
                log.warning("presence: %s stopped answering (%s); carrying on without it", name, error)
            return None
        with self._lock:
            if name in self._failed:
                self._failed.discard(name)
                log.info("presence: %s answers again", name)
        return answer

    def close(self) -> None:
        self.backends.close()
