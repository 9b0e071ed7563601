"""The service's outputs hand freed memory back after their start-up check and after each delivery.

How much that saves is a figure for benchmarks/service.py (idle RSS), not for a unit test; here:
that it happens, in that order, and that glibc's call is really made.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass

from calmcoach.outputs import Message
from calmcoach.outputs.delivery import Deliverer
from calmcoach.paths import Paths
from calmcoach.schedule.model import Channel, VoiceSettings
from calmcoach.service.outputs import ServiceOutputs, release_free_memory
from tests.delivery.fakes import FakeDisplay, FakeSpeaker

WATER = Message("Water", "Drink a glass of water.", "Time for a glass of water.")


@dataclass
class Recorder:
    """A notifier that writes what happens into one shared list, as the release does."""

    events: list[str]

    def check(self) -> str | None:
        self.events.append("check")
        return None

    def notify(self, title: str, body: str, *, timeout_s: float = 10.0) -> None:
        self.events.append(f"notify {title}")

    def release(self) -> None:
        self.events.append("release")


def outputs_with(recorder: Recorder, paths: Paths) -> ServiceOutputs:
    deliverer = Deliverer(recorder, FakeSpeaker(), FakeDisplay(), lambda line: None)
    return ServiceOutputs(deliverer, VoiceSettings(), paths, release_memory=recorder.release)


def test_memory_is_released_after_the_start_up_check_and_after_each_delivery(paths: Paths) -> None:
    recorder = Recorder([])
    outputs = outputs_with(recorder, paths)

    outputs.probe()
    assert recorder.events == ["check", "release"]
    assert outputs.deliver(WATER, [Channel.NOTIFICATION]) == ["notification"]
    assert outputs.deliver(WATER, [Channel.VOICE]) == ["voice"]
    assert recorder.events == ["check", "release", "notify Water", "release", "release"]


def test_glibc_trims_its_heaps() -> None:
    assert platform.libc_ver()[0] == "glibc"  # the machines calmcoach is tested on
    assert release_free_memory() is True
