"""What every benchmark starts from: calmcoach installed as people install it, and a home of its own.

The development .venv holds an editable install, and there `python -c pass` itself runs the
editable finder (pathlib, re, fnmatch: about 22 ms), which inflates the baseline every CLI ratio
divides by. So the command measured is a regular install of the working tree: a wheel built from
a copy of the tree, installed with the README's extras into a fresh venv (`python -m venv`), and
the baselines run that venv's own python. The venv is kept in .bench-venvs/, named after the
wheel's contents and the interpreter, and reused while neither changes.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

XDG_VARIABLES = ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR")
ROOT = Path(__file__).resolve().parent.parent
VENVS = ROOT / ".bench-venvs"
EXTRAS = "desktop"  # the README's install: pip install '.[desktop]'
READY = "calmcoach-bench-ready"  # written into a venv once its install has finished
# Shared locks on the venvs this process measures, held until it exits: a run that makes a new
# venv removes the others, but never one a run still going (in another shell) is using.
_IN_USE: list[TextIO] = []


@dataclass(frozen=True)
class Install:
    """A regular (non-editable) install of the working tree in a venv of its own."""

    venv: Path
    wheel: str  # the wheel's file name
    digest: str  # sha256 of the wheel's member names and contents (not its zip timestamps)
    reused: bool  # the venv was made by an earlier run from the same wheel

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def describe(self) -> str:
        made = "reused from an earlier run" if self.reused else "created for this run"
        return (
            f"regular install (not editable) of {self.wheel} [{EXTRAS}], built from the working tree "
            f"(contents sha256 {self.digest[:12]}), in the venv {self.venv.relative_to(ROOT)} ({made}); "
            "baselines run that venv's python"
        )


def _copy_tree(to: Path) -> None:
    """Copy the working tree's files (tracked or new, not ignored; edits included) into `to`.

    The wheel is built from a copy because setuptools builds in place and reuses build/: a module
    deleted from the tree would still ship from a build/ an earlier wheel left there.
    """
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source, copy = ROOT / name, to / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():  # calmcoach/schedules links to schedules/; setuptools follows it
            copy.symlink_to(source.readlink())
        elif source.is_file():  # a tracked file deleted in the working tree is left out
            shutil.copy2(source, copy)


def _run(argv: list[str]) -> None:
    """Run a build or install step; its chatter (setuptools' deprecation notices, pip's index
    warnings) is shown only if it fails."""
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout}{done.stderr}")


def _build_wheel(out: Path) -> Path:
    with tempfile.TemporaryDirectory(prefix="calmcoach-bench-src-") as name:
        _copy_tree(Path(name))
        _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), name])
    (wheel,) = out.glob("calmcoach-*.whl")
    return wheel


def _contents_digest(wheel: Path) -> str:
    """Given a wheel, return a sha256 of its members' names and bytes: two builds of the same tree
    differ only in their zip timestamps, which would defeat the venv cache."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(wheel) as archive:
        for member in sorted(archive.namelist()):
            digest.update(member.encode() + b"\0" + archive.read(member) + b"\0")
    return digest.hexdigest()


def _make_venv(venv: Path, wheel: Path) -> None:
    shutil.rmtree(venv, ignore_errors=True)  # a venv whose install did not finish
    # From a venv's python, `-m venv` makes a venv of the base interpreter, as `python3 -m venv` does.
    _run([sys.executable, "-m", "venv", str(venv)])
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", f"{wheel}[{EXTRAS}]"])
    (venv / READY).write_text(f"{wheel.name}\n", encoding="utf-8")


@functools.cache
def install() -> Install:
    """Build a wheel of the working tree; return the venv it is installed in, made if need be.

    Other venvs in .bench-venvs/ (of earlier trees) are removed when a new one is made, unless
    a run is still using them.
    """
    VENVS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="calmcoach-bench-wheel-") as name:
        wheel = _build_wheel(Path(name))
        digest = _contents_digest(wheel)
        key = hashlib.sha256(
            f"{digest} {EXTRAS} {sys.base_prefix} {platform.python_version()}".encode()
        ).hexdigest()[:16]
        venv = VENVS / key
        with (VENVS / "lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # two runs at once must not build into one folder
            in_use = (VENVS / f"{key}.lock").open("w")
            fcntl.flock(in_use, fcntl.LOCK_SH)
            _IN_USE.append(in_use)
            reused = (venv / READY).exists()
            if not reused:
                _make_venv(venv, wheel)
                _remove_unused(keep=venv)
    return Install(venv, wheel.name, digest, reused)


def _remove_unused(keep: Path) -> None:
    for old in VENVS.iterdir():
        if not old.is_dir() or old == keep:
            continue
        with old.with_name(f"{old.name}.lock").open("w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a run still measures it
            shutil.rmtree(old, ignore_errors=True)
            old.with_name(f"{old.name}.lock").unlink()


def calmcoach_argv() -> list[str]:
    """Return how to run the installed calmcoach."""
    return [str(install().venv / "bin" / "calmcoach")]


def python_argv() -> list[str]:
    """Return the baseline interpreter: the python of the venv calmcoach is installed in."""
    return [str(install().python)]


def user_env(home: Path) -> dict[str, str]:
    """Given an empty folder, make it a user's home with fresh XDG folders; return the environment.

    Bytecode is as on a user's machine: pip compiled calmcoach's modules at install, and
    PYTHONDONTWRITEBYTECODE and PYTHONPYCACHEPREFIX are unset, so that is what is read.
    """
    env = dict(os.environ)
    for variable in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX", "PYTHONPATH", "VIRTUAL_ENV"):
        env.pop(variable, None)
    for variable in XDG_VARIABLES:
        folder = home / variable.lower()
        folder.mkdir(mode=0o700)
        env[variable] = str(folder)
    env["HOME"] = str(home)
    return env
