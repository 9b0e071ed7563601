"""A small notification server for tests: owns org.freedesktop.Notifications and records calls.

Run as a subprocess (it needs only jeepney, not calmcoach), on the bus in DBUS_SESSION_BUS_ADDRESS:

    python tests/notification_server.py --record FILE [--name NAME] [--hang never|notify|all]

It prints "ready" on stdout once it owns the name, then serves until the bus goes away or it is
terminated. Every Notify call is appended to FILE as one JSON line:
{app_name, replaces_id, app_icon, summary, body, actions, hints, expire_timeout, t}
(`t` is the wall-clock time it arrived). Each line is flushed at once, so a test can read the
file while the server runs.

`--hang notify` answers everything except Notify, and `--hang all` answers nothing at all (not
even Introspect): both own the name, so a client's call is accepted by the bus and then waits,
which is how a wedged notification daemon looks from the outside.
"""

from __future__ import annotations

import argparse
import base64
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

from jeepney import DBusAddress, HeaderFields, MessageType, new_error, new_method_return, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import DBusConnection, open_dbus_connection

BUS_NAME = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"
INTERFACE = "org.freedesktop.Notifications"
PRIMARY_OWNER = 1
CLOSED_BY_CALL = 3  # the spec's reason code for "closed by a call to CloseNotification"

INTROSPECTION = """<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>
  <interface name="org.freedesktop.DBus.Introspectable">
    <method name="Introspect"><arg name="xml" type="s" direction="out"/></method>
  </interface>
  <interface name="org.freedesktop.Notifications">
    <method name="GetCapabilities"><arg type="as" direction="out"/></method>
    <method name="Notify">
      <arg name="app_name" type="s" direction="in"/>
      <arg name="replaces_id" type="u" direction="in"/>
      <arg name="app_icon" type="s" direction="in"/>
      <arg name="summary" type="s" direction="in"/>
      <arg name="body" type="s" direction="in"/>
      <arg name="actions" type="as" direction="in"/>
      <arg name="hints" type="a{sv}" direction="in"/>
      <arg name="expire_timeout" type="i" direction="in"/>
      <arg name="id" type="u" direction="out"/>
    </method>
    <method name="CloseNotification"><arg name="id" type="u" direction="in"/></method>
    <method name="GetServerInformation">
      <arg name="name" type="s" direction="out"/>
      <arg name="vendor" type="s" direction="out"/>
      <arg name="version" type="s" direction="out"/>
      <arg name="spec_version" type="s" direction="out"/>
    </method>
    <signal name="NotificationClosed"><arg name="id" type="u"/><arg name="reason" type="u"/></signal>
  </interface>
</node>
"""


def plain(value: Any) -> Any:
    """Given a value jeepney decoded (variants are (signature, value) pairs), return it as JSON."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        return plain(value[1])  # a variant: drop its signature
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    return value


class Server:
    def __init__(self, conn: DBusConnection, record: Path, name: str, hang: str) -> None:
        self.conn = conn
        self.record = record
        self.name = name
        self.hang = hang
        self.next_id = 1

    def serve(self) -> None:
        while True:
            try:
                message = self.conn.receive()
            except (ConnectionError, OSError):
                return  # the bus went away: nothing left to serve
            if message.header.message_type == MessageType.method_call:
                self.answer(message)

    def answer(self, message: Any) -> None:
        fields = message.header.fields
        member = fields.get(HeaderFields.member)
        if self.hang == "all" or (self.hang == "notify" and member == "Notify"):
            return
        if member == "Introspect":
            reply = new_method_return(message, "s", (INTROSPECTION,))
        elif member == "GetServerInformation":
            reply = new_method_return(message, "ssss", (self.name, "calmcoach tests", "1.0", "1.2"))
        elif member == "GetCapabilities":
            reply = new_method_return(message, "as", (["body", "body-markup"],))
        elif member == "Notify":
            reply = new_method_return(message, "u", (self.notify(message.body),))
        elif member == "CloseNotification":
            reply = new_method_return(message)
            self.conn.send(reply)
            emitter = DBusAddress(OBJECT_PATH, interface=INTERFACE)
            reply = new_signal(emitter, "NotificationClosed", "uu", (message.body[0], CLOSED_BY_CALL))
        else:
            reply = new_error(message, "org.freedesktop.DBus.Error.UnknownMethod", "s", (str(member),))
        self.conn.send(reply)

    def notify(self, body: tuple[Any, ...]) -> int:
        app_name, replaces_id, app_icon, summary, text, actions, hints, expire_timeout = body
        entry = {
            "app_name": app_name,
            "replaces_id": replaces_id,
            "app_icon": app_icon,
            "summary": summary,
            "body": text,
            "actions": list(actions),
            "hints": plain(hints),
            "expire_timeout": expire_timeout,
            "t": time.time(),
        }
        with self.record.open("a", encoding="utf-8") as out:
            out.write(json.dumps(entry) + "\n")
        if replaces_id:
            return int(replaces_id)
        self.next_id += 1
        return self.next_id - 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", type=Path, required=True, help="append Notify calls here (JSON lines)")
    parser.add_argument("--name", default="calmcoach-recorder", help="the server name to report")
    parser.add_argument("--hang", choices=("never", "notify", "all"), default="never")
    args = parser.parse_args()
    # Terminate quietly on SIGTERM: the fixture stops us this way between tests.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    conn = open_dbus_connection(bus="SESSION")
    reply = conn.send_and_get_reply(message_bus.RequestName(BUS_NAME, 4), timeout=5)  # 4: do not queue
    if reply.body[0] != PRIMARY_OWNER:
        print(f"could not own {BUS_NAME} (RequestName answered {reply.body[0]})", file=sys.stderr)
        return 1
    args.record.touch()
    print("ready", flush=True)
    Server(conn, args.record, args.name, args.hang).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
