"""The service's outputs: the delivery module's Deliverer over the notifier, the voice and stdout.

Each reminder is delivered on the channels its `say` names, falling back as the Deliverer does
(the voice to a notification, a notification to the terminal and the log), each broken channel
reported once. The service's "terminal" is its stdout, which systemd sends to the journal; the
Deliverer's own lines (warnings, recoveries) go to the service's log.

The speaker is built from the settings' voice; it loads pyttsx3 and espeak-ng only when it
first speaks (its start-up check asks a child process). Breathing and stretch sessions share it,
so one engine serves every voice. Likewise plyer's backend and the bus connection wait for the
first notification. The scheduler loads each a few seconds before the first reminder that needs
it (`warm_ups`, planned by `calmcoach.service.jobs.WarmUp`), so that reminder is not late.

The service idles for hours between reminders. What start-up and each delivery allocate and
free stays in glibc's heaps unless it is handed back, so the outputs hand it back after their
start-up check and after each delivery (`release_free_memory`).
"""

from __future__ import annotations

import ctypes
import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from calmcoach.errors import DeliveryError
from calmcoach.outputs import Message, Speaker
from calmcoach.paths import Paths
from calmcoach.schedule.model import Channel, Settings, VoiceSettings

if TYPE_CHECKING:
    from calmcoach.clock import Clock
    from calmcoach.outputs.delivery import Deliverer
    from calmcoach.outputs.voice import TtsSpeaker
    from calmcoach.service.dispatch import Sessions

log = logging.getLogger("calmcoach.service")

SPEECH_TIMEOUT_S = 60.0
WARNING_PREFIX = "warning: "


def log_line(text: str) -> None:
    """Given a line from the Deliverer, log it at the level its wording says."""
    if text.startswith(WARNING_PREFIX):
        log.warning("%s", text.removeprefix(WARNING_PREFIX))
    else:
        log.info("%s", text)


