"""The one thread that owns the pyttsx3 engine and turns text into a WAV file.

Traps in pyttsx3 2.99 with espeak-ng (DESIGN section 4) that shape this module:
- using the engine from several threads at once hangs the process, and the engine cannot be torn
  down and made again (espeak-ng initializes once per process; a dropped engine's destructor
  unhooks the process-wide synthesis callback): so there is one engine thread per process, shared
  by every speaker (`shared_engine()`), and it lives until the process ends;
- espeak-ng synthesizes (and even sets the rate and volume) on a thread of its own, and pyttsx3
  cancels a new phrase when it finds espeak-ng busy as the phrase starts (it then writes an empty
  file, or leaves a flag that cancels the next phrase): so the engine thread waits until espeak-ng
  is idle before and after every phrase, and synthesizes a cancelled phrase again;
- `say()` plays through `aplay` with no timeout, several `say()` before one `runAndWait()` speak only
  the last, and after `save_to_file()` a later `say()` overwrites the file: so `say()` is never
  called, only `save_to_file(text, path)` followed by `runAndWait()`, one phrase at a time;
- `runAndWait()` with nothing queued repeats the last text: every `runAndWait()` follows a
  `save_to_file()`; and on a new engine's first phrase it returns before the file is written;
- errors in queued commands (an unknown voice) are not raised but sent to `error` listeners, so
  they are collected and raised after `runAndWait()`;
- `getProperty('rate')` is unreliable (pyttsx3 binds espeak_GetParameter without its `current`
  argument, so it reads the current value or the default by chance): voice, rate and volume are
  set before every phrase and never read back;
- `setProperty()` waits in pyttsx3's own queue while its driver is busy, which it is from `init()`
  until the first phrase ends: so the settings go straight to espeak-ng (`_apply_settings`);
- `save_to_file()` prints "Audio saved to ..." on stdout, which the driver module's `print` is
  pointed away from (it would land in the middle of the terminal session).

pyttsx3 is imported inside the thread: the CLI must start without paying for it.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import queue
import sys
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calmcoach.errors import DeliveryError
from calmcoach.schedule.model import VoiceSettings

ESPEAK_LIBRARY = "libespeak-ng.so.1"  # the soname pyttsx3 2.99 loads on Linux
INIT_TIMEOUT_S = 10.0
IDLE_TIMEOUT_S = 5.0  # espeak-ng finishes a phrase's tail in milliseconds
IDLE_POLL_S = 0.001
# On a loaded machine espeak-ng's own thread can still look busy for a moment after a cancel, and
# pyttsx3 then cancels the next try too: try a few more times, each after a slightly longer pause.
RENDER_ATTEMPTS = 5
RETRY_PAUSE_S = 0.02
FINISH_TIMEOUT_S = 60.0  # callers time out sooner (SYNTH_TIMEOUT_S); this only frees the thread
NO_LIBRARY = "libespeak-ng1 is not installed: apt-get install libespeak-ng1"
NO_PYTTSX3 = "pyttsx3 is not installed in calmcoach's environment: pip install 'pyttsx3==2.99'"
NO_DATA = (
    "espeak-ng could not start; its voice data may be missing: apt-get install --reinstall espeak-ng-data"
)

_log = logging.getLogger(__name__)

# Process-wide on purpose: what it guards (pyttsx3's engine, espeak-ng's callback) is process-wide,
# and can be set up only once per process.
_SHARED_LOCK = threading.Lock()


def shared_engine() -> SpeechEngine:
    """Return the process's one SpeechEngine (its thread starts on first use and never ends)."""
    with _SHARED_LOCK:
        return _make_shared_engine()


@functools.cache
def _make_shared_engine() -> SpeechEngine:
    return SpeechEngine()


def espeak_library_loads() -> bool:
    """Return True when the dynamic loader can find and load libespeak-ng."""
    try:
        ctypes.CDLL(ESPEAK_LIBRARY)
    except OSError:
        return False
    return True


def describe_engine_failure(exc: BaseException) -> str:
    """Given what `pyttsx3.init()` raised, return why the engine cannot start and how to fix it."""
    if isinstance(exc, ImportError) and (exc.name or "").split(".")[0] == "pyttsx3":
        return NO_PYTTSX3
    if not espeak_library_loads():
        return NO_LIBRARY
    if "could not initialize espeak" in str(exc):
        return NO_DATA
    return f"pyttsx3 could not start espeak-ng: {type(exc).__name__}: {exc}"


