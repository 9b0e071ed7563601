"""TtsSpeaker: the Speaker that synthesizes with pyttsx3 (espeak-ng) and plays with a subprocess.

Two threads, both started on first use (`check()` starts neither):
- the engine thread (engine.py) owns pyttsx3 and writes one WAV per phrase; there is one per
  process, shared by all speakers, because pyttsx3 and espeak-ng cannot be set up twice;
- each speaker's playback thread takes phrases from the speak queue in order, gets their clip (from the cache,
  or from the engine thread) and runs the player, killing it when it overruns.
Both are daemon threads: a speech engine stuck inside C code must not keep the process alive.
"""

from __future__ import annotations

import logging
import os
import queue
import tempfile
import threading
import wave
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, Future
from dataclasses import dataclass, field
from pathlib import Path

from calmcoach.errors import DeliveryError
from calmcoach.outputs.voice.cache import cache_path, mark_used, normalize_text
from calmcoach.outputs.voice.cache_prune import prune_quietly
from calmcoach.outputs.voice.engine import shared_engine
from calmcoach.outputs.voice.player import (
    NO_PLAYER,
    PlayerChoice,
    PlayerFailed,
    PlayerProcess,
    choose_player,
    find_players,
)
from calmcoach.outputs.voice.probe import probe_tts
from calmcoach.outputs.wavtools import read_pcm, trim_silence, wav_duration, write_pcm
from calmcoach.schedule.model import VoiceSettings

PLAYER_MARGIN_S = 2.0  # a player may take this long beyond the clip (start-up, a busy server)
SYNTH_TIMEOUT_S = 10.0  # espeak-ng needs about 10 ms for a short phrase; this means it is stuck
SYNTH_TIMEOUT_PER_CHAR_S = 0.01
JOIN_TIMEOUT_S = 2.0

_log = logging.getLogger(__name__)


def _log_error(error: DeliveryError) -> None:
    _log.warning("could not speak: %s", error.message)


@dataclass
class _Job:
    """One phrase in the speak queue; `abort` stops it once it has started."""

    text: str
    report: bool  # True for speak(): nobody waits, so failures go to on_error
    future: Future[None] = field(default_factory=Future)
    abort: threading.Event = field(default_factory=threading.Event)