def release_free_memory() -> bool:
    """Hand the free memory in malloc's heaps back to the system; return whether that was possible.

    glibc keeps what a program frees for its next allocations, as resident memory. Start-up frees
    a lot between what it keeps (imports, reading the schedule and the tips, the first plans, the
    threads' first work): the idle service held about 2.6 MiB of it (measured with
    benchmarks/service.py), never used again until a reminder came. `malloc_trim(0)` returns the
    free pages of every heap (they are mapped again, zeroed, when needed); it takes well under a
    millisecond here. Other C libraries (musl) have no such call: then this does nothing.
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return False
    trim(0)
    return True


class ServiceOutputs:
    def __init__(
        self,
        deliverer: Deliverer,
        voice: VoiceSettings,
        paths: Paths,
        *,
        release_memory: Callable[[], object] = release_free_memory,
    ) -> None:
        self.deliverer = deliverer
        self.voice = voice
        self.paths = paths
        self.release_memory = release_memory
        self._lock = threading.Lock()
        self._session_speaker: TtsSpeaker | None = None
        self._retired: list[Speaker] = []

    def deliver(self, message: Message, channels: Sequence[Channel]) -> list[str]:
        """Deliver on the first channels that work (see Deliverer); then hand back what it freed."""
        try:
            return self.deliverer.deliver(message, channels)
        finally:
            self.release_memory()

    def probe(self) -> None:
        """Check every output now, so that a broken one is reported at start, once.

        This runs at the end of start-up (the service starts it last, in a thread of its own):
        once the checks are done, the memory start-up freed is handed back.
        """
        try:
            self.deliverer.probe()
        finally:
            self.release_memory()

    def warm_ups(self) -> dict[Channel, Callable[[], None]]:
        """Return what loads each output ahead of its first reminder (see jobs.WarmUp)."""
        return {Channel.NOTIFICATION: self.warm_notifications, Channel.VOICE: self.warm_voice}

    def warm_notifications(self) -> None:
        """Load plyer's backend and connect to the bus now (a job on the default pool)."""
        from calmcoach.outputs.notify import PlyerNotifier

        notifier = self.deliverer.notifier
        if isinstance(notifier, PlyerNotifier):
            self._warm("notifications", notifier.warm)

    def warm_voice(self) -> None:
        """Start the speech engine now (a job on the speech executor's thread).

        With the voice turned off, spoken reminders fall back to notifications: load those instead.
        """
        from calmcoach.outputs.voice import TtsSpeaker

        speaker = self.deliverer.speaker
        if isinstance(speaker, TtsSpeaker):
            self._warm("the voice", speaker.warm)
        elif speaker is None:
            self.warm_notifications()

    def _warm(self, what: str, warm: Callable[[], None]) -> None:
        # A failure is not reported here: the reminder tries the output itself, reports it once
        # if it is broken, and falls back.
        try:
            warm()
        except DeliveryError as error:
            log.debug("could not load %s ahead of the first reminder: %s", what, error.message)
        else:
            log.debug("loaded %s ahead of the first reminder", what)
        finally:
            self.release_memory()

    def health(self) -> dict[str, dict[str, Any]]:
        """Return each channel's health: ok (None when not tried yet), state, reason, failures."""
        result: dict[str, dict[str, Any]] = {}
        for name, health in self.deliverer.health().items():
            state = str(health.state)
            result[name] = {"ok": None if state == "untried" else state == "ok", **health.as_dict()}
        return result

    def speaker(self) -> TtsSpeaker:
        """Return the speaker sessions use (the Deliverer's, or a player-only one without a voice)."""
        from calmcoach.outputs.voice import TtsSpeaker

        with self._lock:
            current = self.deliverer.speaker
            if isinstance(current, TtsSpeaker):
                return current
            if self._session_speaker is None:
                self._session_speaker = TtsSpeaker(self.voice, self.paths.cache / "voice")
            return self._session_speaker

    def reconfigure(self, settings: Settings) -> None:
        """Given reloaded settings, use their voice from the next phrase on.

        The old speaker may be in the middle of a session: it is retired, not closed, and closed
        with the rest at shutdown.
        """
        with self._lock:
            if settings.voice == self.voice:
                return
            self.voice = settings.voice
            old = [s for s in (self.deliverer.speaker, self._session_speaker) if s is not None]
            self._retired.extend(old)
            self._session_speaker = None
            self.deliverer.speaker = make_speaker(settings.voice, self.paths)
        log.info("voice settings changed: %s", _voice_words(settings.voice))

    def close(self) -> None:
        with self._lock:
            speakers = [*self._retired, self.deliverer.speaker, self._session_speaker]
            self._retired, self._session_speaker = [], None
        for speaker in speakers:
            if speaker is not None:
                speaker.close()


def _voice_words(voice: VoiceSettings) -> str:
    if not voice.enabled:
        return "the voice is off"
    return f"rate {voice.rate}, volume {voice.volume:g}" + (f", voice {voice.voice}" if voice.voice else "")


def make_speaker(voice: VoiceSettings, paths: Paths) -> TtsSpeaker | None:
    """Given the voice settings, return the speaker, or None when the voice is turned off."""
    if not voice.enabled:
        return None
    from calmcoach.outputs.voice import TtsSpeaker

    return TtsSpeaker(voice, paths.cache / "voice")


def build_outputs(settings: Settings, paths: Paths, stdout: TextIO) -> ServiceOutputs:
    """Given the settings, the folders and the service's stdout, return the outputs it delivers through."""
    # The start-up check asks the notification server through jeepney, on a worker thread. Load
    # it here, on the main thread (the service builds its outputs before it starts any thread):
    # what a thread allocates while importing stays in a malloc arena of that thread's own, for
    # good (measured: about 0.3 MiB of the idle service).
    import jeepney.io.blocking  # noqa: F401

    from calmcoach.outputs.delivery import Deliverer
    from calmcoach.outputs.notify import PlyerNotifier
    from calmcoach.outputs.terminal import TerminalDisplay

    deliverer = Deliverer(
        PlyerNotifier(),
        make_speaker(settings.voice, paths),
        TerminalDisplay(stdout),
        log_line,
        speech_timeout_s=SPEECH_TIMEOUT_S,
    )
    return ServiceOutputs(deliverer, settings.voice, paths)


def build_sessions(outputs: ServiceOutputs, paths: Paths, clock: Clock) -> Sessions:
    """Given the outputs (whose speaker the sessions share), return the session runner."""
    from calmcoach.service.sessions import VoiceSessions

    return VoiceSessions(outputs.speaker, paths, clock)
