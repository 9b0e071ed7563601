"""From a path to a TOML table, refusing with a clear problem whatever cannot be a schedule file.

Each failure becomes one `Problem` on the file (missing, a folder, a device or pipe, unreadable, a
symbolic link loop, over 1 MiB, NUL bytes, not UTF-8, nested absurdly deep, a TOML syntax error
with its line), so that `check` can report it next to the problems of the other files.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Any

from calmcoach.schedule.lines import scan
from calmcoach.schedule.location import FileReport

MAX_BYTES = 1024 * 1024  # a generous schedule is a few KiB; anything this big is a wrong file
MAX_DEPTH = 16  # our deepest value is a table in a table in [settings]; tomllib recurses per level
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_AT_END = re.compile(r"\s*\(at end of document\)$")
# tomllib's words for the commonest slip, said the way a person would look for it.
_PLAIN_WORDS = {
    "Illegal character '\\n'": "the line ends inside a quoted text; is a closing quote missing?",
}


def _too_large(size: int) -> str:
    return f"is {size / MAX_BYTES:.1f} MiB ({size} bytes); a schedule file may be at most 1 MiB"


def _open_problem(error: OSError, path: Path) -> str:
    """Given why opening a path failed, return it in words."""
    if isinstance(error, FileNotFoundError):
        if path.is_symlink():
            return f"is a symbolic link to {path.readlink()}, which does not exist"
        return "no such file"
    if isinstance(error, PermissionError):
        return "permission denied: calmcoach may not read this file (check its permissions and its folder's)"
    if error.errno == errno.ELOOP:
        return "is a symbolic link loop: following its links leads back to itself"
    if isinstance(error, NotADirectoryError):
        return "cannot be reached: a part of its path is a file, not a folder"
    return f"cannot be read: {error.strerror or error}"


def read_bytes(path: Path, report: FileReport) -> bytes | None:
    """Given a path, return its bytes, or None after filing why it is not a readable schedule file."""
    try:
        # O_NONBLOCK: a FIFO given by mistake must not hang us; fstat on the open descriptor
        # then answers for the very file we read, with no window for it to be swapped.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        report.add_file_problem(_open_problem(error, path))
        return None
    try:
        refusal = _refusal(os.fstat(descriptor))
        if refusal is not None:
            report.add_file_problem(refusal)
            return None
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as error:
        report.add_file_problem(f"cannot be read: {error.strerror or error}")
        return None
    finally:
        os.close(descriptor)
    if len(data) > MAX_BYTES:  # it grew after fstat
        report.add_file_problem(_too_large(len(data)))
        return None
    return data


def _refusal(info: os.stat_result) -> str | None:
    """Given what fstat says of an open file, return why it cannot be a schedule file, or None."""
    if stat.S_ISDIR(info.st_mode):
        return "is a folder, not a schedule file; give the .toml files in it instead"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file (it is a device, a pipe or a socket)"
    if info.st_size > MAX_BYTES:
        return _too_large(info.st_size)
    return None


def _line_at(data: bytes | str, offset: int) -> int:
    newline: Any = b"\n" if isinstance(data, bytes) else "\n"
    return data.count(newline, 0, offset) + 1


def decode(data: bytes, report: FileReport) -> str | None:
    """Given a file's bytes, return its text, or None after filing a NUL byte or bad UTF-8."""
    nul = data.find(b"\0")
    if nul >= 0:
        report.add_file_problem(
            f"contains a NUL byte at byte offset {nul}: expected a text file in UTF-8, is it a binary file?",
            _line_at(data, nul),
        )
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        report.add_file_problem(
            f"is not UTF-8 text: byte 0x{data[error.start]:02x} at byte offset {error.start} "
            "cannot be decoded; save the file as UTF-8",
            _line_at(data, error.start),
        )
        return None


def _syntax_problem(error: tomllib.TOMLDecodeError, text: str) -> tuple[str, int]:
    """Given tomllib's error, return its message without the position, and the line it names."""
    message = str(error)
    for words, plain in _PLAIN_WORDS.items():
        message = message.replace(words, plain)
    position = _TOML_POSITION.search(message)
    if position:
        return f"{message[: position.start()]} (column {position[2]})", int(position[1])
    at_end = _TOML_AT_END.search(message)
    last_line = text.rstrip("\n").count("\n") + 1
    if at_end:
        return f"{message[: at_end.start()]} (at the end of the file)", last_line
    return message, last_line


def parse(text: str, report: FileReport) -> dict[str, Any] | None:
    """Given a file's text, return the TOML table, or None after filing why it cannot be read.

    Also records in the report where each key was written, for the problems found later.
    """
    text = text.removeprefix("\ufeff")  # editors on some systems start UTF-8 files with a BOM
    if "\0" in text:
        report.add_file_problem(
            "contains a NUL character: expected a text file", _line_at(text, text.find("\0"))
        )
        return None
    report.lines = scan(text)
    if report.lines.max_depth > MAX_DEPTH:
        report.add_file_problem(
            f"values are nested {report.lines.max_depth} levels deep; "
            f"expected at most {MAX_DEPTH} (a schedule needs two or three)",
            report.lines.max_depth_line,
        )
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message, line = _syntax_problem(error, text)
        report.add_file_problem(f"TOML syntax error: {message}", line)
    except RecursionError:  # a backstop: the scanner's depth check should refuse such files first
        report.add_file_problem(f"values are nested too deeply; expected at most {MAX_DEPTH} levels")
    return None
