"""A real notification daemon that draws buttons: xfce4-notifyd under Xvfb (tests/xfce_desktop.py).

Notifications go out over a D-Bus connection the test owns (NotificationClient), which hears the
server's ActionInvoked and NotificationClosed for them. What is on screen is read back two ways
that must agree: the widgets' texts and rectangles through AT-SPI, and the pixels of a screenshot.
There is no OCR here (tesseract-ocr is not installed), so a label is shown to be drawn by its
pixels: dark text inside the button's rectangle, clear of its edges, and the same pixels wherever
the same label is drawn.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from calmcoach.content.tips import CATEGORY_TITLES
from calmcoach.paths import Paths
from tests.desktop import temporary_socket_dir
from tests.service.conftest import far_from_now, start_service
from tests.xfce_desktop import Image, NotificationWindow, Rect, Signal, XfceDesktop

DRANK = ("drank", "Drank a glass")
SNOOZE = ("snooze", "Snooze 15 min")
TIP_TITLES = frozenset(CATEGORY_TITLES.values())
DELIVERED = "delivered tip (tip, triggered) via notification: "
DISMISSED = 2  # NotificationClosed's reason when a person closed it (the spec's numbering)
TEXT_DARKER_THAN = 110  # the default theme draws text near-black on buttons near-white


def unique(summary: str) -> str:
    """xfce4-notifyd shows identical summaries side by side; a test finds its own by a unique one."""
    return f"{summary} {uuid.uuid4().hex[:8]}"


def ink(image: Image) -> frozenset[tuple[int, int]]:
    """Given a picture of a button, return where its text is: the pixels dark enough to be text."""
    return frozenset(
        (x, y)
        for y in range(image.height)
        for x in range(image.width)
        if max(image.pixel(x, y)) < TEXT_DARKER_THAN
    )


def bounds(points: frozenset[tuple[int, int]]) -> Rect:
    assert points, "no text drawn: the button has no pixel dark enough"
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    return Rect(min(xs), min(ys), max(xs) - min(xs) + 1, max(ys) - min(ys) + 1)


def glyphs(image: Image) -> frozenset[tuple[int, int]]:
    """Return the text's pixels relative to the text's own top-left corner: where it is drawn
    inside the button no longer matters, only what is drawn."""
    points = ink(image)
    box = bounds(points)
    return frozenset((x - box.x, y - box.y) for x, y in points)


def show(xfce: XfceDesktop, actions: list[tuple[str, str]]) -> tuple[int, NotificationWindow]:
    summary = unique("Time for water")
    with xfce.client() as client:
        notification_id = client.notify(summary, "A glass now keeps cramps away", actions)
    return notification_id, xfce.wait_for_notification(summary)


def test_it_is_xfce4_notifyd_and_it_offers_actions(xfce: XfceDesktop) -> None:
    name, vendor, _version, _spec = xfce.server_information()
    assert (name, vendor) == ("Xfce Notify Daemon", "Xfce")
    assert "actions" in xfce.capabilities()


def test_two_actions_are_drawn_as_two_labelled_buttons(xfce: XfceDesktop, tmp_path: Path) -> None:
    _, window = show(xfce, [DRANK, SNOOZE])

    # The widgets: one window (the one X has mapped), summary and body, two buttons in order.
    assert [x_window.rect for x_window in xfce.windows()] == [window.rect]
    assert window.texts[1] == "A glass now keeps cramps away"
    assert [button.label for button in window.buttons] == [DRANK[1], SNOOZE[1]]
    drank, snooze = (button.rect for button in window.buttons)
    assert window.rect.contains(drank) and window.rect.contains(snooze)
    assert drank.y == snooze.y and drank.x + drank.width < snooze.x  # one row, side by side

    # The pixels, from the PNG a test keeps: each button has text drawn inside it, clear of its
    # edges (nothing cut off), and the two texts differ.
    shot = xfce.screenshot(tmp_path / "two-buttons.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    screen = xfce.image()
    texts = []
    for rect in (drank, snooze):
        button = screen.crop(rect)
        text = bounds(ink(button))
        assert Rect(4, 4, rect.width - 8, rect.height - 8).contains(text), (rect, text)
        assert text.width > text.height * 3  # a line of words, not a dot or an icon
        texts.append(glyphs(button))
    assert texts[0] != texts[1]


def test_the_pixels_are_the_labels_they_move_with_the_label(xfce: XfceDesktop) -> None:
    """Swap the two labels: what was drawn in the first button is now drawn in the second.

    Without OCR this is what shows the pixels are the label's text, not some decoration.
    """
    _, first = show(xfce, [DRANK, SNOOZE])
    _, swapped = show(xfce, [SNOOZE, DRANK])
    screen = xfce.image()

    def drawn(window: NotificationWindow) -> dict[str, frozenset[tuple[int, int]]]:
        return {button.label: glyphs(screen.crop(button.rect)) for button in window.buttons}

    assert drawn(first) == drawn(swapped)
    assert len(set(drawn(first).values())) == 2


@pytest.mark.parametrize("action", [DRANK, SNOOZE], ids=["first", "second"])
def test_a_click_on_a_button_sends_its_key_once_to_the_sender_then_closes(
    xfce: XfceDesktop, action: tuple[str, str]
) -> None:
    summary = unique("Time for water")
    with xfce.client() as sender:
        notification_id = sender.notify(summary, "A glass now keeps cramps away", [DRANK, SNOOZE])
        xfce.click_button(action[1], summary=summary)

        sender.wait_for("NotificationClosed", notification_id)
        # Everything the server sent before it answered a later call: one action, then the close.
        assert sender.flush() == [
            Signal("ActionInvoked", (notification_id, action[0])),
            Signal("NotificationClosed", (notification_id, DISMISSED)),
        ]
    xfce.wait_until_gone(summary)
    assert xfce.windows() == []


def test_the_signals_are_broadcast_so_a_sender_must_subscribe_and_check_the_id(xfce: XfceDesktop) -> None:
    """What calmcoach's buttons will rely on: without a match rule the sender hears nothing."""
    summary = unique("Time for water")
    with xfce.client(subscribe=False) as sender, xfce.client() as bystander:
        notification_id = sender.notify(summary, "A glass now keeps cramps away", [DRANK, SNOOZE])
        xfce.click_button(DRANK[1])  # the only notification on screen: no summary needed
        bystander.wait_for("NotificationClosed", notification_id)

        assert sender.flush() == []
        assert [signal.member for signal in bystander.for_notification(notification_id)] == [
            "ActionInvoked",
            "NotificationClosed",
        ]


