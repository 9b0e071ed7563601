"""The systemd user unit, rendered with the path of the installed `calmcoach`.

`systemd/calmcoach.service` in the repository is this template rendered with
`%h/.local/bin/calmcoach` (where `pipx` and `pip install --user` put the command); a test keeps the
two identical. `calmcoach service install` renders it with the real path of the command that runs.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

UNIT_NAME = "calmcoach.service"
DEFAULT_EXEC = "%h/.local/bin/calmcoach"

TEMPLATE = """\
# calmcoach: water, caffeine, stretch and breathing reminders, as a systemd user service.
# Install it with `calmcoach service install` (which fills in the path below), or copy it to
# ~/.config/systemd/user/ and run `systemctl --user daemon-reload && systemctl --user enable --now calmcoach`.

[Unit]
# What `systemctl --user status calmcoach` shows as the service's name.
Description=calmcoach reminders for water, caffeine, stretching and calm breathing
# Stop with the desktop session: notifications need the session's bus and display.
PartOf=graphical-session.target
# Start only once the desktop session is up, so the first notification has somewhere to go.
After=graphical-session.target

[Service]
# calmcoach tells systemd when it is ready (READY=1) over the sd_notify socket.
Type=notify
# Only the main process may send sd_notify messages.
NotifyAccess=main
# The service itself, in the foreground, with the schedule from ~/.config/calmcoach/.
ExecStart={exec_start} run
# `systemctl --user reload calmcoach` re-reads the schedule files (SIGHUP), like `calmcoach reload`.
ExecReload=/bin/kill -HUP $MAINPID
# calmcoach pings the watchdog every half of this; if it hangs, systemd restarts it.
WatchdogSec=60
# Restart after a crash or a watchdog timeout, not after a clean stop.
Restart=on-failure
# Wait a little before restarting, so a broken set-up does not spin.
RestartSec=10
# calmcoach stops within 2 seconds of SIGTERM; anything slower is a hang worth killing.
TimeoutStopSec=10
# Logs go to stderr, which journald reads: `journalctl --user -u calmcoach`.
StandardError=journal

[Install]
# Start with every desktop session once enabled.
WantedBy=graphical-session.target
"""


def systemd_quote(path: str) -> str:
    """Given a path, return it as one ExecStart word: `%` and `$` doubled (systemd expands both
    specifiers and variables there), quoted if it has spaces."""
    text = path.replace("%", "%%").replace("$", "$$") if path != DEFAULT_EXEC else path
    if any(c.isspace() for c in text) or '"' in text or "\\" in text:
        text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def render(exec_path: str = DEFAULT_EXEC) -> str:
    """Given the path of the calmcoach command (a literal path, or the %h default), return the unit."""
    return TEMPLATE.replace("{exec_start}", systemd_quote(exec_path))


def installed_command(argv0: str | None = None) -> Path | None:
    """Return the absolute path of the `calmcoach` command that is running, or the one on PATH.

    `sys.argv[0]` is the console script when started as `calmcoach`; under `python -m` it is
    `__main__.py`, which systemd cannot run, so then the command on PATH is used.
    """
    first = sys.argv[0] if argv0 is None else argv0
    if first and Path(first).name == "calmcoach":
        candidate = Path(first) if os.sep in first else Path(shutil.which(first) or first)
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate.resolve()
    found = shutil.which("calmcoach")
    return Path(found).resolve() if found else None


def user_unit_dir(home: Path, environ: dict[str, str] | None = None) -> Path:
    """Given the home folder, return ~/.config/systemd/user (or under $XDG_CONFIG_HOME)."""
    env = dict(os.environ) if environ is None else environ
    config = env.get("XDG_CONFIG_HOME") or str(home / ".config")
    return Path(config) / "systemd" / "user"
