"""Random bytes and random JSON to the control socket of a real in-process service: every answer
is one well-formed JSON line (or the connection closes), never an internal error, and the service
keeps answering `status` afterwards.

The service is the real `Service` (lock, socket, scheduler, state file) on a fake clock and fake
outputs, started once per test; hypothesis sends its examples to it one connection each.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calmcoach.paths import Paths
from calmcoach.service.control import MAX_MESSAGE, ControlClient
from calmcoach.service.daemon import Service, ServiceOptions
from tests.service.conftest import far_from_now
from tests.service.fakes import FakeClock, FakeOutputs

FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
SCHEDULE = """\
[settings]
timezone = "UTC"

[[reminder]]
name = "water"
kind = "hydration"
at = ["{never}"]
"""
COMMANDS = ["status", "pause", "resume", "snooze", "trigger", "reload"]


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    runtime = Path(tempfile.mkdtemp(prefix="cc-fz-"))  # short: a socket path must fit in 108 bytes
    paths = Paths(
        config=tmp_path / "config", state=tmp_path / "state", cache=tmp_path / "cache", runtime=runtime
    )
    schedule = tmp_path / "s.toml"
    # The scheduler plans the first run from the real clock, not the fake one: 12 hours away.
    schedule.write_text(SCHEDULE.format(never=far_from_now()))
    outputs = FakeOutputs()
    svc = Service(
        paths,
        FakeClock(datetime(2099, 5, 6, 10, 0, tzinfo=UTC)),  # its pauses and snoozes lie far ahead
        ServiceOptions(schedule_given=[schedule]),
        outputs_factory=lambda _: outputs,
    )
    svc.start()
    yield svc
    svc.shutdown()
    shutil.rmtree(runtime, ignore_errors=True)


def exchange(path: Path, payload: bytes) -> bytes:
    """Send `payload`, close our side, and return everything the service sends back."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10.0)
        sock.connect(str(path))
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
        data = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                data += chunk
        return data


def assert_well_formed(answer: bytes) -> dict[str, Any] | None:
    """An answer is nothing (closed) or one JSON object line with a boolean "ok"."""
    if answer == b"":
        return None
    assert answer.endswith(b"\n") and answer.count(b"\n") == 1, answer[:200]
    message = json.loads(answer)
    assert isinstance(message, dict) and isinstance(message.get("ok"), bool), message
    if not message["ok"]:
        assert isinstance(message.get("error"), str) and message["error"], message
        assert not message["error"].startswith("internal error"), message
    return message


def still_answers(svc: Service) -> None:
    answer = ControlClient(svc.paths.control_socket).request("status")
    assert answer["ok"] is True and answer["result"]["reminders"][0]["name"] == "water"


JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
WORDS = st.one_of(
    st.sampled_from(["water", "nope", "", "20m", "0s", "-5m", "99999999999999h", "366d", "10:00", "25:61"]),
    st.text(max_size=30),
    JSON,
)
ARGS = st.dictionaries(st.sampled_from(["name", "duration", "until", "x"]), WORDS, max_size=3)
REQUESTS = st.fixed_dictionaries(
    {"command": st.one_of(st.sampled_from(COMMANDS), st.text(max_size=10), JSON)},
    optional={"args": st.one_of(ARGS, JSON), "extra": JSON},
)


def test_random_bytes_get_an_error_or_a_closed_connection(service: Service) -> None:
    @FUZZ
    @given(st.binary(max_size=512), st.booleans())
    def check(payload: bytes, newline: bool) -> None:
        answer = assert_well_formed(exchange(service.paths.control_socket, payload + b"\n" * newline))
        assert answer is None or answer["ok"] is False

    check()
    still_answers(service)


def test_random_requests_get_well_formed_answers(service: Service) -> None:
    @FUZZ
    @given(REQUESTS)
    def check(request: dict[str, Any]) -> None:
        payload = json.dumps(request).encode() + b"\n"
        assert_well_formed(exchange(service.paths.control_socket, payload))

    check()
    still_answers(service)


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(b"x" * (MAX_MESSAGE + 1) + b"\n", id="one-byte-over-the-limit"),
        pytest.param(b"{" * (MAX_MESSAGE - 2) + b"\n", id="deep-json-at-the-limit"),
        pytest.param(b"[" * 50_000 + b"]" * 50_000 + b"\n", id="deep-json-over-the-limit"),
        pytest.param(b'{"command": "status"}' + b" " * MAX_MESSAGE + b"\n", id="padding-over-the-limit"),
        pytest.param(b"\n", id="empty-line"),
        pytest.param(b'{"command": "status"}\n{"command": "reload"}\n', id="two-requests"),
        # A repeated key: the last one counts (Python's json), so the first cannot smuggle a pause.
        pytest.param(b'{"command": "pause", "command": "status"}\n', id="duplicate-key"),
        pytest.param(b'{"command": "pause", "args": {"duration": NaN}}\n', id="nan-argument"),
        pytest.param(
            b'{"command": "snooze", "args": {"name": "water", "duration": 1e999}}\n', id="inf-argument"
        ),
        pytest.param('{"command": "trigger", "args": {"name": "wat\u202eer"}}\n'.encode(), id="bidi-name"),
        pytest.param(b'\xef\xbb\xbf{"command": "status"}\n', id="byte-order-mark"),
        pytest.param(b'{"command": "status\\u0000"}\n', id="nul-in-command"),
    ],
)
def test_hostile_requests_are_answered_without_harm(service: Service, payload: bytes) -> None:
    assert_well_formed(exchange(service.paths.control_socket, payload))
    still_answers(service)
    assert service.core is not None and service.core.state.pause is None  # nothing slipped through
