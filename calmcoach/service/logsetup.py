"""Logging for the service: one plain line per event on stderr, shaped for where stderr goes.

Under systemd, stderr is a stream to journald (`$JOURNAL_STREAM` names its device and inode):
lines start with a `<N>` syslog priority, which journald turns into the entry's priority, and
carry no timestamp, since journald adds its own. On a terminal or in a file, lines start with the
local time and the level. Never colours: journald and files would keep the escape codes.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TextIO

# sd-daemon(3): <3> error, <4> warning, <5> notice, <6> info, <7> debug.
_PRIORITY = {logging.CRITICAL: 2, logging.ERROR: 3, logging.WARNING: 4, logging.INFO: 6, logging.DEBUG: 7}


def stream_is_journal(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Given stderr and the environment, return whether stderr is connected to journald."""
    value = environ.get("JOURNAL_STREAM", "")
    device, _, inode = value.partition(":")
    if not (device.isdigit() and inode.isdigit()):
        return False
    try:
        info = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return info.st_dev == int(device) and info.st_ino == int(inode)


class JournalFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        priority = _PRIORITY.get(record.levelno, 6)
        text = super().format(record)
        # A traceback spans several lines: give each its priority so journald keeps them together.
        return "\n".join(f"<{priority}>{line}" for line in text.splitlines())


def configure(
    stream: TextIO, *, debug: bool = False, environ: Mapping[str, str] | None = None
) -> logging.Logger:
    """Given the stream to log to, set up the `calmcoach` logger and return it.

    APScheduler's own chatter ("Running job ...") is kept at WARNING unless debugging: our log
    says what was delivered and what was skipped, in our own words.
    """
    env = os.environ if environ is None else environ
    handler = logging.StreamHandler(stream)
    if stream_is_journal(stream, env):
        handler.setFormatter(JournalFormatter("%(message)s"))
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(message)s", datefmt="%Y-%m-%d %H:%M:%S")
        )
    for name in ("calmcoach", "apscheduler"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.propagate = False
    logging.getLogger("calmcoach").setLevel(logging.DEBUG if debug else logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.DEBUG if debug else logging.WARNING)
    # Missed runs are logged by our listener with the reminder's name and grace; not twice.
    logging.getLogger("apscheduler.executors").setLevel(logging.DEBUG if debug else logging.ERROR)
    return logging.getLogger("calmcoach")
