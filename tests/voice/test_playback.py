"""Playback: real aplay into an ALSA file device, and the speak queue with recording players."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from calmcoach.errors import DeliveryError
from calmcoach.outputs.voice import TtsSpeaker, find_player
from calmcoach.outputs.wavtools import read_pcm, rms, wav_duration
from calmcoach.schedule.model import VoiceSettings
from tests.voice.helpers import process_gone, wait_until, write_script

# A player that appends the file it was given to a log; with a gate, it first waits for the gate
# file to appear (at most 20 s, so a broken test cannot leave it behind for long).
LOGGING_PLAYER = 'printf "%s\\n" "$1" >> "{log}"'
GATED_PLAYER = (
    'i=0; while [ ! -e "{gate}" ] && [ $i -lt 2000 ]; do sleep 0.01; i=$((i+1)); done\n' + LOGGING_PLAYER
)
SLEEPING_PLAYER = 'sleep 1000 &\necho $! > "{pid}"\nwait'


def played(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_aplay_plays_the_clip_into_the_alsa_file_device(speaker: TtsSpeaker, alsa_capture: Path) -> None:
    speaker.speak_and_wait("Drop your shoulders and breathe out.")
    clip = speaker.synthesize("Drop your shoulders and breathe out.")
    clip_rate, clip_samples = read_pcm(clip)
    rate, captured = read_pcm(alsa_capture)
    assert rate == clip_rate
    # ALSA pads the last period with silence; the audio itself arrives bit for bit.
    assert wav_duration(clip) <= wav_duration(alsa_capture) <= wav_duration(clip) + 0.1
    assert captured[: len(clip_samples)] == clip_samples
    assert rms(captured) == pytest.approx(rms(clip_samples), rel=0.1)


def test_speak_returns_before_playing_and_the_queue_plays_in_order(voice_cache: Path, tmp_path: Path) -> None:
    log, gate = tmp_path / "played.log", tmp_path / "gate"
    player = write_script(tmp_path / "bin", "gated-player", GATED_PLAYER.format(gate=gate, log=log))
    phrases = ["Sit up tall.", "Tuck your chin.", "Hold for five.", "Release."]
    with TtsSpeaker(VoiceSettings(), voice_cache, player=[str(player)]) as speaker:
        for text in phrases[:3]:
            speaker.speak(text)  # would never return if it waited: the player waits for the gate
        assert played(log) == []
        gate.touch()
        speaker.speak_and_wait(phrases[3], timeout_s=20)  # queued behind the others
        assert played(log) == [str(speaker.synthesize(text)) for text in phrases]


def test_speak_from_many_threads_plays_everything_each_in_its_order(
    voice_cache: Path, tmp_path: Path
) -> None:
    log = tmp_path / "played.log"
    player = write_script(tmp_path / "bin", "logging-player", LOGGING_PLAYER.format(log=log))
    with TtsSpeaker(VoiceSettings(), voice_cache, player=[str(player)]) as speaker:

        def say_all(voice: int) -> None:
            for n in range(5):
                speaker.speak(f"Voice {voice} says {n}.")

        threads = [threading.Thread(target=say_all, args=(v,)) for v in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)
        speaker.speak_and_wait("Done.", timeout_s=30)
        clips = {str(speaker.synthesize(f"Voice {v} says {n}.")): (v, n) for v in range(4) for n in range(5)}
    order = [clips[path] for path in played(log)[:-1]]
    assert sorted(order) == sorted(clips.values())
    for voice in range(4):
        assert [n for v, n in order if v == voice] == list(range(5))


def test_a_failing_player_is_a_delivery_error_with_its_words(voice_cache: Path, tmp_path: Path) -> None:
    player = write_script(tmp_path / "bin", "aplay", 'echo "aplay: device or resource busy" >&2; exit 1')
    with (
        TtsSpeaker(VoiceSettings(), voice_cache, player=[str(player), "-q"]) as speaker,
        pytest.raises(DeliveryError, match=r"aplay failed \(exit status 1\): aplay: device or resource busy"),
    ):
        speaker.speak_and_wait("Stretch.")


def test_failures_of_queued_phrases_go_to_on_error(voice_cache: Path, tmp_path: Path) -> None:
    player = write_script(tmp_path / "bin", "paplay", "exit 3")
    errors: list[DeliveryError] = []
    with TtsSpeaker(VoiceSettings(), voice_cache, player=[str(player)], on_error=errors.append) as speaker:
        speaker.speak("Stretch.")
        with pytest.raises(DeliveryError):
            speaker.speak_and_wait("Again.")  # behind the first, so its error has been reported
    assert [error.message for error in errors] == ["the audio player paplay failed (exit status 3)"]


def test_speak_and_wait_times_out_and_kills_the_player(voice_cache: Path, tmp_path: Path) -> None:
    pid_file = tmp_path / "player.pid"
    player = write_script(tmp_path / "bin", "pw-play", SLEEPING_PLAYER.format(pid=pid_file))
    with TtsSpeaker(VoiceSettings(), voice_cache, player=[str(player)], margin_s=600) as speaker:
        with pytest.raises(DeliveryError, match=r"speaking 'Breathe\.' took longer than 1 s"):
            speaker.speak_and_wait("Breathe.", timeout_s=1)
        wait_until(pid_file.exists)
        wait_until(lambda: process_gone(int(pid_file.read_text())))


def test_close_kills_a_running_player_and_drops_the_queue(voice_cache: Path, tmp_path: Path) -> None:
    pid_file = tmp_path / "player.pid"
    player = write_script(tmp_path / "bin", "aplay", SLEEPING_PLAYER.format(pid=pid_file))
    errors: list[DeliveryError] = []
    speaker = TtsSpeaker(
        VoiceSettings(), voice_cache, player=[str(player)], margin_s=600, on_error=errors.append
    )
    speaker.speak("First.")
    speaker.speak("Never played.")
    wait_until(pid_file.exists)
    speaker.close()
    wait_until(lambda: process_gone(int(pid_file.read_text())))
    wait_until(lambda: bool(errors))
    assert [error.message for error in errors] == ["the audio player aplay was stopped"]
    with pytest.raises(DeliveryError, match="closed"):
        speaker.speak("After close.")


def test_find_player_prefers_pipewire_then_pulseaudio_then_alsa(tmp_path: Path) -> None:
    folder = tmp_path / "bin"
    assert find_player(str(folder)) is None
    aplay = write_script(folder, "aplay", "exit 0")
    assert find_player(str(folder)) == [str(aplay), "-q"]
    paplay = write_script(folder, "paplay", "exit 0")
    assert find_player(str(folder)) == [str(paplay)]
    pw_play = write_script(folder, "pw-play", "exit 0")
    assert find_player(str(folder)) == [str(pw_play)]


def test_text_never_reaches_a_shell(voice_cache: Path, tmp_path: Path) -> None:
    log = tmp_path / "played.log"
    player = write_script(tmp_path / "bin", "logging-player", f'printf "%s\\n" "$#" >> "{log}"')
    with TtsSpeaker(VoiceSettings(), voice_cache, player=[str(player)]) as speaker:
        speaker.speak_and_wait('Relax"; touch pwned; echo "$(id)', timeout_s=20)
    assert played(log) == ["1"]  # one argument: the clip's path
    assert not (Path.cwd() / "pwned").exists()
