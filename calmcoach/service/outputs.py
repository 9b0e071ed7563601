"""The service's outputs: the notifier, the voice and the log, with fallbacks, behind `Outputs`.

Each reminder is delivered on the channels its `say` names. When one fails, the next takes over:
the voice falls back to a notification, a notification to the log (the "terminal" of a service is
its stderr, which journald keeps). A broken channel is reported once with its reason, and again
only when the reason changes, not once per reminder.

The speaker (pyttsx3 and espeak-ng) is created on first use: a schedule with no voice never loads
the engine.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from calmcoach.errors import DeliveryError
from calmcoach.outputs import Message
from calmcoach.paths import Paths
from calmcoach.schedule.model import Channel, Settings, VoiceSettings

if TYPE_CHECKING:
    from calmcoach.clock import Clock
    from calmcoach.outputs.notify import PlyerNotifier
    from calmcoach.outputs.voice import TtsSpeaker
    from calmcoach.service.dispatch import Sessions

log = logging.getLogger("calmcoach.service")

SPEECH_TIMEOUT_S = 60.0
# What takes over when a channel fails.
FALLBACK = {Channel.VOICE: Channel.NOTIFICATION, Channel.NOTIFICATION: Channel.TERMINAL}


class ServiceOutputs:
    def __init__(self, notifier: PlyerNotifier, voice: VoiceSettings, cache_dir: Path) -> None:
        self.notifier = notifier
        self.voice = voice
        self.cache_dir = cache_dir
        self._speaker: TtsSpeaker | None = None
        self._retired: list[TtsSpeaker] = []
        self._lock = threading.Lock()
        self._reported: dict[Channel, str | None] = {}

    def speaker(self) -> TtsSpeaker:
        from calmcoach.outputs.voice import TtsSpeaker

        with self._lock:
            if self._speaker is None:
                self._speaker = TtsSpeaker(self.voice, self.cache_dir)
            return self._speaker

    def deliver(self, message: Message, channels: Sequence[Channel]) -> list[str]:
        """Given a message and its channels, deliver it; return the channels that carried it."""
        used: list[str] = []
        wanted = list(dict.fromkeys(channels))
        for channel in wanted:
            current: Channel | None = channel
            while current is not None:
                if current.value in used:
                    break
                problem = self._send(current, message)
                self._report(current, problem)
                if problem is None:
                    used.append(current.value)
                    break
                current = FALLBACK.get(current)
        return used

    def _send(self, channel: Channel, message: Message) -> str | None:
        try:
            if channel is Channel.NOTIFICATION:
                self.notifier.notify(message.title, message.body)
            elif channel is Channel.VOICE:
                if not self.voice.enabled:
                    return "the voice is turned off in [settings] (voice.enabled = false)"
                self.speaker().speak_and_wait(message.speech, timeout_s=SPEECH_TIMEOUT_S)
            else:
                log.info("reminder: %s: %s", message.title, message.body)
        except DeliveryError as error:
            return error.message
        except Exception as error:  # a backend's own exception: a failed channel, not a dead service
            return f"{type(error).__name__}: {error}"
        return None

    def _report(self, channel: Channel, problem: str | None) -> None:
        """Log a channel's problem once (and its recovery once), not on every reminder."""
        with self._lock:
            before = self._reported.get(channel)
            self._reported[channel] = problem
        if problem is not None and problem != before:
            log.warning("%s does not work, falling back: %s", channel.value, problem)
        elif problem is None and before is not None:
            log.info("%s works again", channel.value)

    def health(self) -> dict[str, str | None]:
        voice: str | None
        voice = "turned off in [settings]" if not self.voice.enabled else self.speaker().check()
        return {
            Channel.NOTIFICATION.value: self.notifier.check(),
            Channel.VOICE.value: voice,
            Channel.TERMINAL.value: None,
        }

    def reconfigure(self, settings: Settings) -> None:
        """Given reloaded settings, use their voice from the next phrase on.

        The old speaker may be in the middle of a session: it is retired, not closed, and closed
        with the rest at shutdown.
        """
        with self._lock:
            if settings.voice == self.voice:
                return
            self.voice = settings.voice
            if self._speaker is not None:
                self._retired.append(self._speaker)
                self._speaker = None
        log.info("voice settings changed: rate %d, volume %g", settings.voice.rate, settings.voice.volume)

    def close(self) -> None:
        with self._lock:
            speakers = [*self._retired, self._speaker]
            self._speaker, self._retired = None, []
        for speaker in speakers:
            if speaker is not None:
                speaker.close()


def build_outputs(settings: Settings, paths: Paths) -> ServiceOutputs:
    """Given the settings and the folders, return the outputs the service delivers through."""
    from calmcoach.outputs.notify import PlyerNotifier

    return ServiceOutputs(PlyerNotifier(), settings.voice, paths.cache / "voice")


def build_sessions(outputs: ServiceOutputs, paths: Paths, clock: Clock) -> Sessions:
    """Given the outputs (whose speaker the sessions share), return the session runner."""
    from calmcoach.service.sessions import VoiceSessions

    return VoiceSessions(outputs.speaker, paths.state, paths.cache, clock)
