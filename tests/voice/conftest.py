"""Fixtures for the voice tests: a speaker on the real engine, and ALSA capturing to a file."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from calmcoach.outputs.voice import TtsSpeaker
from calmcoach.paths import Paths
from calmcoach.schedule.model import VoiceSettings

# The ALSA `file` plugin writes whatever is played to a file; its `null` slave needs no sound card.
ASOUNDRC = """\
pcm.!default {{
    type file
    slave.pcm "null"
    file "{capture}"
    format "wav"
}}
"""


@pytest.fixture
def voice_cache(paths: Paths) -> Path:
    """The cache folder the service passes to the speaker."""
    return paths.cache / "voice"


@pytest.fixture
def aplay() -> list[str]:
    """The real aplay (alsa-utils), named explicitly: find_player would prefer pw-play or paplay."""
    found = shutil.which("aplay")
    assert found is not None, "aplay is missing: apt-get install alsa-utils"
    return [found, "-q"]


@pytest.fixture
def alsa_capture(xdg_home: Path) -> Path:
    """Point ALSA's default device at a file (through $HOME/.asoundrc); return the file's path."""
    capture = xdg_home / "captured.wav"
    (xdg_home / ".asoundrc").write_text(ASOUNDRC.format(capture=capture))
    return capture


@pytest.fixture
def speaker(voice_cache: Path, aplay: list[str], alsa_capture: Path) -> Iterator[TtsSpeaker]:
    """A speaker with the default voice settings, playing through real aplay into the capture file."""
    with TtsSpeaker(VoiceSettings(), voice_cache, player=aplay) as made:
        yield made
