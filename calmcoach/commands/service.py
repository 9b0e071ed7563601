"""`calmcoach service install | uninstall | status`: the systemd user unit that runs `calmcoach run`."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from calmcoach.context import Context
from calmcoach.errors import EXIT_FAILURE, EXIT_OK, CalmcoachError

SYSTEMCTL_TIMEOUT_S = 30.0
# `systemctl --user is-system-running` answers with one of these when a user manager is there.
MANAGER_STATES = frozenset({"initializing", "starting", "running", "degraded", "maintenance", "stopping"})


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "service",
        help="install, remove or inspect the systemd user service",
        description="Set calmcoach up as a systemd user service that starts with your desktop "
        "session. Without systemd, print exactly what to do instead.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    install = actions.add_parser(
        "install", help="write the unit and enable it (systemctl --user enable --now)"
    )
    install.add_argument("--print", action="store_true", help="print the unit instead of installing it")
    install.set_defaults(func=run_install)
    uninstall = actions.add_parser("uninstall", help="stop and disable the service and remove the unit")
    uninstall.set_defaults(func=run_uninstall)
    status = actions.add_parser("status", help="show whether the unit is installed, enabled and running")
    status.add_argument("--json", action="store_true", help="print the findings as JSON")
    status.set_defaults(func=run_status)


# -- helpers -----------------------------------------------------------------------------------


def unit_path() -> Path:
    from calmcoach.service.unit import UNIT_NAME, user_unit_dir

    return user_unit_dir(Path.home()) / UNIT_NAME


def systemd_available() -> tuple[bool, str]:
    """Return whether a systemd user manager can be asked, and in words why not."""
    if shutil.which("systemctl") is None:
        return False, "systemctl is not installed"
    try:
        answer = subprocess.run(
            ["systemctl", "--user", "is-system-running"],
            capture_output=True,
            text=True,
            timeout=SYSTEMCTL_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, f"systemctl --user did not answer: {error}"
    state = answer.stdout.strip()
    if state in MANAGER_STATES:
        return True, state
    reason = (answer.stderr.strip() or state or "no answer").splitlines()[0]
    if not Path("/run/systemd/system").is_dir():
        return False, f"this system was not booted with systemd ({reason})"
    return False, f"no systemd user manager is reachable ({reason})"


def systemctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemctl", "--user", *args],
        capture_output=True,
        text=True,
        timeout=SYSTEMCTL_TIMEOUT_S,
        check=False,
    )


def _run_all(ctx: Context, steps: list[list[str]]) -> bool:
    """Given systemctl argument lists, run them in order; print each; stop at the first failure."""
    for args in steps:
        ctx.out(f"$ systemctl --user {' '.join(args)}")
        result = systemctl(*args)
        if result.returncode != 0:
            words = " ".join(args)
            ctx.warn(f"`systemctl --user {words}` failed (exit {result.returncode}): {result.stderr.strip()}")
            return False
    return True


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    Path(tmp).chmod(0o644)
    Path(tmp).replace(path)


# -- install -----------------------------------------------------------------------------------


def run_install(args: argparse.Namespace, ctx: Context) -> int:
    from calmcoach.service.unit import UNIT_NAME, installed_command, render

    command = installed_command()
    if command is None:
        raise CalmcoachError(
            "cannot find the installed `calmcoach` command for the unit's ExecStart; install calmcoach "
            "(for example with `pipx install calmcoach`) so that `calmcoach` is on your PATH"
        )
    unit = render(str(command))
    if args.print:
        ctx.stdout.write(unit)
        return EXIT_OK
    path = unit_path()
    _write_atomically(path, unit)
    ctx.out(f"Wrote {path} (ExecStart={command} run).")
    available, why = systemd_available()
    steps = [["daemon-reload"], ["enable", "--now", UNIT_NAME]]
    if not available:
        ctx.out(f"systemd is not available here: {why}.")
        ctx.out("When you are in a desktop session with systemd, run:")
        for step in steps:
            ctx.out(f"  systemctl --user {' '.join(step)}")
        ctx.out("Or start the service by hand (for example from your desktop's autostart):")
        ctx.out(f"  {command} run")
        return EXIT_OK
    if not _run_all(ctx, steps):
        return EXIT_FAILURE
    ctx.out("calmcoach is enabled and started. `calmcoach status` shows what comes next;")
    ctx.out(f"`journalctl --user -u {UNIT_NAME}` shows its log.")
    return EXIT_OK


# -- uninstall ---------------------------------------------------------------------------------


def run_uninstall(args: argparse.Namespace, ctx: Context) -> int:
    from calmcoach.service.unit import UNIT_NAME

    path = unit_path()
    available, why = systemd_available()
    if available and path.exists() and not _run_all(ctx, [["disable", "--now", UNIT_NAME]]):
        return EXIT_FAILURE
    if path.exists():
        path.unlink()
        ctx.out(f"Removed {path}.")
    else:
        ctx.out(f"No unit at {path}; nothing to remove.")
    if available:
        return EXIT_OK if _run_all(ctx, [["daemon-reload"]]) else EXIT_FAILURE
    ctx.out(f"systemd is not available here ({why}); if a calmcoach service still runs, stop it with:")
    ctx.out(f"  systemctl --user disable --now {UNIT_NAME}   (in a session with systemd)")
    ctx.out("  or end the `calmcoach run` process (`calmcoach status` shows its pid)")
    return EXIT_OK


# -- status ------------------------------------------------------------------------------------


def _exec_start(text: str) -> str | None:
    for line in text.splitlines():
        if line.startswith("ExecStart="):
            return line.removeprefix("ExecStart=")
    return None


def findings(ctx: Context) -> dict[str, Any]:
    from calmcoach.service.lock import socket_answers
    from calmcoach.service.unit import UNIT_NAME, installed_command, render

    path = unit_path()
    installed = path.is_file()
    text = path.read_text(encoding="utf-8") if installed else ""
    command = installed_command()
    current = bool(installed and command is not None and text == render(str(command)))
    available, why = systemd_available()
    enabled = active = None
    if available:
        enabled = systemctl("is-enabled", UNIT_NAME).stdout.strip() or None
        active = systemctl("is-active", UNIT_NAME).stdout.strip() or None
    return {
        "unit": str(path),
        "installed": installed,
        "up_to_date": current,
        "exec_start": _exec_start(text) if installed else None,
        "command": str(command) if command else None,
        "systemd": available,
        "systemd_detail": why,
        "enabled": enabled,
        "active": active,
        "running": socket_answers(ctx.paths.control_socket),
    }


def run_status(args: argparse.Namespace, ctx: Context) -> int:
    found = findings(ctx)
    if args.json:
        ctx.out(json.dumps(found, indent=2))
    else:
        if not found["installed"]:
            ctx.out(f"Unit: not installed ({found['unit']}); `calmcoach service install` installs it.")
        elif found["up_to_date"]:
            ctx.out(f"Unit: {found['unit']} (ExecStart={found['exec_start']})")
        else:
            ctx.out(
                f"Unit: {found['unit']} is not the one this calmcoach would write "
                f"(ExecStart={found['exec_start']}); `calmcoach service install` updates it."
            )
        if found["systemd"]:
            # `systemctl is-enabled` prints nothing for a unit it has no file for.
            ctx.out(f"systemd: enabled: {found['enabled'] or 'no'}, active: {found['active'] or 'no'}")
        else:
            ctx.out(f"systemd: not available ({found['systemd_detail']})")
        ctx.out(
            "Service: running (`calmcoach status` for more)" if found["running"] else "Service: not running"
        )
    return EXIT_OK if found["running"] else EXIT_FAILURE
