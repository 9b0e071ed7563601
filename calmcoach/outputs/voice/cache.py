"""Where a synthesized phrase lives in the cache: a file named by a hash of everything that
changes the sound, so a phrase is synthesized once per (text, voice, rate, volume).

A clip's access time says when it was last used (`mark_used` sets it on every cache hit) and its
modification time when it was made; cache_prune.py removes the least recently used first.
"""

from __future__ import annotations

import json
import os
import stat
import time
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
    # Imported here: hashlib loads OpenSSL's libcrypto, which the service needs only once it speaks.
    import hashlib

    fields = [FORMAT_VERSION, text, voice.voice or "", voice.rate, round(voice.volume, 4)]
    encoded = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()[:32]


def cache_path(cache_dir: Path, text: str, voice: VoiceSettings) -> Path:
    """Return the cached WAV's path for `text` spoken with `voice` under `cache_dir`."""
    return cache_dir / f"{cache_key(text, voice)}.wav"


def mark_used(path: Path, now_ns: int | None = None) -> bool:
    """Given a clip's path in the cache, set its access time to `now_ns` (default: now) and return
    True; return False when there is no clip there (never made, or pruned meanwhile).

    The access time is set explicitly, so mount options such as noatime make no difference; the
    modification time is kept: it still says when the clip was made.
    """
    try:
        made = path.stat()
    except OSError:  # not there, or not reachable: either way not a clip we can play
        return False
    if not stat.S_ISREG(made.st_mode):
        return False
    try:
        os.utime(path, ns=(time.time_ns() if now_ns is None else now_ns, made.st_mtime_ns))
    except FileNotFoundError:
        return False
    except OSError:
        pass  # a read-only cache still serves its clips; they just are not marked as used
    return True
