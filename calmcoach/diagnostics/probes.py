"""The doctor's questions to the machine, each bounded in time so that a dead bus, a wedged
notification daemon or a stuck sound server cannot hang `calmcoach doctor`.

plyer, dbus-python and the voice package are imported inside the functions that need them.
"""

from __future__ import annotations

import difflib
import os
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from calmcoach.diagnostics.report import Check, Need, Report
from calmcoach.errors import DeliveryError
from calmcoach.outputs.notify import PlyerNotifier, plyer_backend, probe_bus, session_bus_address
from calmcoach.paths import Paths
from calmcoach.schedule.model import VoiceSettings

BUS_TIMEOUT_S = 2.0
TTS_PROBE_TIMEOUT_S = 15.0
TEST_SPEECH_TIMEOUT_S = 20.0

TEST_TITLE = "calmcoach test"
TEST_BODY = "If you can read this, calmcoach's reminders will reach you."
TEST_PHRASE = "Hello from calmcoach. Let your shoulders drop."


def apt_install(packages: str, euid: int | None = None) -> str:
    """Given Debian packages, return the command that installs them as this user must type it:
    with sudo unless running as root (`euid`, default: this process's)."""
    root = (os.geteuid() if euid is None else euid) == 0
    return f"{'' if root else 'sudo '}apt-get install {packages}"


def pip_install(package: str) -> str:
    """Given a Python package, return the command that installs it into calmcoach's own environment."""
    return f"{shlex.quote(sys.executable)} -m pip install {package}"


FIX_BUS = (
    "run calmcoach inside your desktop session, or give your user a session bus: "
    f"{apt_install('dbus-user-session')} (then log in again)"
)
FIX_SERVER = f"{apt_install('dunst')} (or start your desktop's own notification daemon)"
FIX_STUCK_SERVER = "restart your notification daemon (or log out and in again)"
FIX_DBUS_PYTHON = f"{apt_install('libdbus-1-dev libglib2.0-dev pkg-config')} && {pip_install('dbus-python')}"
FIX_NO_BACKEND = f"{FIX_DBUS_PYTHON} (or at least: {apt_install('libnotify-bin')})"
FIX_ESPEAK = apt_install("libespeak-ng1 espeak-ng")
FIX_PLAYER = apt_install("alsa-utils")
FIX_AUDIO = (
    f"aplay -l should list a sound card; on a desktop, a sound server helps: {apt_install('pipewire-audio')}"
)


def bus_check(environ: Mapping[str, str] | None = None) -> tuple[Check, str | None]:
    """Return the session bus check and the address it found (None when there is none)."""
    address = session_bus_address(environ)
    if address is None:
        reason = "DBUS_SESSION_BUS_ADDRESS is not set, and there is no $XDG_RUNTIME_DIR/bus"
        return Check("session_bus", "session bus", False, reason, FIX_BUS, Need.NOTIFICATIONS), None
    problem = probe_bus(address, timeout_s=BUS_TIMEOUT_S)
    if problem is not None:
        return Check("session_bus", "session bus", False, problem, FIX_BUS, Need.NOTIFICATIONS), address
    return Check("session_bus", "session bus", True, address, needed_for=Need.NOTIFICATIONS), address


def server_check(notifier: PlyerNotifier, bus_ok: bool) -> tuple[Check, dict[str, str] | None]:
    """Return the notification server check and what the server said about itself."""
    title = "notification server"
    if not bus_ok:
        return Check(
            "notification_server", title, False, "not checked: no session bus", None, Need.NOTIFICATIONS
        ), None
    try:
        info = notifier.server_information()
    except DeliveryError as error:
        fix = FIX_STUCK_SERVER if "did not answer" in error.message else FIX_SERVER
        return Check("notification_server", title, False, error.message, fix, Need.NOTIFICATIONS), None
    return Check("notification_server", title, True, str(info), needed_for=Need.NOTIFICATIONS), asdict(info)


def backend_check() -> tuple[Check, str | None]:
    """Return the check of plyer's backend, and the backend's name."""
    title = "notification backend"
    backend = plyer_backend()
    if backend == "dbus":
        detail = "dbus-python: failures are reported and the timeout is honoured"
        return Check("notification_backend", title, True, detail, needed_for=Need.NOTIFICATIONS), backend
    if backend is None:
        detail = "none: plyer finds neither dbus-python nor notify-send"
        return Check("notification_backend", title, False, detail, FIX_NO_BACKEND, Need.NOTIFICATIONS), None
    # notify-send or the Flatpak portal: notifications are sent, but plyer cannot tell us when
    # they fail, so this is missing without making notifications count as broken.
    detail = f"{backend}: cannot report failures (and ignores the timeout); dbus-python is missing"
    return Check("notification_backend", title, False, detail, FIX_DBUS_PYTHON), backend


