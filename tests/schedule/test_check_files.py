"""`calmcoach check` on files that cannot be schedules at all: each is one clear problem on the
file (with a line where one makes sense), exit 1, and no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from calmcoach.paths import Paths
from tests.schedule.conftest import Write
from tests.schedule.support import WATER, assert_reported, problem_lines
from tests.support import Cli

# Each maker creates the bad file in a folder and returns its path and the expected report
# (everything after "FILE" in `FILE[:LINE]: message`).
Maker = Callable[[Path], tuple[Path, str]]


def _missing(folder: Path) -> tuple[Path, str]:
    return folder / "nope.toml", ": no such file"


def _folder(folder: Path) -> tuple[Path, str]:
    (folder / "sub.toml").mkdir()
    return folder / "sub.toml", ": is a folder, not a schedule file; give the .toml files in it instead"


def _not_utf8(folder: Path) -> tuple[Path, str]:
    data = WATER.replace('"water"', '"caf\xe9"').encode("latin-1")
    path = folder / "latin1.toml"
    path.write_bytes(data)
    offset = data.index(b"\xe9")
    return (
        path,
        f":3: is not UTF-8 text: byte 0xe9 at byte offset {offset} cannot be decoded; save the file as UTF-8",
    )


def _nul(folder: Path) -> tuple[Path, str]:
    data = (WATER + "# a comment\0\n").encode()
    path = folder / "nul.toml"
    path.write_bytes(data)
    offset = data.index(b"\0")
    return (
        path,
        f":6: contains a NUL byte at byte offset {offset}: "
        "expected a text file in UTF-8, is it a binary file?",
    )


def _too_large(folder: Path) -> tuple[Path, str]:
    path = folder / "huge.toml"
    size = 1024 * 1024 + 1
    path.write_bytes(WATER.encode() + b"#" * (size - len(WATER)))
    return path, f": is 1.0 MiB ({size} bytes); a schedule file may be at most 1 MiB"


def _link_loop(folder: Path) -> tuple[Path, str]:
    (folder / "a.toml").symlink_to(folder / "b.toml")
    (folder / "b.toml").symlink_to(folder / "a.toml")
    return folder / "a.toml", ": is a symbolic link loop: following its links leads back to itself"


def _broken_link(folder: Path) -> tuple[Path, str]:
    (folder / "link.toml").symlink_to(folder / "gone.toml")
    return folder / "link.toml", f": is a symbolic link to {folder / 'gone.toml'}, which does not exist"


def _fifo(folder: Path) -> tuple[Path, str]:
    os.mkfifo(folder / "pipe.toml")  # opening it for reading would block without O_NONBLOCK
    return folder / "pipe.toml", ": is not a regular file (it is a device, a pipe or a socket)"


def _device(folder: Path) -> tuple[Path, str]:
    return Path("/dev/zero"), ": is not a regular file (it is a device, a pipe or a socket)"


def _through_a_file(folder: Path) -> tuple[Path, str]:
    (folder / "plain").write_text("x")
    return folder / "plain" / "s.toml", ": cannot be reached: a part of its path is a file, not a folder"


def _deep_arrays(folder: Path) -> tuple[Path, str]:
    path = folder / "deep.toml"
    path.write_text(WATER + "[settings]\nx = " + "[" * 5000 + "]" * 5000 + "\n")
    return path, ":7: values are nested 5000 levels deep; expected at most 16 (a schedule needs two or three)"


def _deep_inline_tables(folder: Path) -> tuple[Path, str]:
    path = folder / "deep.toml"
    path.write_text("x = " + "{ a = " * 40 + "1" + " }" * 40 + "\n" + WATER)
    return path, ":1: values are nested 40 levels deep; expected at most 16 (a schedule needs two or three)"


def _deep_dotted_key(folder: Path) -> tuple[Path, str]:
    path = folder / "dotted.toml"
    path.write_text("[settings]\n" + ".".join(["a"] * 100_000) + " = 1\n" + WATER)
    return (
        path,
        ":2: values are nested 100001 levels deep; expected at most 16 (a schedule needs two or three)",
    )


def _deep_header(folder: Path) -> tuple[Path, str]:
    path = folder / "header.toml"
    path.write_text(WATER + "[" + ".".join(["a"] * 20) + "]\n")
    return path, ":6: values are nested 20 levels deep; expected at most 16 (a schedule needs two or three)"


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    "make",
    [
        pytest.param(_missing, id="missing"),
        pytest.param(_folder, id="folder"),
        pytest.param(_not_utf8, id="not-utf8"),
        pytest.param(_nul, id="nul-byte"),
        pytest.param(_too_large, id="over-1-mib"),
        pytest.param(_link_loop, id="symlink-loop"),
        pytest.param(_broken_link, id="broken-symlink"),
        pytest.param(_fifo, id="fifo"),
        pytest.param(_device, id="device"),
        pytest.param(_through_a_file, id="path-through-a-file"),
        pytest.param(_deep_arrays, id="deep-arrays"),
        pytest.param(_deep_inline_tables, id="deep-inline-tables"),
        pytest.param(_deep_dotted_key, id="deep-dotted-key"),
        pytest.param(_deep_header, id="deep-table-header"),
    ],
)
def test_check_refuses_what_cannot_be_a_schedule(cli: Cli, tmp_path: Path, make: Maker) -> None:
    path, expected = make(tmp_path)
    result = cli(["check", str(path)])
    assert result.code == 1
    assert "Traceback" not in result.stderr
    assert problem_lines(result) == [f"{path}{expected}"]


def test_a_permission_denied_is_reported(tmp_path: Path, cli: Cli) -> None:
    """Root reads anything, so as root run the installed command without the capabilities that
    let it; as anyone else, the file's mode is enough."""
    folder = tmp_path / "open"
    folder.mkdir()
    path = folder / "secret.toml"
    path.write_text(WATER)
    path.chmod(0)
    expected = (
        f"{path}: permission denied: calmcoach may not read this file "
        "(check its permissions and its folder's)"
    )
    if os.geteuid() == 0:
        calmcoach = Path(sys.executable).parent / "calmcoach"
        no_override = "-dac_override,-dac_read_search"
        run = subprocess.run(
            [
                "setpriv",
                f"--bounding-set={no_override}",
                f"--inh-caps={no_override}",
                str(calmcoach),
                "check",
                str(path),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        code, stderr = run.returncode, run.stderr
    else:
        result = cli(["check", str(path)])
        code, stderr = result.code, result.stderr
    assert code == 1
    assert "Traceback" not in stderr
    assert stderr.splitlines()[0] == expected


def test_a_utf8_byte_order_mark_is_accepted(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + WATER.encode())
    result = cli(["check", str(path)])
    assert (result.code, result.stdout) == (0, f"{path}: 1 reminder, valid\n")


def test_a_key_nested_within_the_limit_is_an_unknown_key_not_a_crash(cli: Cli, write: Write) -> None:
    path = write("dotted.toml", "[settings]\n" + ".".join(["a"] * 15) + " = 1\n" + WATER)
    result = cli(["check", str(path)])
    assert_reported(result, f"{path}:2: settings.a", "unknown key 'a'")


def test_every_problem_in_every_file_is_reported_together(cli: Cli, write: Write, tmp_path: Path) -> None:
    good = write("good.toml", WATER)
    bad = write("bad.toml", '[[reminder]]\nname = "neck"\nkind = "stretch"\nevery = "soon"\n')
    empty = write("empty.toml", "")
    missing = tmp_path / "missing.toml"
    result = cli(["check", str(good), str(bad), str(empty), str(missing)])
    assert result.code == 1
    assert sorted(problem_lines(result)) == sorted(
        [
            f'{bad}:4: reminder[1].every: expected a duration like "45m", got "soon"',
            f"{empty}: no [[reminder]] tables: the file is empty",
            f"{missing}: no such file",
        ]
    )
    assert result.stderr.splitlines()[-1] == "calmcoach: 3 problems in 3 files"
    assert result.stdout == ""


def test_the_same_file_given_twice_is_read_once(cli: Cli, write: Write) -> None:
    path = write("twice.toml", WATER)
    result = cli(["check", str(path), str(path)])
    assert (result.code, result.stdout) == (0, f"{path}: 1 reminder, valid\n")


def test_a_broken_link_in_the_config_folder_is_reported_not_skipped(cli: Cli, paths: Paths) -> None:
    # Skipping it would leave no user file, and calmcoach would fall back to its packaged default
    # without a word.
    paths.config.mkdir(parents=True, exist_ok=True)
    link = paths.config / "mine.toml"
    link.symlink_to(paths.config / "gone.toml")
    result = cli(["check"])
    assert result.code == 1
    assert str(link) in result.stderr
    assert "default.toml" not in result.stdout + result.stderr