class TtsSpeaker:
    """Speaks text with espeak-ng through pyttsx3, caching each phrase as a trimmed WAV file.

    `player` is the player's argv prefix (the WAV path is appended); None takes every player on
    PATH (`find_players`), tried in order until one plays, and the one that played first from then
    on. `on_error` hears failures of `speak()` phrases, which nobody waits for
    (default: a warning in the log). Clips are mono 16-bit PCM at the engine's rate, 22050 Hz.
    """

    def __init__(
        self,
        voice: VoiceSettings,
        cache_dir: Path,
        *,
        player: Sequence[str] | None = None,
        margin_s: float = PLAYER_MARGIN_S,
        synth_timeout_s: float = SYNTH_TIMEOUT_S,
        on_error: Callable[[DeliveryError], None] | None = None,
    ) -> None:
        self._voice = voice
        self._cache_dir = cache_dir
        # In order of preference; the one that last played comes first (see `_play`).
        self._players = ([list(player)] if player else []) if player is not None else find_players()
        self._margin_s = margin_s
        self._synth_timeout_s = synth_timeout_s
        self._on_error = on_error or _log_error
        self._engine = shared_engine()
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()  # guards the fields below
        self._thread: threading.Thread | None = None
        self._playing: tuple[_Job, PlayerProcess] | None = None
        self._closed = False
        prune_quietly(cache_dir)  # once per speaker, before it plays anything: never per phrase

    @property
    def player(self) -> list[str] | None:
        """The player's argv prefix (the one that last played, else the first found), or None."""
        with self._lock:
            return list(self._players[0]) if self._players else None

    def choose_player(self) -> PlayerChoice:
        """Play a short silent clip through this speaker's players in order until one plays it;
        make that one the speaker's first choice and return it, with why the others failed."""
        with self._lock:
            candidates = [list(argv) for argv in self._players]
        choice = choose_player(candidates)
        if choice.player is not None:
            self._prefer(choice.player)
        return choice

    def check(self) -> str | None:
        """Return None when speech can be synthesized and played here, else why not.

        Until this process has started its engine, a child process answers (`probe_tts`: it loads
        pyttsx3 and espeak-ng the same way, then exits): checking must not load espeak-ng, its
        audio libraries and voice data (about 5 MiB) into a long-running service that may not
        speak for hours. Once the engine runs here, its own state answers (a wedged engine too).
        """
        if self._closed:
            return "the speaker is closed"
        problem = self._engine.problem() if self._engine.started() else probe_tts().problem
        if problem is not None:
            return problem
        return NO_PLAYER if not self._players else None

    def warm(self) -> None:
        """Start the speech engine now (pyttsx3 and espeak-ng load on its thread), ahead of the first
        phrase; raise DeliveryError when it cannot start.

        The service calls this a few seconds before its first spoken reminder: until then espeak-ng
        stays out of the process (see `check`), and the phrase itself is not known yet (it is worded
        when the reminder fires). With the engine running, a phrase takes about 10-15 ms to
        synthesize, the same for the first as for the later ones (measured with espeak-ng 1.51).
        """
        if self._closed:
            raise DeliveryError("the speaker is closed")
        problem = self._engine.problem()
        if problem is not None:
            raise DeliveryError(problem)

    def synthesize(self, text: str) -> Path:
        """Return a cached mono 16-bit WAV of `text`, trimmed of leading and trailing silence,
        synthesizing it first when it is not cached yet."""
        if self._closed:
            raise DeliveryError("the speaker is closed")
        words = normalize_text(text)
        if not words:
            raise DeliveryError("nothing to say: the text is empty")
        path = cache_path(self._cache_dir, words, self._voice)
        if mark_used(path):  # a hit: now the most recently used clip, the last to be pruned
            return path
        try:
            self._cache_dir.mkdir(parents=True, exist_ok=True)
            # The engine writes to a file we have already created: pyttsx3 hangs when it cannot
            # write (the error is raised inside a C callback and its loop never ends).
            fd, raw_name = tempfile.mkstemp(prefix=".raw-", suffix=".wav", dir=self._cache_dir)
            os.close(fd)
        except OSError as exc:
            raise DeliveryError(f"cannot write to the voice cache {self._cache_dir}: {exc}") from exc
        raw = Path(raw_name)
        try:
            timeout_s = self._synth_timeout_s + SYNTH_TIMEOUT_PER_CHAR_S * len(words)
            self._engine.render(words, self._voice, raw, timeout_s=timeout_s)
            self._store(raw, path, words)
        finally:
            raw.unlink(missing_ok=True)
        return path

    def speak(self, text: str) -> None:
        """Queue `text` to be spoken and return at once; failures go to `on_error`."""
        self._submit(text, report=True)

    def speak_and_wait(self, text: str, timeout_s: float | None = None) -> None:
        """Speak `text` after what is already queued and return when it has been played; raise
        DeliveryError when it could not be synthesized or played, or took longer than `timeout_s`."""
        job = self._submit(text, report=False)
        try:
            job.future.result(timeout=timeout_s)
        except TimeoutError:
            self._abort(job)
            raise DeliveryError(f"speaking {_short(text)!r} took longer than {timeout_s:g} s") from None
        except CancelledError:
            raise DeliveryError("the speaker was closed before it could speak") from None

    def close(self) -> None:
        """Stop the speech threads, dropping queued phrases and killing any player still running."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            playing, thread = self._playing, self._thread
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                job.future.cancel()
        self._jobs.put(None)
        if playing is not None:
            playing[1].kill()
        if thread is not None:
            thread.join(JOIN_TIMEOUT_S)

    def __enter__(self) -> TtsSpeaker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _store(self, raw: Path, path: Path, words: str) -> None:
        """Trim the engine's output and move it into the cache under its final name."""
        try:
            rate, samples = read_pcm(raw)
        except (OSError, EOFError, wave.Error) as exc:
            detail = f"{type(exc).__name__}: {exc}".rstrip(": ")
            raise DeliveryError(
                f"espeak-ng wrote an unreadable WAV for {_short(words)!r} ({detail})"
            ) from exc
        if not samples:
            raise DeliveryError(f"espeak-ng produced no audio for {_short(words)!r}")
        try:
            write_pcm(path, rate, trim_silence(samples, rate))
        except OSError as exc:
            raise DeliveryError(f"cannot write to the voice cache {self._cache_dir}: {exc}") from exc

    def _submit(self, text: str, *, report: bool) -> _Job:
        job = _Job(text, report)
        with self._lock:
            if self._closed:
                raise DeliveryError("the speaker is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._play_queue, name="calmcoach-voice", daemon=True)
                self._thread.start()
            self._jobs.put(job)
        return job

    def _play_queue(self) -> None:
        while (job := self._jobs.get()) is not None:
            if not job.future.set_running_or_notify_cancel():
                continue
            try:
                self._play(job)
            except DeliveryError as exc:
                job.future.set_exception(exc)
                if job.report:
                    self._on_error(exc)
            except Exception as exc:  # anything else fails this phrase, not the whole queue
                error = DeliveryError(f"could not speak {_short(job.text)!r}: {type(exc).__name__}: {exc}")
                job.future.set_exception(error)
                if job.report:
                    self._on_error(error)
            else:
                job.future.set_result(None)

    def _play(self, job: _Job) -> None:
        with self._lock:
            candidates = [list(argv) for argv in self._players]
        if not candidates:
            raise DeliveryError(NO_PLAYER)
        path = self.synthesize(job.text)
        clip_s = wav_duration(path)
        failures: list[str] = []
        for argv in candidates:
            with self._lock:
                if self._closed or job.abort.is_set():
                    raise DeliveryError(f"stopped before speaking {_short(job.text)!r}")
                try:
                    process = PlayerProcess(argv, path)
                except PlayerFailed as error:
                    failures.append(error.message)
                    continue
                self._playing = (job, process)
            try:
                process.wait(clip_s + self._margin_s, clip_s)
            except PlayerFailed as error:
                failures.append(error.message)
                continue
            finally:
                with self._lock:
                    self._playing = None
            if failures:
                self._prefer(argv)
                _log.info("speaking through %s: %s", argv[0], "; ".join(failures))
            return
        if len(failures) == 1:
            raise DeliveryError(failures[0])
        raise DeliveryError("no audio player could play: " + "; ".join(failures))

    def _prefer(self, argv: list[str]) -> None:
        """Make `argv` the first player tried, keeping the others in their order after it."""
        with self._lock:
            self._players = [argv, *(other for other in self._players if other != argv)]

    def _abort(self, job: _Job) -> None:
        """Stop `job`: drop it if it has not started, else kill its player once it has one."""
        if job.future.cancel():
            return
        job.abort.set()
        with self._lock:
            if self._playing is not None and self._playing[0] is job:
                self._playing[1].kill()


def _short(text: str, limit: int = 40) -> str:
    """Return `text` cut to `limit` characters for messages."""
    words = normalize_text(text)
    return words if len(words) <= limit else words[: limit - 1] + "…"
