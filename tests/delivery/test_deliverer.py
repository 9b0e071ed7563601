"""The Deliverer's fallback chain and its once-only warnings, with fakes of our own protocols."""

from __future__ import annotations

import pytest

from calmcoach.outputs import Message
from calmcoach.outputs.delivery import Deliverer, State
from calmcoach.schedule.model import Channel
from tests.delivery.fakes import FakeDisplay, FakeNotifier, FakeSpeaker

WATER = Message("Water", "Drink a glass of water.", "Time for a glass of water.")
NOTIFICATION, VOICE, TERMINAL = Channel.NOTIFICATION, Channel.VOICE, Channel.TERMINAL


class Setup:
    def __init__(self, *, notifier: str | None = None, speaker: str | None = None) -> None:
        self.notifier = FakeNotifier(broken=notifier)
        self.speaker = FakeSpeaker(broken=speaker)
        self.display = FakeDisplay()
        self.lines: list[str] = []
        self.deliverer = Deliverer(self.notifier, self.speaker, self.display, self.lines.append)

    def warnings(self) -> list[str]:
        return [line for line in self.lines if line.startswith("warning:")]


@pytest.mark.parametrize(
    ("channels", "broken_notifier", "broken_speaker", "delivered"),
    [
        pytest.param([NOTIFICATION], None, None, ["notification"], id="notification"),
        pytest.param([VOICE], None, None, ["voice"], id="voice"),
        pytest.param([TERMINAL], None, None, ["terminal"], id="terminal"),
        pytest.param([NOTIFICATION, VOICE], None, None, ["notification", "voice"], id="both-in-order"),
        pytest.param([VOICE], None, "no player", ["notification"], id="voice-falls-back-to-notification"),
        pytest.param([NOTIFICATION], "no bus", None, ["terminal"], id="notification-falls-back-to-terminal"),
        pytest.param([VOICE], "no bus", "no player", ["terminal"], id="voice-falls-through-to-terminal"),
        pytest.param([VOICE, NOTIFICATION], None, "no player", ["notification"], id="no-double-notification"),
        pytest.param([NOTIFICATION, VOICE], "no bus", "no player", ["terminal"], id="one-terminal-line"),
        pytest.param([NOTIFICATION, TERMINAL], "no bus", None, ["terminal"], id="terminal-named-too"),
        pytest.param([TERMINAL, VOICE], None, "no player", ["terminal", "notification"], id="terminal-first"),
    ],
)
def test_fallback_chain(
    channels: list[Channel], broken_notifier: str | None, broken_speaker: str | None, delivered: list[str]
) -> None:
    setup = Setup(notifier=broken_notifier, speaker=broken_speaker)

    assert setup.deliverer.deliver(WATER, channels) == delivered

    assert len(setup.notifier.sent) == delivered.count("notification")
    assert len(setup.speaker.spoken) == delivered.count("voice")
    assert len(setup.display.shown) == delivered.count("terminal")
    assert setup.notifier.attempts <= 1  # a channel that failed is not tried again for the message


def test_each_output_gets_its_part_of_the_message() -> None:
    setup = Setup()
    setup.deliverer.deliver(WATER, [NOTIFICATION, VOICE, TERMINAL])

    assert setup.notifier.sent == [("Water", "Drink a glass of water.", 10.0)]
    assert setup.speaker.spoken == ["Time for a glass of water."]
    assert setup.display.shown == [("Water", "Drink a glass of water.")]
    assert setup.lines == []  # nothing to warn about, and no fallback log line


def test_a_message_without_speech_speaks_its_title_and_body() -> None:
    setup = Setup()
    setup.deliverer.deliver(Message("Stretch", "Roll your shoulders.", ""), [VOICE])
    assert setup.speaker.spoken == ["Stretch. Roll your shoulders."]


def test_a_fallback_to_the_terminal_also_writes_a_log_line() -> None:
    setup = Setup(notifier="no notification server is running")
    setup.deliverer.deliver(WATER, [NOTIFICATION])

    assert setup.display.shown == [("Water", "Drink a glass of water.")]
    assert "Water: Drink a glass of water." in setup.lines