def no_voice(voice: str | None) -> str:
    """Return the message for a voice espeak-ng does not have."""
    return f"espeak-ng has no voice {voice!r}; `calmcoach doctor --json` lists the voices it has"


def describe_render_error(exc: BaseException, voice: str | None) -> str:
    """Given an error pyttsx3 reported while synthesizing, return it in words a user can act on."""
    if "SetVoiceByName" in str(exc) or "Invalid voice name" in str(exc):
        return no_voice(voice)
    return f"espeak-ng could not synthesize speech: {type(exc).__name__}: {exc}"


@dataclass
class _Render:
    text: str
    voice: VoiceSettings
    dest: Path
    future: Future[None]


@dataclass
class _OpenEngine:
    """The engine and what its listeners have heard during the current phrase."""

    engine: Any  # pyttsx3.Engine: untyped
    espeak: Any  # pyttsx3.drivers._espeak, the ctypes binding
    default_voice: str | None
    errors: list[BaseException] = field(default_factory=list)
    outcomes: list[bool] = field(default_factory=list)  # `completed` of each finished utterance
    finished: threading.Event = field(default_factory=threading.Event)

    def listen(self) -> None:
        def on_error(exception: BaseException, **_: object) -> None:
            self.errors.append(exception)

        def on_finished(completed: bool = True, **_: object) -> None:
            self.outcomes.append(completed)
            self.finished.set()

        self.engine.connect("error", on_error)
        self.engine.connect("finished-utterance", on_finished)


