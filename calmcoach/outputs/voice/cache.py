"""Where a synthesized phrase lives in the cache: a file named by a hash of everything that
changes the sound, so a phrase is synthesized once per (text, voice, rate, volume)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from calmcoach.schedule.model import VoiceSettings

# Bump when the processing of a clip changes (trimming, format), so old cached files are not
# reused; they are simply never looked up again.
FORMAT_VERSION = 1


def normalize_text(text: str) -> str:
    """Return `text` with runs of whitespace collapsed to one space and the ends stripped: the
    engine says both the same, so they share one cache entry."""
    return " ".join(text.split())


def cache_key(text: str, voice: VoiceSettings) -> str:
    """Given the (normalized) text and the voice settings, return a stable hex digest naming the clip."""
    fields = [FORMAT_VERSION, text, voice.voice or "", voice.rate, round(voice.volume, 4)]
    encoded = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()[:32]


def cache_path(cache_dir: Path, text: str, voice: VoiceSettings) -> Path:
    """Return the cached WAV's path for `text` spoken with `voice` under `cache_dir`."""
    return cache_dir / f"{cache_key(text, voice)}.wav"
