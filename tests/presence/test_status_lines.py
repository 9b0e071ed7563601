"""How `calmcoach status` shows presence: the backends, the state, what waits."""

from __future__ import annotations

from calmcoach.commands.status import presence_lines

NOW = "2026-03-02T10:00:00+00:00"


def test_off_or_choosing_or_none() -> None:
    assert presence_lines(None, NOW) == ["", "Presence: off; reminders come whether you are away or busy."]
    assert presence_lines({"backends": "choosing"}, NOW)[1].startswith("Presence: still looking")
    none = {"backends": {"idle": None, "lock": None, "dnd": []}, "state": "unknown"}
    assert presence_lines(none, NOW)[1] == (
        "Presence: none works here; reminders come whether you are away or busy."
    )


def test_state_backends_and_waiting() -> None:
    presence = {
        "backends": {"idle": "mutter", "lock": "logind", "dnd": ["gnome show-banners"]},
        "state": "away",
        "away_since": "2026-03-02T09:41:00+00:00",
        "waiting": ["caffeine-cutoff"],
    }
    assert presence_lines(presence, NOW) == [
        "",
        "Presence: you are away (since 09:41)",
        "  idle time from mutter, lock and sleep from logind, do-not-disturb from gnome show-banners",
        "  waiting until you are back or free: caffeine-cutoff",
    ]
