"""Drive a PlyerNotifier in a process of its own, one JSON request per stdin line.

dbus-python keeps one session-bus connection per process, so tests that need another bus (a dead
one, dunst's, one they restart) run the real notifier here, in a subprocess:

    python tests/delivery/notify_driver.py [--hide-dbus] [--bound S]

Requests: {"notify": [title, body, timeout_s]}, {"check": true}, {"info": true}, {"backend": true}.
Each is answered with one JSON line: {"ok": bool, "error": str|null, "value": ..., "elapsed": s}.
`--hide-dbus` makes `import dbus` fail, as on a machine without dbus-python.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from typing import Any


def answer(notifier: Any, request: dict[str, Any]) -> dict[str, Any]:
    from calmcoach.errors import DeliveryError

    started = time.monotonic()
    value: Any = None
    error = None
    try:
        if "notify" in request:
            title, body, timeout_s = request["notify"]
            notifier.notify(title, body, timeout_s=timeout_s)
        elif "check" in request:
            value = notifier.check()
        elif "info" in request:
            value = dataclasses.asdict(notifier.server_information())
        elif "backend" in request:
            value = notifier.backend()
    except DeliveryError as failure:
        error = failure.message
    return {"ok": error is None, "error": error, "value": value, "elapsed": time.monotonic() - started}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hide-dbus", action="store_true")
    parser.add_argument("--bound", type=float, default=2.0)
    args = parser.parse_args()
    if args.hide_dbus:
        sys.modules["dbus"] = None  # type: ignore[assignment]  # `import dbus` now raises ImportError
    from calmcoach.outputs.notify import PlyerNotifier

    notifier = PlyerNotifier(timeout_bound_s=args.bound)
    for line in sys.stdin:
        print(json.dumps(answer(notifier, json.loads(line))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
