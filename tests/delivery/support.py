"""Helpers for the delivery tests: a notifier in a subprocess, and reading rendered markup."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.desktop import die_with_parent, read_line, stop_process

DRIVER = Path(__file__).with_name("notify_driver.py")


class NotifierProcess:
    """A real PlyerNotifier in a subprocess with its own environment (and so its own bus)."""

    def __init__(self, env: Mapping[str, str], *, hide_dbus: bool = False, bound_s: float = 2.0) -> None:
        argv = [sys.executable, str(DRIVER), "--bound", str(bound_s)]
        if hide_dbus:
            argv.append("--hide-dbus")
        self.process = subprocess.Popen(
            argv,
            env=dict(env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=die_with_parent,  # noqa: PLW1509 - tests fork from the main thread only
        )

    def ask(self, request: dict[str, Any], *, timeout: float = 10.0) -> dict[str, Any]:
        """Send one request and return the driver's answer (raise if none comes within timeout)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = read_line(self.process.stdout, timeout=timeout, what="the notifier driver")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def notify(self, title: str, body: str, timeout_s: float = 10.0) -> dict[str, Any]:
        return self.ask({"notify": [title, body, timeout_s]})

    def close(self) -> str:
        """Stop the driver; return what it wrote on stderr."""
        assert self.process.stdin is not None and self.process.stderr is not None
        self.process.stdin.close()
        self.process.wait(10)
        errors = self.process.stderr.read()
        stop_process(self.process)
        return errors

    def __enter__(self) -> NotifierProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        stop_process(self.process)


def rendered_text(markup: str) -> str:
    """Given Pango-style markup as a server renders it, return the text a person would see."""
    return html.unescape(re.sub(r"<[^>]*>", "", markup))
