"""The spoken voice: pyttsx3 with espeak-ng to synthesize, a player subprocess to play.

    from calmcoach.outputs.voice import TtsSpeaker
    speaker = TtsSpeaker(settings.voice, ctx.paths.cache / "voice")
    speaker.speak("Time for a glass of water.")   # queued; returns at once
    speaker.close()

Clips are cached mono 16-bit PCM WAV files at the engine's rate (22050 Hz with espeak-ng), with
speech starting within a few milliseconds of the file's start; `wav_duration` and
`calmcoach.outputs.wavtools.read_pcm` read them back for mixing. Nothing here imports pyttsx3 at
module import time.
"""

from __future__ import annotations

from calmcoach.outputs.voice.player import NO_PLAYER, PLAYER_CANDIDATES, find_player
from calmcoach.outputs.voice.probe import TtsProbe, available_voices, probe_tts, tts_check
from calmcoach.outputs.voice.speaker import TtsSpeaker
from calmcoach.outputs.wavtools import read_pcm, wav_duration

__all__ = [
    "NO_PLAYER",
    "PLAYER_CANDIDATES",
    "TtsProbe",
    "TtsSpeaker",
    "available_voices",
    "find_player",
    "probe_tts",
    "read_pcm",
    "tts_check",
    "wav_duration",
]
