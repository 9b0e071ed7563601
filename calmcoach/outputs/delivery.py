"""Delivering one message on the channels a reminder names, falling back when one fails.

The chain is fixed: the voice falls back to a notification, a notification to the terminal and
a log line, and the terminal cannot fail (when even the terminal stream is broken, the log line
still carries the message). A message is delivered at most once per channel, and a channel that
failed for a message is not tried again for it.

Each broken channel is reported once, with the reason, when it breaks, not once per reminder;
when it works again, that is reported once too. Every failure is also logged at debug level.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from calmcoach.errors import DeliveryError
from calmcoach.outputs import Display, Message, Notifier, Speaker
from calmcoach.schedule.model import Channel

_log = logging.getLogger(__name__)

# Where each channel's message goes when it fails, in order.
FALLBACKS: dict[Channel, tuple[Channel, ...]] = {
    Channel.VOICE: (Channel.VOICE, Channel.NOTIFICATION, Channel.TERMINAL),
    Channel.NOTIFICATION: (Channel.NOTIFICATION, Channel.TERMINAL),
    Channel.TERMINAL: (Channel.TERMINAL,),
}
NAMES = {
    Channel.VOICE: "the voice",
    Channel.NOTIFICATION: "desktop notifications",
    Channel.TERMINAL: "the terminal",
}
VERBS = {Channel.VOICE: "is", Channel.NOTIFICATION: "are", Channel.TERMINAL: "is"}
LOG_ONLY = "log"  # what `deliver` reports when only the log line carried the message


class State(StrEnum):
    UNTRIED = "untried"  # nothing was delivered on it yet
    OK = "ok"  # the last attempt worked
    BROKEN = "broken"  # the last attempt failed; `reason` says why


@dataclass(frozen=True)
class ChannelHealth:
    """How one channel is doing, for `calmcoach status` and `doctor`."""

    channel: Channel
    state: State
    reason: str | None = None
    failures: int = 0  # consecutive failures since it last worked

    def as_dict(self) -> dict[str, object]:
        return {"state": str(self.state), "reason": self.reason, "failures": self.failures}


class Deliverer:
    """Delivers messages through the outputs, with fallbacks and once-only warnings.

    `notifier` or `speaker` may be None when that output is off or could not be built; the
    channel then counts as broken with that reason. `log` receives the lines a person should
    see (warnings, recoveries, and messages that could only be shown in the terminal). Safe to
    call from several threads; the outputs are called without holding a lock.
    """

    def __init__(
        self,
        notifier: Notifier | None,
        speaker: Speaker | None,
        display: Display,
        log: Callable[[str], None],
        *,
        notification_timeout_s: float = 10.0,
        speech_timeout_s: float | None = 60.0,
    ) -> None:
        self.notifier = notifier
        self.speaker = speaker
        self.display = display
        self.log = log
        self.notification_timeout_s = notification_timeout_s
        self.speech_timeout_s = speech_timeout_s
        self._lock = threading.Lock()
        self._health = {channel: ChannelHealth(channel, State.UNTRIED) for channel in Channel}

    def deliver(self, message: Message, channels: Sequence[Channel | str]) -> list[str]:
        """Deliver `message` on each channel in order, each falling back along its chain.

        Return the channels that delivered it, in the order they did ("log" when only the log
        line did). Never raises for a broken output.
        """
        delivered: list[str] = []
        handled: set[Channel] = set()  # channels that took this message
        failed: set[Channel] = set()  # channels that failed it: not tried again for it
        for name in channels:
            named = Channel(name)
            for channel in FALLBACKS[named]:
                if channel in handled:
                    break  # an earlier channel, or a fallback, already delivered it here
                if channel in failed:
                    continue
                if channel is Channel.TERMINAL:
                    delivered.append(self._show(message, fallback=named is not Channel.TERMINAL))
                elif self._attempt(channel, message):
                    delivered.append(str(channel))
                else:
                    failed.add(channel)
                    continue
                handled.add(channel)
                break
        return delivered

    def probe(self) -> dict[str, ChannelHealth]:
        """Ask each output's `check()` now (at start-up), reporting broken ones once; return health."""
        for channel, output in ((Channel.NOTIFICATION, self.notifier), (Channel.VOICE, self.speaker)):
            if output is None:
                self._failed(channel, self._absent(channel))
                continue
            try:
                problem = output.check()
            except Exception as error:  # a bug in a check must not stop the service starting
                problem = f"{type(error).__name__}: {error}"
            if problem is None:
                self._worked(channel)
            else:
                self._failed(channel, problem)
        return self.health()

    def health(self) -> dict[str, ChannelHealth]:
        """Return each channel's health, keyed by channel name."""
        with self._lock:
            return {str(channel): health for channel, health in self._health.items()}

    def _attempt(self, channel: Channel, message: Message) -> bool:
        try:
            if channel is Channel.NOTIFICATION:
                if self.notifier is None:
                    raise DeliveryError(self._absent(channel))
                self.notifier.notify(message.title, message.body, timeout_s=self.notification_timeout_s)
            else:
                if self.speaker is None:
                    raise DeliveryError(self._absent(channel))
                speech = message.speech or f"{message.title}. {message.body}"
                self.speaker.speak_and_wait(speech, timeout_s=self.speech_timeout_s)
        except DeliveryError as error:
            self._failed(channel, error.message)
            return False
        except Exception as error:  # a bug in an output: fall back rather than lose the reminder
            _log.exception("%s failed unexpectedly", NAMES[channel])
            self._failed(channel, f"{type(error).__name__}: {error}")
            return False
        self._worked(channel)
        return True

    def _show(self, message: Message, *, fallback: bool) -> str:
        """Show the message in the terminal (and log it when it stands in for another channel)."""
        if fallback:
            self.log(f"{message.title}: {message.body}")
        try:
            self.display.show(message.title, message.body)
        except Exception as error:  # a closed or broken stream: the log line is all we have
            self._failed(Channel.TERMINAL, f"{type(error).__name__}: {error}")
            if not fallback:
                self.log(f"{message.title}: {message.body}")
            return LOG_ONLY
        self._worked(Channel.TERMINAL)
        return str(Channel.TERMINAL)

    def _absent(self, channel: Channel) -> str:
        return "no speaker is set up" if channel is Channel.VOICE else "no notifier is set up"

    def _failed(self, channel: Channel, reason: str) -> None:
        _log.debug("%s failed: %s", NAMES[channel], reason)
        with self._lock:
            before = self._health[channel]
            self._health[channel] = ChannelHealth(channel, State.BROKEN, reason, before.failures + 1)
        if before.state is not State.BROKEN:
            name, verb = NAMES[channel], VERBS[channel]
            self.log(f"warning: {name} {verb} not working: {reason}{self._instead(channel)}")

    def _worked(self, channel: Channel) -> None:
        with self._lock:
            before = self._health[channel]
            self._health[channel] = ChannelHealth(channel, State.OK)
        if before.state is State.BROKEN:
            self.log(f"{NAMES[channel]} {VERBS[channel]} working again")

    @staticmethod
    def _instead(channel: Channel) -> str:
        chain = FALLBACKS[channel][1:]
        if not chain:
            return " (reminders go to the log instead)"
        return f" (reminders go to {' or '.join(NAMES[c] for c in chain)} instead, until this is fixed)"
