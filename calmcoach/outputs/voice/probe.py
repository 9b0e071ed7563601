"""Is text-to-speech usable here, and which voices does it have? Asked in a throwaway process.

A broken speech engine can hang or crash the process that loads it; asking in a child process with
a timeout keeps `doctor` (and whoever else asks) safe. The child runs `main()`, which prints one
JSON object: {"problem": str | null, "voices": [voice ids]}.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass

from calmcoach.outputs.voice.engine import describe_engine_failure

PROBE_TIMEOUT_S = 15.0
# `-c`, not `-m`: the voice package imports this module, and runpy warns when `-m` runs a module
# its package has already imported.
CHILD_CODE = "import sys; from calmcoach.outputs.voice.probe import main; sys.exit(main())"


@dataclass(frozen=True)
class TtsProbe:
    """What the probe found: None or the reason speech cannot work, and the voice ids."""

    problem: str | None
    voices: tuple[str, ...]
    names: tuple[str, ...] = ()  # the voices' names ("English (Great Britain)"), also accepted


def probe_tts(timeout_s: float = PROBE_TIMEOUT_S) -> TtsProbe:
    """Start pyttsx3 with espeak-ng in a child process; return what it found, within `timeout_s`."""
    try:
        completed = subprocess.run(
            [sys.executable, "-c", CHILD_CODE],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return TtsProbe(f"the speech engine did not answer within {timeout_s:g} s", ())
    except OSError as exc:
        return TtsProbe(f"cannot start the speech engine check: {exc}", ())
    lines = completed.stdout.decode("utf-8", "replace").strip().splitlines()
    try:
        found = json.loads(lines[-1])
        return TtsProbe(found["problem"], tuple(found["voices"]), tuple(found.get("names", ())))
    except (IndexError, ValueError, KeyError, TypeError):
        errors = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = f": {errors[-1]}" if errors else ""
        return TtsProbe(f"the speech engine check failed (exit status {completed.returncode}){detail}", ())


def tts_check(timeout_s: float = PROBE_TIMEOUT_S) -> str | None:
    """Return None when pyttsx3 can start with libespeak-ng, else why not and how to fix it."""
    return probe_tts(timeout_s).problem


def available_voices(timeout_s: float = PROBE_TIMEOUT_S) -> list[str]:
    """Return the ids of the voices espeak-ng offers (what `voice = "..."` accepts), sorted; empty
    when the engine cannot start (`tts_check()` says why)."""
    return list(probe_tts(timeout_s).voices)


def probe_here() -> TtsProbe:
    """Start the engine in this process and list its voices (what the child process runs)."""
    try:
        import pyttsx3

        engine = pyttsx3.init("espeak")
        found = engine.getProperty("voices")
        voices = sorted(str(voice.id) for voice in found)
        names = sorted({str(voice.name) for voice in found if voice.name})
    except Exception as exc:  # whatever stops the engine becomes the reason, in words
        return TtsProbe(describe_engine_failure(exc), ())
    return TtsProbe(None, tuple(voices), tuple(names))


def main() -> int:
    found = probe_here()
    print(json.dumps({"problem": found.problem, "voices": list(found.voices), "names": list(found.names)}))
    return 0
