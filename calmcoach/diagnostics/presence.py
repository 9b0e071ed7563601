"""The doctor's presence question: which backends tell here whether the person is away or busy.

Nothing fails without presence (reminders then come regardless), so the check is "worth knowing"
(no `needed_for`), with what would make it work where nothing does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from calmcoach.diagnostics.report import Check

FIX_PRESENCE = (
    "on GNOME this works by itself; on other X11 desktops: apt-get install xprintidle; "
    "lock and sleep need logind (systemd) on the system bus"
)


def presence_check(environ: Mapping[str, str] | None = None) -> tuple[Check, dict[str, Any]]:
    """Return the presence check (every D-Bus call bounded) and the backends' names and gaps."""
    from calmcoach.presence.monitor import choose

    backends = choose(environ)
    try:
        names = backends.names()
    finally:
        backends.close()
    dnd = ", ".join(names["dnd"]) or "nothing"
    detail = (
        f"idle time from {names['idle'] or 'nothing'}, lock and sleep from {names['lock'] or 'nothing'}, "
        f"do-not-disturb from {dnd}"
    )
    if not backends.any:
        detail = "cannot tell whether you are away or busy: reminders come regardless"
    fix = FIX_PRESENCE if not (names["idle"] and names["lock"]) else None
    ok = backends.any
    return Check("presence", "presence", ok, detail, fix), {**names, "missing": list(backends.missing)}
