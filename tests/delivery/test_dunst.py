"""End to end against a real notification daemon: dunst under Xvfb, on its own private bus.

dunst merges identical notifications, so every summary here is unique. We assert on what dunst
holds (its history, through dunstctl), never on notify() returning.
"""

from __future__ import annotations

import uuid

from calmcoach.outputs.notify import escape_markup
from tests.delivery.support import NotifierProcess, rendered_text
from tests.desktop import DunstDesktop, wait_until


def find_in_history(dunst: DunstDesktop, summary: str) -> dict[str, object]:
    def found() -> dict[str, object] | None:
        return next((entry for entry in dunst.history() if entry["summary"] == summary), None)

    return wait_until(found, timeout=5, what=f"dunst to hold {summary!r}", step=0.05)


def test_dunst_receives_and_renders_what_the_notifier_sends(dunst: DunstDesktop) -> None:
    title = f"calmcoach e2e {uuid.uuid4().hex[:8]} & <friends>"
    body = "Sip <b>water</b> & relax"

    with NotifierProcess(dunst.bus.env()) as driver:
        info = driver.ask({"info": True})
        sent = driver.notify(title, body, 4)

    assert info["value"]["name"] == "dunst"
    assert sent["ok"], sent
    entry = find_in_history(dunst, title)
    assert entry["appname"] == "calmcoach"
    assert entry["body"] == escape_markup(body)
    assert entry["timeout"] == 4_000_000  # dunst counts in microseconds
    # What a person sees: dunst renders its markup, and it shows exactly our words, no tags.
    assert rendered_text(str(entry["message"])) == f"{title}\n{body}"
