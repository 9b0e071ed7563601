"""The service's outputs over the real Deliverer: health, voice changes on reload, log levels."""

from __future__ import annotations

import io
import logging
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest

from calmcoach.outputs import Speaker
from calmcoach.outputs.voice import TtsSpeaker
from calmcoach.paths import Paths
from calmcoach.schedule.model import Settings, VoiceSettings
from calmcoach.service.outputs import ServiceOutputs, build_outputs, log_line


def speaker_of(outputs: ServiceOutputs) -> Speaker | None:
    """The Deliverer's speaker, read afresh (mypy would keep an earlier narrowing otherwise)."""
    return outputs.deliverer.speaker


OFF = Settings(timezone=ZoneInfo("UTC"), voice=VoiceSettings(enabled=False))


def test_health_before_anything_was_tried(paths: Paths) -> None:
    outputs = build_outputs(OFF, paths, io.StringIO())
    try:
        health = outputs.health()
        assert set(health) == {"notification", "voice", "terminal"}
        assert health["notification"] == {"ok": None, "state": "untried", "reason": None, "failures": 0}
    finally:
        outputs.close()


def test_terminal_delivery_goes_to_stdout(paths: Paths) -> None:
    from calmcoach.outputs import Message
    from calmcoach.schedule.model import Channel

    out = io.StringIO()
    outputs = build_outputs(OFF, paths, out)
    try:
        assert outputs.deliver(Message("Water break", "Have a glass.", "Water."), [Channel.TERMINAL]) == [
            "terminal"
        ]
        assert out.getvalue().endswith(" Water break: Have a glass.\n")
        assert outputs.health()["terminal"]["ok"] is True
    finally:
        outputs.close()


def test_voice_off_then_on_after_a_reload(paths: Paths) -> None:
    outputs = build_outputs(OFF, paths, io.StringIO())
    try:
        assert speaker_of(outputs) is None
        player_only = outputs.speaker()  # sessions still need a player for their tones
        assert isinstance(player_only, TtsSpeaker)
        outputs.reconfigure(replace(OFF, voice=VoiceSettings(enabled=True, rate=190)))
        assert isinstance(speaker_of(outputs), TtsSpeaker)
        assert outputs.speaker() is outputs.deliverer.speaker
        assert outputs.voice.rate == 190
        same = outputs.deliverer.speaker
        outputs.reconfigure(replace(OFF, voice=VoiceSettings(enabled=True, rate=190)))
        assert outputs.deliverer.speaker is same  # unchanged settings keep the speaker
    finally:
        outputs.close()


def test_deliverer_lines_keep_their_level(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="calmcoach"):
        log_line("warning: desktop notifications are not working: no bus")
        log_line("desktop notifications are working again")
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.WARNING, "desktop notifications are not working: no bus"),
        (logging.INFO, "desktop notifications are working again"),
    ]
