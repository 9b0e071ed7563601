"""`calmcoach export --csv FILE` and the file it writes: an existing file is kept unless --force
is given, `-` is standard output, and the file is replaced in one step (a temporary file in the
same folder, then a rename), so a failure never leaves half a CSV or a stray temporary file."""

from __future__ import annotations

import csv
import errno
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from calmcoach.commands import export
from tests.support import Cli

HEADER = ",".join(export.COLUMNS) + "\n"
OLD = "a file the person wants to keep\n"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder, the current directory: relative names (`-`, `./-`) land here."""
    folder = tmp_path / "out"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def logged(cli: Cli) -> None:
    """Two entries in the history: 300 ml of water and 80 mg of caffeine."""
    for args in (["log", "water", "300ml"], ["log", "caffeine", "80mg"]):
        result = cli(args)
        assert result.code == 0, result


@pytest.fixture
def umask_022() -> Iterator[None]:
    """A known umask for the test, the previous one restored after."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def names(folder: Path) -> list[str]:
    """Return the names in `folder`, hidden ones too (a temporary file starts with a dot), sorted."""
    return sorted(path.name for path in folder.iterdir())


def entries(text: str) -> list[tuple[str, str, str]]:
    """Given CSV text, return (type, ml, mg) per row, after checking the header."""
    assert text.startswith(HEADER)
    return [(row["type"], row["ml"], row["mg"]) for row in csv.DictReader(io.StringIO(text))]


EXPECTED = [("water", "300.0", ""), ("caffeine", "", "80.0")]


def test_a_new_file_is_written_with_the_usual_permissions(
    cli: Cli, logged: None, here: Path, umask_022: None
) -> None:
    result = cli(["export", "--csv", "entries.csv"])
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout == "Wrote 2 entries to entries.csv.\n"
    target = here / "entries.csv"
    assert entries(target.read_text(encoding="utf-8")) == EXPECTED
    assert target.stat().st_mode & 0o777 == 0o644  # 0666 less the umask, as for any new file
    assert names(here) == ["entries.csv"]  # no temporary file left behind


def test_an_existing_file_is_refused_and_left_alone(cli: Cli, logged: None, here: Path) -> None:
    target = here / "entries.csv"
    target.write_text(OLD, encoding="utf-8")
    result = cli(["export", "--csv", str(target)])
    assert result.code == 1
    assert result.stdout == ""
    assert result.stderr == f"calmcoach export: {target} already exists; pass --force to replace it\n"
    assert target.read_text(encoding="utf-8") == OLD
    assert names(here) == ["entries.csv"]


def test_a_dangling_symlink_counts_as_existing(cli: Cli, logged: None, here: Path) -> None:
    (here / "link.csv").symlink_to(here / "gone.csv")
    result = cli(["export", "--csv", "link.csv"])
    assert result.code == 1
    assert "link.csv already exists; pass --force" in result.stderr
    assert not (here / "gone.csv").exists()


def test_force_replaces_the_file_in_one_step_and_keeps_its_permissions(
    cli: Cli, logged: None, here: Path
) -> None:
    target = here / "entries.csv"
    target.write_text(OLD, encoding="utf-8")
    target.chmod(0o600)  # the person keeps their health log private: so must the new one be
    before = target.stat().st_ino
    with target.open(encoding="utf-8") as reader:  # a program reading the old file meanwhile
        result = cli(["export", "--csv", str(target), "--force"])
        assert (result.code, result.stderr) == (0, "")
        # Replaced by a rename, not rewritten in place: the reader still sees the whole old file.
        assert reader.read() == OLD
    assert target.stat().st_ino != before
    assert entries(target.read_text(encoding="utf-8")) == EXPECTED
    assert target.stat().st_mode & 0o777 == 0o600
    assert names(here) == ["entries.csv"]


def test_force_through_a_symlink_replaces_the_file_it_points_to(cli: Cli, logged: None, here: Path) -> None:
    real = here / "real.csv"
    real.write_text(OLD, encoding="utf-8")
    link = here / "link.csv"
    link.symlink_to(real)
    assert cli(["export", "--csv", str(link)]).code == 1
    result = cli(["export", "--csv", str(link), "--force"])
    assert (result.code, result.stderr) == (0, "")
    assert link.is_symlink() and link.resolve() == real
    assert entries(real.read_text(encoding="utf-8")) == EXPECTED
    assert names(here) == ["link.csv", "real.csv"]


def test_force_without_an_existing_file_writes_it(cli: Cli, logged: None, here: Path) -> None:
    result = cli(["export", "--csv", "entries.csv", "--force"])
    assert (result.code, result.stderr) == (0, "")
    assert entries((here / "entries.csv").read_text(encoding="utf-8")) == EXPECTED


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_a_folder_is_refused_even_with_force(cli: Cli, logged: None, here: Path, force: list[str]) -> None:
    (here / "reports").mkdir()
    result = cli(["export", "--csv", "reports", *force])
    assert result.code == 1
    assert result.stderr == "calmcoach export: reports is a folder; give the name of a file\n"
    assert names(here / "reports") == []