class SpeechEngine:
    """A thread that owns a pyttsx3 engine; `render()` asks it for one WAV file and waits.

    Make it only through `shared_engine()`: a second one in the same process would share pyttsx3's
    engine with the first from another thread, which is what hangs."""

    def __init__(self, *, init_timeout_s: float = INIT_TIMEOUT_S) -> None:
        self._init_timeout_s = init_timeout_s
        self._requests: queue.SimpleQueue[_Render] = queue.SimpleQueue()
        self._ready = threading.Event()
        self._problem: str | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def started(self) -> bool:
        """Return whether the engine thread has been started (and so espeak-ng loaded, or tried)."""
        with self._lock:
            return self._thread is not None

    def problem(self) -> str | None:
        """Start the engine thread if needed; return None when the engine works, else why not."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="calmcoach-tts", daemon=True)
                self._thread.start()
        if not self._ready.wait(self._init_timeout_s):
            return f"the speech engine did not start within {self._init_timeout_s:g} s"
        return self._problem

    def render(self, text: str, voice: VoiceSettings, dest: Path, *, timeout_s: float) -> None:
        """Synthesize `text` with `voice` into the WAV file `dest` (which must be writable);
        raise DeliveryError when the engine cannot, or does not finish within `timeout_s`."""
        problem = self.problem()
        if problem is not None:
            raise DeliveryError(problem)
        future: Future[None] = Future()
        self._requests.put(_Render(text, voice, dest, future))
        try:
            future.result(timeout=timeout_s)
        except TimeoutError:
            future.cancel()
            # The thread is stuck inside pyttsx3 (or behind one that is) and cannot be interrupted:
            # fail fast from now on instead of queueing behind it.
            self._problem = f"espeak-ng stopped answering: synthesis took longer than {timeout_s:g} s"
            raise DeliveryError(self._problem) from None

    def _run(self) -> None:
        try:
            opened = _open_engine()
        except Exception as exc:  # whatever stops the engine from starting becomes a reason in words
            self._problem = describe_engine_failure(exc)
            self._ready.set()
            return
        self._ready.set()
        while True:  # until the process ends: the engine cannot be set up twice
            request = self._requests.get()
            if request.future.set_running_or_notify_cancel():
                self._serve(opened, request)

    @staticmethod
    def _serve(opened: _OpenEngine, request: _Render) -> None:
        try:
            _render(opened, request)
        except DeliveryError as exc:
            request.future.set_exception(exc)
        except Exception as exc:  # a failure in the engine fails this phrase, not the thread
            voice = request.voice.voice or opened.default_voice
            request.future.set_exception(DeliveryError(describe_render_error(exc, voice)))
        else:
            request.future.set_result(None)


def _open_engine() -> _OpenEngine:
    """Start pyttsx3 with espeak-ng (in the calling thread, which then owns it)."""
    import pyttsx3
    from pyttsx3.drivers import _espeak

    engine = pyttsx3.init("espeak")
    driver = sys.modules.get("pyttsx3.drivers.espeak")
    if driver is not None:
        # The driver prints a line to stdout for every saved file; shadow `print` in its module.
        driver.print = _discard  # type: ignore[attr-defined]
    # The voice espeak-ng chose at start-up (pyttsx3 remembers it on the driver class); reading the
    # engine's current voice instead would pick up whatever another speaker set last.
    default_voice = getattr(getattr(driver, "EspeakDriver", None), "_defaultVoice", None)
    if not isinstance(default_voice, str) or not default_voice:
        default_voice = engine.getProperty("voice")
    opened = _OpenEngine(engine, _espeak, default_voice)
    opened.listen()
    return opened


def _render(opened: _OpenEngine, request: _Render) -> None:
    opened.errors.clear()
    for attempt in range(RENDER_ATTEMPTS):
        if attempt:
            time.sleep(RETRY_PAUSE_S * 2 ** (attempt - 1))  # 20, 40, 80, 160 ms: 0.3 s at most
        if _render_once(opened, request):
            return
    raise DeliveryError(f"espeak-ng cancelled the phrase {RENDER_ATTEMPTS} times in a row")


def _render_once(opened: _OpenEngine, request: _Render) -> bool:
    """Synthesize the phrase once; return False when pyttsx3 cancelled it (then try again).

    pyttsx3 cancels a phrase when espeak-ng looks busy as it starts, and espeak-ng runs even
    setting the rate or volume on its own thread; a cancel is complete when it returns, so trying
    again once espeak-ng is idle is safe.
    """
    engine = opened.engine
    opened.outcomes.clear()
    opened.finished.clear()
    # Set with every attempt: espeak-ng queues a setting behind what it is doing, and a cancel
    # empties that queue, so a retry after one would speak with the settings before it. Then wait
    # until espeak-ng has taken them (it applies them on its own thread) before the phrase: a
    # cancel drops only what is still queued. That wait works only if the settings have reached
    # espeak-ng by then, which pyttsx3's setProperty() does not promise (see _apply_settings).
    voice = request.voice.voice or opened.default_voice
    _apply_settings(opened.espeak, voice, int(request.voice.rate), float(request.voice.volume))
    _wait_until_idle(opened.espeak)
    engine.save_to_file(request.text, str(request.dest))
    engine.runAndWait()
    # On an engine's first phrase runAndWait() returns before espeak-ng has even started (pyttsx3
    # runs the queued endLoop first). The file is written from espeak-ng's thread, which then
    # reports "finished-utterance": that, not runAndWait(), says the file is complete.
    if not opened.finished.wait(FINISH_TIMEOUT_S):
        raise DeliveryError(f"espeak-ng did not finish a phrase within {FINISH_TIMEOUT_S:g} s")
    _wait_until_idle(opened.espeak)
    if opened.errors:
        raise DeliveryError(
            describe_render_error(opened.errors[0], request.voice.voice or opened.default_voice)
        )
    if all(opened.outcomes):
        return True
    _log.debug("pyttsx3 cancelled %r as it started; synthesizing it again", request.text)
    return False


def _apply_settings(espeak: Any, voice: str | None, rate: int, volume: float) -> None:
    """Hand the voice, rate and volume to espeak-ng now, with the calls pyttsx3's setProperty() makes.

    Not through `engine.setProperty()`: pyttsx3 holds a setting back in its own queue while its
    driver is busy, and it is busy from `init()` until the engine's first phrase ends. On that first
    phrase the settings then reached espeak-ng inside `runAndWait()`, just before pyttsx3 asks
    espeak-ng whether it is busy and cancels if so, and the cancel dropped them while they still
    waited in espeak-ng's queue: the phrase came out at pyttsx3's start-up rate 200 and volume 1.0
    (15 in 1000 new engines under load; `doctor --test` speaks only its engine's first phrase).
    """
    if voice and espeak.SetVoiceByName(voice.encode("utf-8")) != 0:  # synchronous in espeak-ng
        raise DeliveryError(no_voice(voice))
    espeak.SetParameter(espeak.RATE, rate, 0)  # these two are queued to espeak-ng's thread
    espeak.SetParameter(espeak.VOLUME, round(volume * 100), 0)


def _wait_until_idle(espeak: Any) -> None:
    deadline = time.monotonic() + IDLE_TIMEOUT_S
    while espeak.IsPlaying():
        if time.monotonic() > deadline:
            raise DeliveryError(f"espeak-ng stayed busy for more than {IDLE_TIMEOUT_S:g} s")
        time.sleep(IDLE_POLL_S)


def _discard(*args: object, **kwargs: object) -> None:
    """Stand in for `print` in pyttsx3's espeak driver."""
