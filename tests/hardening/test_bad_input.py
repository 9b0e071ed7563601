"""`calmcoach check` on a corpus of malformed schedule files: exit 1, the file and the key path on
stderr, never a traceback.

Each file in bad_schedules/ says on its first line which key path the problem must be reported
at (`# expect: reminder[1].every`), or `<file>` for a problem with the file as a whole (it cannot
be read as TOML, is not UTF-8, holds a NUL byte, is nested absurdly deep, is empty). What cannot
be committed (a 5 MB file, symbolic link loops, a FIFO) is made in the test.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hardening.support import CORPUS, FILE_LEVEL, assert_problem_reported, calmcoach_argv, expected_key
from tests.support import Cli

FILES = sorted(CORPUS.glob("*.toml"))
# The corpus's sections, by file-name prefix; each must stay well filled.
SECTIONS = ("syntax-", "type-", "range-", "unknown-", "conflict-", "file-", "bytes-")
VALID = '[[reminder]]\nname = "water"\nkind = "hydration"\nevery = "45m"\n'


def test_the_corpus_is_large_and_covers_every_section() -> None:
    assert len(FILES) >= 60
    for prefix in SECTIONS:
        assert sum(f.name.startswith(prefix) for f in FILES) >= 5, prefix
    assert all(f.name.startswith(SECTIONS) for f in FILES)


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_check_reports_the_file_and_key(cli: Cli, path: Path) -> None:
    result = cli(["check", str(path)])
    assert_problem_reported(result.code, result.stderr, path, expected_key(path))
    assert result.stdout == ""


def test_the_whole_corpus_at_once_reports_every_file(cli: Cli) -> None:
    # Read together, the files also clash (the same reminder names, different quiet hours, so a
    # problem that depended on one file's settings may turn into a conflict): each file is still
    # named, and nothing crashes. A file of settings alone is fine next to files with reminders.
    together = [f for f in FILES if f.stem != "file-settings-only"]
    result = cli(["check", *map(str, together)])
    for path in together:
        assert_problem_reported(result.code, result.stderr, path, FILE_LEVEL)
    assert f"problems in {len(together)} files" in result.stderr


# A few through the installed command in a subprocess: the real entry point, real streams.
SUBPROCESS_SAMPLE = [
    "syntax-unterminated-multiline-string",
    "type-at-nested-list",
    "range-every-astronomic",
    "unknown-unicode-key",
    "conflict-all-three-triggers",
    "bytes-utf16",
    "file-deep-arrays",
]


@pytest.mark.parametrize("stem", SUBPROCESS_SAMPLE)
def test_installed_command_reports_the_file_and_key(stem: str) -> None:
    path = CORPUS / f"{stem}.toml"
    result = subprocess.run(
        [*calmcoach_argv(), "check", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert_problem_reported(result.returncode, result.stderr, path, expected_key(path))


# Made in the test: each returns the path to check.
Maker = Callable[[Path], Path]


def _five_megabytes(folder: Path) -> Path:
    path = folder / "huge.toml"
    line = b"# padding padding padding padding padding padding padding padding padding pad\n"
    with path.open("wb") as handle:
        handle.write(VALID.encode())
        handle.write(line * (5 * 1024 * 1024 // len(line)))
    assert path.stat().st_size >= 5 * 1024 * 1024
    return path


def _loop_of_two(folder: Path) -> Path:
    (folder / "a.toml").symlink_to(folder / "b.toml")
    (folder / "b.toml").symlink_to(folder / "a.toml")
    return folder / "a.toml"


def _loop_on_itself(folder: Path) -> Path:
    (folder / "self.toml").symlink_to("self.toml")
    return folder / "self.toml"


def _loop_in_a_folder(folder: Path) -> Path:
    (folder / "d").symlink_to("e")
    (folder / "e").symlink_to("d")
    return folder / "d" / "s.toml"


def _dangling(folder: Path) -> Path:
    (folder / "gone.toml").symlink_to(folder / "never-written.toml")
    return folder / "gone.toml"


def _fifo(folder: Path) -> Path:
    os.mkfifo(folder / "pipe.toml")
    return folder / "pipe.toml"


def _device(folder: Path) -> Path:
    return Path("/dev/zero")


def _folder(folder: Path) -> Path:
    (folder / "dir.toml").mkdir()
    return folder / "dir.toml"


@pytest.mark.parametrize(
    "make",
    [_five_megabytes, _loop_of_two, _loop_on_itself, _loop_in_a_folder, _dangling, _fifo, _device, _folder],
    ids=lambda make: make.__name__.strip("_"),
)
def test_files_made_in_the_test_are_refused_cleanly(cli: Cli, tmp_path: Path, make: Maker) -> None:
    path = make(tmp_path)
    result = cli(["check", str(path)])
    assert_problem_reported(result.code, result.stderr, path, FILE_LEVEL)


def test_a_symlink_loop_next_to_a_good_file_reports_only_the_loop(cli: Cli, tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(VALID)
    loop = _loop_of_two(tmp_path)
    result = cli(["check", str(good), str(loop)])
    assert_problem_reported(result.code, result.stderr, loop, FILE_LEVEL)
    assert "symbolic link loop" in result.stderr
    assert not any(line.startswith(f"{good}:") for line in result.stderr.splitlines())
