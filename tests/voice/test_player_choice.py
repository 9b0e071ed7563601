"""Choosing the player by what plays, not by what is installed.

The case users meet: `pw-play` installed (it comes with PipeWire's tools) where no PipeWire runs,
so it fails at once, while `aplay` works. Here that is the real `pw-play` with no server on the
test's runtime folder, and the real `aplay` writing through ALSA's `file` plugin.
"""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import pytest

from calmcoach.errors import DeliveryError
from calmcoach.outputs.voice import TtsSpeaker
from calmcoach.outputs.voice.player import NO_PLAYER, choose_player, find_players
from calmcoach.schedule.model import VoiceSettings
from tests.user_session import skip_or_fail
from tests.voice.helpers import write_script


def real(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        skip_or_fail(f"{program} is not installed (bash scripts/dev.sh test installs it)")
    return found


@pytest.fixture
def players_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH holding the real pw-play (behind a wrapper that counts its runs) and the real aplay.

    Returns the file the wrapper appends a line to on each run of pw-play.
    """
    pw_play, aplay = real("pw-play"), real("aplay")
    folder = tmp_path / "bin"
    runs = tmp_path / "pw-play-runs"
    write_script(folder, "pw-play", f'echo run >> "{runs}"\nexec {pw_play} "$@"')
    (folder / "aplay").symlink_to(aplay)
    monkeypatch.setenv("PATH", str(folder))
    return runs


def test_pw_play_without_pipewire_fails_so_aplay_speaks_and_is_kept(
    players_on_path: Path, voice_cache: Path, alsa_capture: Path
) -> None:
    with TtsSpeaker(VoiceSettings(), voice_cache) as speaker:
        assert speaker.player is not None and Path(speaker.player[0]).name == "pw-play"
        speaker.speak_and_wait("Time for a glass of water, and then a slow breath.", timeout_s=30)
        assert speaker.player is not None and Path(speaker.player[0]).name == "aplay"
        first_s = played_s(alsa_capture)
        speaker.speak_and_wait("Again.", timeout_s=30)
        assert 0 < played_s(alsa_capture) < first_s - 1.0  # each aplay run writes the file anew
    assert first_s > 2.0
    assert players_on_path.read_text().splitlines() == ["run"]  # tried once, then aplay first


def played_s(capture: Path) -> float:
    with wave.open(str(capture)) as played:
        return float(played.getnframes() / played.getframerate())


def test_choose_player_tries_each_until_one_plays(players_on_path: Path, alsa_capture: Path) -> None:
    choice = choose_player(find_players())
    assert choice.player is not None and Path(choice.player[0]).name == "aplay"
    [problem] = choice.problems
    assert problem.startswith("the audio player pw-play failed (exit status")


def test_with_no_player_that_works_the_reasons_are_given(tmp_path: Path) -> None:
    broken = write_script(tmp_path / "bin", "paplay", "echo 'Connection refused' >&2\nexit 1")
    choice = choose_player([[str(broken)]])
    assert choice.player is None
    assert choice.no_sound() == "the audio player paplay failed (exit status 1): Connection refused"
    assert choose_player([]).no_sound() == NO_PLAYER


def test_a_player_that_fails_is_reported_once_per_phrase_not_retried_forever(
    tmp_path: Path, voice_cache: Path
) -> None:
    runs = tmp_path / "runs"
    broken = write_script(tmp_path / "bin", "aplay", f'echo run >> "{runs}"\nexit 2')
    with (
        TtsSpeaker(VoiceSettings(), voice_cache, player=[str(broken)]) as speaker,
        pytest.raises(DeliveryError, match=r"the audio player aplay failed \(exit status 2\)"),
    ):
        speaker.speak_and_wait("Breathe out.", timeout_s=30)
    assert runs.read_text().splitlines() == ["run"]