def test_a_daemon_that_went_away_is_started_again_for_the_next_test(xfce: XfceDesktop) -> None:
    xfce.stop_notifyd()
    assert xfce.notifications() == []

    xfce.ensure_running()  # what the `xfce` fixture does before each test
    _, window = show(xfce, [DRANK])
    assert [button.label for button in window.buttons] == [DRANK[1]]


@pytest.fixture
def short_runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A short XDG_RUNTIME_DIR for the service's control socket (108 bytes at most)."""
    with temporary_socket_dir("cc-") as folder:
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
        yield folder


def test_the_installed_calmcoach_delivers_a_reminder_to_xfce4_notifyd(
    xfce: XfceDesktop, short_runtime: Path, tmp_path: Path
) -> None:
    schedule = tmp_path / "schedule.toml"
    schedule.write_text(
        f'[settings]\ntimezone = "UTC"\n\n[[reminder]]\nname = "tip"\nkind = "tip"\n'
        f'at = ["{far_from_now()}"]\nsay = ["notification"]\n',
        encoding="utf-8",
    )
    service = start_service(Paths.from_environment(), schedule, env=xfce.env())
    try:
        triggered = service.cli("trigger", "tip")
        assert triggered.returncode == 0, triggered.stderr

        # The service logs what it delivered, summary last; the summary is the tip's category.
        log = service.wait_log(DELIVERED, timeout=15)
        summary = log.split(DELIVERED, 1)[1].splitlines()[0]
        window = xfce.wait_for_notification(summary)
    finally:
        service.stop()
    assert summary in TIP_TITLES
    assert len(window.texts) >= 2 and window.texts[1]  # the tip itself, under its title
    assert window.buttons == ()
    assert xfce.server_information()[0] == "Xfce Notify Daemon"
