"""Try, from inside a unit, each thing the unit's hardening lines forbid; print one JSON object.

Run by tests/systemd/test_hardening.py as the test user under `systemd-run --user`, once with no
hardening and once per hardening line. It needs only the standard library (the Debian python3
runs it). Each value is "ok" when the attempt worked, an errno name when it was refused, or
"signal NAME" when the kernel killed the attempt (a system call filter without an errno): the
risky attempts run in a forked child, so one kill does not end the probe.
"""

from __future__ import annotations

import ctypes
import errno
import json
import mmap
import os
import signal
import socket
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.syscall.restype = ctypes.c_long
CLONE_NEWUSER = 0x10000000
PER_LINUX32 = 0x0008
PTRACE_TRACEME = 0
SYS_KEYCTL = 250  # x86_64
KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING = 0, -3
I386_GETPID = bytes([0xB8, 0x14, 0, 0, 0, 0xCD, 0x80, 0xC3])  # mov eax, 20; int 0x80; ret


def errno_name(number: int) -> str:
    return errno.errorcode.get(number, str(number))


def check(call: Callable[[], int]) -> str:
    """Run a libc call that returns -1 on failure; return "ok" or the errno's name."""
    return "ok" if call() != -1 else errno_name(ctypes.get_errno())


def in_child(attempt: Callable[[], str]) -> str:
    """Run `attempt` in a forked child; return what it returned, or the signal that killed it."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without running the parent's cleanup
        os.close(read_end)
        try:
            answer = attempt()
        except OSError as error:
            answer = errno_name(error.errno or 0)
        os.write(write_end, answer.encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        answer = pipe.read()
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return f"signal {signal.Signals(os.WTERMSIG(status)).name}"
    return answer


def no_new_privileges() -> str:
    with Path("/proc/self/status").open(encoding="ascii") as status:
        return next(line.split()[1] for line in status if line.startswith("NoNewPrivs:"))


def setuid_file() -> str:
    with tempfile.NamedTemporaryFile(dir=os.environ["XDG_RUNTIME_DIR"]) as made:
        try:
            Path(made.name).chmod(stat.S_ISUID | stat.S_IRWXU)
        except OSError as error:
            return errno_name(error.errno or 0)
    return "ok"


def personality() -> str:
    answer = check(lambda: LIBC.personality(PER_LINUX32))
    LIBC.personality(0)
    return answer


def writable_executable_memory() -> str:
    try:
        mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC).close()
    except OSError as error:
        return errno_name(error.errno or 0)
    return "ok"


def new_namespace() -> str:
    return check(lambda: LIBC.unshare(CLONE_NEWUSER))


def i386_system_call() -> str:
    """Call getpid through the 32-bit entry point (int 0x80); "ok" when it answered our pid."""
    page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    page.write(I386_GETPID)
    address = ctypes.addressof(ctypes.c_char.from_buffer(page))
    answer = ctypes.CFUNCTYPE(ctypes.c_int)(address)()
    return "ok" if answer == os.getpid() else errno_name(-answer) if answer < 0 else str(answer)


def debugging_system_call() -> str:
    """ptrace(PTRACE_TRACEME): allowed to any process, but in @debug, not in @system-service."""
    return check(lambda: LIBC.ptrace(PTRACE_TRACEME, 0, None, None))


def lower_priority() -> str:
    """setpriority (nice): any process may lower its own priority, but it is in @resources."""
    os.setpriority(os.PRIO_PROCESS, 0, 5)
    return "ok"


def netlink_socket() -> str:
    try:
        socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0).close()
    except OSError as error:
        return errno_name(error.errno or 0)
    return "ok"


def session_keyring() -> str:
    found = LIBC.syscall(SYS_KEYCTL, KEYCTL_GET_KEYRING_ID, ctypes.c_long(KEY_SPEC_SESSION_KEYRING), 0)
    return str(found) if found >= 0 else errno_name(ctypes.get_errno())


def umask() -> str:
    current = os.umask(0o077)
    os.umask(current)
    return f"{current:04o}"


def main() -> int:
    found = {
        "no_new_privileges": no_new_privileges(),
        "setuid_file": setuid_file(),
        "personality": in_child(personality),
        "writable_executable_memory": in_child(writable_executable_memory),
        "new_namespace": in_child(new_namespace),
        "i386_system_call": in_child(i386_system_call),
        "debugging_system_call": in_child(debugging_system_call),
        "lower_priority": in_child(lower_priority),
        "netlink_socket": netlink_socket(),
        "session_keyring": session_keyring(),
        "umask": umask(),
    }
    print(json.dumps(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