def test_a_broken_backend_is_reported_once_with_its_reason_not_once_per_reminder() -> None:
    setup = Setup(notifier="no notification server is running on the session bus")
    for _ in range(5):
        setup.deliverer.deliver(WATER, [NOTIFICATION])

    assert setup.warnings() == [
        "warning: desktop notifications are not working: no notification server is running on the "
        "session bus (reminders go to the terminal instead, until this is fixed)"
    ]
    assert setup.deliverer.health()["notification"].failures == 5


def test_recovery_is_reported_once_and_a_new_break_is_reported_again() -> None:
    setup = Setup(speaker="no audio player on PATH")
    setup.deliverer.deliver(WATER, [VOICE])
    setup.deliverer.deliver(WATER, [VOICE])
    setup.speaker.broken = None
    setup.deliverer.deliver(WATER, [VOICE])
    setup.deliverer.deliver(WATER, [VOICE])
    setup.speaker.broken = "the audio player aplay failed"
    setup.deliverer.deliver(WATER, [VOICE])

    voice_lines = [line for line in setup.lines if "voice" in line]
    assert voice_lines == [
        "warning: the voice is not working: no audio player on PATH "
        "(reminders go to desktop notifications or the terminal instead, until this is fixed)",
        "the voice is working again",
        "warning: the voice is not working: the audio player aplay failed "
        "(reminders go to desktop notifications or the terminal instead, until this is fixed)",
    ]


def test_a_missing_output_counts_as_broken_and_falls_back() -> None:
    display, lines = FakeDisplay(), list[str]()
    deliverer = Deliverer(None, None, display, lines.append)

    assert deliverer.deliver(WATER, [VOICE]) == ["terminal"]
    assert deliverer.deliver(WATER, [VOICE]) == ["terminal"]
    assert [line for line in lines if line.startswith("warning:")] == [
        "warning: the voice is not working: no speaker is set up "
        "(reminders go to desktop notifications or the terminal instead, until this is fixed)",
        "warning: desktop notifications are not working: no notifier is set up "
        "(reminders go to the terminal instead, until this is fixed)",
    ]


def test_an_unexpected_exception_in_an_output_falls_back_instead_of_crashing() -> None:
    setup = Setup()
    setup.notifier.crash = RuntimeError("bug in the backend")

    assert setup.deliverer.deliver(WATER, [NOTIFICATION]) == ["terminal"]
    assert setup.deliverer.health()["notification"].reason == "RuntimeError: bug in the backend"


def test_a_broken_terminal_still_leaves_the_log_line() -> None:
    setup = Setup(notifier="no bus")
    setup.display.broken = BrokenPipeError(32, "Broken pipe")

    assert setup.deliverer.deliver(WATER, [NOTIFICATION]) == ["log"]
    assert setup.deliverer.deliver(WATER, [TERMINAL]) == ["log"]
    assert setup.lines.count("Water: Drink a glass of water.") == 2
    assert len([line for line in setup.lines if "the terminal is not working" in line]) == 1


def test_health_starts_untried_then_follows_what_happened() -> None:
    setup = Setup(speaker="libespeak-ng is missing")
    assert {name: h.state for name, h in setup.deliverer.health().items()} == {
        "notification": State.UNTRIED,
        "voice": State.UNTRIED,
        "terminal": State.UNTRIED,
    }

    setup.deliverer.deliver(WATER, [VOICE])

    health = setup.deliverer.health()
    assert health["voice"].as_dict() == {
        "state": "broken",
        "reason": "libespeak-ng is missing",
        "failures": 1,
    }
    assert health["notification"].as_dict() == {"state": "ok", "reason": None, "failures": 0}
    assert health["terminal"].state is State.UNTRIED


def test_probe_asks_each_check_and_warns_once_for_what_is_broken() -> None:
    setup = Setup(notifier="no session bus: DBUS_SESSION_BUS_ADDRESS is not set")

    health = setup.deliverer.probe()
    setup.deliverer.deliver(WATER, [NOTIFICATION])

    assert health["notification"].state is State.BROKEN
    assert health["voice"].state is State.OK
    assert len(setup.warnings()) == 1
    assert setup.notifier.attempts == 1  # probing used check(), not a notification


def test_channel_names_as_strings_are_accepted() -> None:
    setup = Setup()
    assert setup.deliverer.deliver(WATER, ["notification"]) == ["notification"]