def voice_checks(voice: VoiceSettings | None = None) -> tuple[list[Check], dict[str, Any]]:
    """Return the speech engine, voices, chosen voice, player and audio output checks, and what
    they found. `voice` is the schedule's [settings.voice] (default: the built-in settings)."""
    from calmcoach.outputs.voice import NO_PLAYER, probe_tts
    from calmcoach.outputs.voice.player import choose_player, find_players, player_name

    tts = probe_tts(TTS_PROBE_TIMEOUT_S)
    checks = []
    if tts.problem is None:
        checks.append(
            Check("speech_engine", "speech engine", True, "pyttsx3 with libespeak-ng", None, Need.VOICE)
        )
        if tts.voices:
            shown = ", ".join(sample_voices(tts.voices)) + (", ..." if len(tts.voices) > 5 else "")
            checks.append(Check("voices", "voices", True, f"{len(tts.voices)} ({shown})", None, Need.VOICE))
        else:
            checks.append(
                Check("voices", "voices", False, "espeak-ng offers no voices", FIX_ESPEAK, Need.VOICE)
            )
        if voice is not None and voice.voice is not None:
            checks.append(chosen_voice_check(voice.voice, tts.voices, tts.names))
    else:
        checks.append(Check("speech_engine", "speech engine", False, tts.problem, FIX_ESPEAK, Need.VOICE))
        checks.append(Check("voices", "voices", False, "not checked: no speech engine", None, Need.VOICE))

    players = find_players()
    choice = choose_player(players)
    if not players:
        checks.append(Check("player", "audio player", False, NO_PLAYER, FIX_PLAYER, Need.VOICE))
        checks.append(
            Check("audio_output", "audio output", False, "not checked: no player", None, Need.VOICE)
        )
    elif choice.player is None:
        shown = ", ".join(player_name(argv) for argv in players)
        checks.append(Check("player", "audio player", True, shown, None, Need.VOICE))
        checks.append(Check("audio_output", "audio output", False, choice.no_sound(), FIX_AUDIO, Need.VOICE))
    else:
        checks.append(Check("player", "audio player", True, " ".join(choice.player), None, Need.VOICE))
        detail = f"{player_name(choice.player)} played a short silent clip"
        if choice.problems:
            detail += f" ({'; '.join(choice.problems)})"
        checks.append(Check("audio_output", "audio output", True, detail, needed_for=Need.VOICE))
    return checks, {"voices": list(tts.voices), "player": choice.player}


def chosen_voice_check(chosen: str, voices: Sequence[str], names: Sequence[str]) -> Check:
    """Given the schedule's `voice` and the engine's voice ids and names, return whether it has it."""
    title = "chosen voice"
    if chosen in voices or chosen in names:
        return Check("chosen_voice", title, True, f"{chosen} (from [settings.voice])", None, Need.VOICE)
    close = difflib.get_close_matches(chosen, voices, n=3, cutoff=0.4) or sample_voices(voices, 3)
    detail = f"espeak-ng has no voice {chosen!r} (set in [settings.voice])"
    fix = (
        "set voice in [settings.voice] to one of the ids `calmcoach doctor --json` lists, "
        f"such as {', '.join(close)}"
    )
    return Check("chosen_voice", title, False, detail, fix, Need.VOICE)


def sample_voices(voices: Sequence[str], count: int = 5) -> list[str]:
    """Given voice ids, return a few to show: English ones first (espeak-ng's default), then the rest."""
    return sorted(voices, key=lambda voice: ("/en" not in voice, voice))[:count]


def test_notification(notifier: PlyerNotifier) -> Check:
    """Send one real notification titled "calmcoach test"; return whether it went out."""
    title = "test notification"
    try:
        notifier.notify(TEST_TITLE, TEST_BODY, timeout_s=10)
    except DeliveryError as error:
        return Check("test_notification", title, False, error.message, None, Need.NOTIFICATIONS)
    detail = f"sent {TEST_TITLE!r}: it should be on your screen now"
    return Check("test_notification", title, True, detail, needed_for=Need.NOTIFICATIONS)


def test_voice(paths: Paths, voice: VoiceSettings | None = None) -> Check:
    """Speak one short phrase through the whole voice path (engine, cache, player), with the
    schedule's voice, rate and volume."""
    from dataclasses import replace

    from calmcoach.outputs.voice import TtsSpeaker

    title = "test voice"
    settings = replace(voice, enabled=True) if voice is not None else VoiceSettings()
    try:
        with TtsSpeaker(settings, paths.cache / "voice") as speaker:
            speaker.speak_and_wait(TEST_PHRASE, timeout_s=TEST_SPEECH_TIMEOUT_S)
    except DeliveryError as error:
        return Check("test_voice", title, False, error.message, None, Need.VOICE)
    return Check("test_voice", title, True, f"spoke {TEST_PHRASE!r}", needed_for=Need.VOICE)


def examine(
    paths: Paths,
    *,
    send_test: bool = False,
    environ: Mapping[str, str] | None = None,
    voice: VoiceSettings | None = None,
) -> Report:
    """Ask the machine every question; with `send_test`, also notify and speak for real.

    `voice` is the schedule's [settings.voice]: its voice is checked, and the test speaks with it.
    """
    notifier = PlyerNotifier(timeout_bound_s=BUS_TIMEOUT_S)
    bus, address = bus_check(environ)
    server, info = server_check(notifier, bus.ok)
    backend, backend_name = backend_check()
    speech, voice_facts = voice_checks(voice)
    from calmcoach.diagnostics.presence import presence_check

    presence, presence_facts = presence_check(environ)
    from calmcoach.diagnostics.history import history_check

    history, history_facts = history_check(paths.history_db)
    checks = [bus, server, backend, *speech, presence, history]
    if send_test:
        checks += [test_notification(notifier), test_voice(paths, voice)]
    facts = {"session_bus": address, "server": info, "backend": backend_name, **voice_facts}
    facts["presence"] = presence_facts
    facts["history"] = history_facts
    return Report(tuple(checks), facts)