def test_dash_is_standard_output_and_dot_slash_dash_a_file(cli: Cli, logged: None, here: Path) -> None:
    result = cli(["export", "--csv", "-"])
    assert (result.code, result.stderr) == (0, "")
    assert entries(result.stdout) == EXPECTED
    assert names(here) == []  # no file named "-"
    # Writing to stdout again needs no --force: there is nothing to replace.
    assert cli(["export", "--csv", "-"]).stdout == result.stdout
    named = cli(["export", "--csv", "./-"])
    assert (named.code, named.stderr) == (0, "")
    assert (here / "-").read_text(encoding="utf-8") == result.stdout


@pytest.mark.parametrize("existing", [True, False])
def test_a_failed_write_leaves_the_old_file_whole_and_no_temporary_file(
    cli: Cli, logged: None, here: Path, monkeypatch: pytest.MonkeyPatch, existing: bool
) -> None:
    target = here / "entries.csv"
    if existing:
        target.write_text(OLD, encoding="utf-8")
    written: list[str] = []

    def disk_full(fd: int) -> None:
        # The CSV has been written to the temporary file when the disk turns out to be full.
        written.extend(name for name in names(here) if name.startswith(export.TEMP_PREFIX))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    result = cli(["export", "--csv", str(target), "--force"])
    assert result.code == 1
    assert result.stderr == f"calmcoach export: cannot write {target}: No space left on device\n"
    assert len(written) == 1  # it was writing next to the target ...
    assert names(here) == (["entries.csv"] if existing else [])  # ... and cleaned up
    if existing:
        assert target.read_text(encoding="utf-8") == OLD


def test_a_file_created_while_exporting_is_not_replaced(
    cli: Cli, logged: None, here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = here / "entries.csv"
    to_csv = export.to_csv

    def and_meanwhile(rows: list[dict[str, object]]) -> str:
        target.write_text(OLD, encoding="utf-8")  # another program, after the check
        return to_csv(rows)

    monkeypatch.setattr(export, "to_csv", and_meanwhile)
    result = cli(["export", "--csv", str(target)])
    assert result.code == 1
    assert "already exists; pass --force to replace it" in result.stderr
    assert target.read_text(encoding="utf-8") == OLD
    assert names(here) == ["entries.csv"]


@pytest.mark.parametrize("code", [errno.EPERM, errno.EOPNOTSUPP])
def test_without_hard_links_it_still_writes_a_new_file(
    cli: Cli, logged: None, here: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    def no_links(source: object, destination: object) -> None:
        raise OSError(code, os.strerror(code))  # as on FAT or some network file systems

    monkeypatch.setattr(os, "link", no_links)
    result = cli(["export", "--csv", "entries.csv"])
    assert (result.code, result.stderr) == (0, "")
    assert entries((here / "entries.csv").read_text(encoding="utf-8")) == EXPECTED
    assert names(here) == ["entries.csv"]


def test_a_missing_folder_is_a_clear_error(cli: Cli, logged: None, here: Path) -> None:
    result = cli(["export", "--csv", "no/such/entries.csv"])
    assert result.code == 1
    assert result.stderr == "calmcoach export: cannot write no/such/entries.csv: No such file or directory\n"


def installed(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed `calmcoach` (the venv's) with the test's XDG folders."""
    script = Path(sys.executable).parent / "calmcoach"
    assert script.exists(), f"the calmcoach command is not installed next to {sys.executable}"
    return subprocess.run([str(script), *args], capture_output=True, text=True, timeout=60, check=False)


def test_the_installed_command_refuses_then_replaces_with_force(here: Path) -> None:
    assert installed("log", "water", "300ml").returncode == 0
    first = installed("export", "--csv", "entries.csv")
    assert (first.returncode, first.stderr) == (0, ""), first
    assert first.stdout == "Wrote 1 entry to entries.csv.\n"
    written = (here / "entries.csv").read_text(encoding="utf-8")
    assert entries(written) == [("water", "300.0", "")]

    assert installed("log", "caffeine", "80mg").returncode == 0
    refused = installed("export", "--csv", "entries.csv")
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr == "calmcoach export: entries.csv already exists; pass --force to replace it\n"
    assert (here / "entries.csv").read_text(encoding="utf-8") == written

    forced = installed("export", "--csv", "entries.csv", "--force")
    assert (forced.returncode, forced.stderr) == (0, ""), forced
    assert entries((here / "entries.csv").read_text(encoding="utf-8")) == EXPECTED
    to_stdout = installed("export", "--csv", "-")
    assert to_stdout.stdout == (here / "entries.csv").read_text(encoding="utf-8")
    assert names(here) == ["entries.csv"]
