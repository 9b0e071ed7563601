"""Service logs: plain lines, `<N>` priorities when stderr is journald's stream, no colours."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from calmcoach.service.logsetup import configure, stream_is_journal


@pytest.fixture(autouse=True)
def restore_loggers() -> Iterator[None]:
    saved = {
        name: (logging.getLogger(name).handlers[:], logging.getLogger(name).propagate)
        for name in ("calmcoach", "apscheduler")
    }
    yield
    for name, (handlers, propagate) in saved.items():
        logging.getLogger(name).handlers[:] = handlers
        logging.getLogger(name).propagate = propagate


def journal_env(path: Path) -> dict[str, str]:
    info = path.stat()
    return {"JOURNAL_STREAM": f"{info.st_dev}:{info.st_ino}"}


def test_journal_stream_gets_priorities_and_no_timestamps(tmp_path: Path) -> None:
    path = tmp_path / "stderr"
    with path.open("w") as stream:
        log = configure(stream, environ=journal_env(path))
        log.getChild("service").info("delivered water (hydration) via notification: Water break")
        log.warning("notification does not work")
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            log.exception("a bug")
    lines = path.read_text().splitlines()
    assert lines[0] == "<6>delivered water (hydration) via notification: Water break"
    assert lines[1] == "<4>notification does not work"
    assert lines[2] == "<3>a bug"
    assert all(line.startswith("<3>") for line in lines[3:])  # the traceback keeps its priority
    assert "RuntimeError: boom" in lines[-1]


def test_a_file_gets_time_and_level_and_no_colours(tmp_path: Path) -> None:
    path = tmp_path / "stderr"
    with path.open("w") as stream:
        configure(stream, environ={"JOURNAL_STREAM": "1:2"}).info("started")
    [line] = path.read_text().splitlines()
    assert line.endswith(" INFO started")
    assert "\x1b[" not in line


def test_stream_is_journal_needs_the_same_device_and_inode(tmp_path: Path) -> None:
    one, other = tmp_path / "one", tmp_path / "other"
    other.write_text("")
    with one.open("w") as stream:
        assert stream_is_journal(stream, journal_env(one))
        assert not stream_is_journal(stream, journal_env(other))
        assert not stream_is_journal(stream, {"JOURNAL_STREAM": "garbage"})
        assert not stream_is_journal(stream, {})


def test_apscheduler_chatter_is_quiet_unless_debugging(tmp_path: Path) -> None:
    path = tmp_path / "stderr"
    with path.open("w") as stream:
        configure(stream, environ={})
        logging.getLogger("apscheduler.scheduler").info("Added job")
        logging.getLogger("apscheduler.executors.default").warning("Run time of job was missed")
        configure(stream, debug=True, environ={})
        logging.getLogger("apscheduler.scheduler").info("Added job while debugging")
    text = path.read_text()
    assert "Added job while debugging" in text
    assert "missed" not in text and "Added job\n" not in text
