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
# The control socket's folder, $XDG_RUNTIME_DIR/calmcoach: made by systemd before the start, the
# user's (calmcoach removes its socket when it stops).
RuntimeDirectory=calmcoach
# Only the user may enter it (calmcoach checks this too, and makes the socket 0600).
RuntimeDirectoryMode=0700
# Hardening that a user unit really gets. Every line below is enforced by the kernel through a
# seccomp filter or a process attribute, which a user manager can set up without privileges
# (tests/systemd/ runs each one under a real `systemd --user` and shows its effect). Not used:
# the file-system and kernel sandboxing options (ProtectSystem=, PrivateTmp=, ReadWritePaths=,
# ProtectKernelTunables=, ProtectControlGroups=, ProtectHostname=, ProtectProc=, PrivateMounts=,
# ProtectHome=): a user manager applies them only with PrivateUsers=, without it they are
# silently ignored, and with it the service fails to start (226/NAMESPACE) wherever unprivileged
# user namespaces are restricted, as on Ubuntu 24.04. Nor the options that drop capabilities
# (CapabilityBoundingSet=, ProtectKernelModules=, ProtectKernelLogs=, ProtectClock=): an ordinary
# user's manager may not change the bounding set, and the service would not start
# (218/CAPABILITIES); a user service has no capabilities to drop anyway.
# calmcoach and what it starts (the audio player) can never gain privileges (setuid, file caps).
NoNewPrivileges=yes
# No creating setuid or setgid files.
RestrictSUIDSGID=yes
# The execution domain (personality) stays the native one.
LockPersonality=yes
# No memory both writable and executable (espeak-ng and ctypes callbacks work without it).
MemoryDenyWriteExecute=yes
# No new namespaces of any kind.
RestrictNamespaces=yes
# Native system calls only (no 32-bit ABI tricks).
SystemCallArchitectures=native
# Only the system calls an ordinary service needs.
SystemCallFilter=@system-service
# A call outside that list fails with EPERM instead of killing the service outright.
SystemCallErrorNumber=EPERM
# Not even those of that list that change privileges, resource limits or scheduling (so no
# real-time priority either: a reminder is never urgent to the microsecond).
SystemCallFilter=~@privileged @resources
# Local sockets (session bus, sound server, sd_notify, control socket), and TCP for a sound server
# or bus reached over the network; no raw, packet or netlink sockets.
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
# A key ring of its own: calmcoach keeps no keys, and sees none of the session's.
KeyringMode=private
# Files calmcoach creates are the user's alone (the history holds health notes).
UMask=0077

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
