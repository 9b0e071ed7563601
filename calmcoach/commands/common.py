"""Pieces several commands share: the `--schedule` option and where schedules come from."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from calmcoach.paths import Paths

if TYPE_CHECKING:
    from calmcoach.schedule.model import Schedule


def packaged_default_schedule() -> Path:
    """Return the path of the default schedule shipped inside the package."""
    import calmcoach.schedules  # a folder of data files: importing it only finds the folder

    # Where the import system found that folder, as importlib.resources.files says for a package
    # installed as files (as pip installs it): importlib.resources itself would cost a quick
    # command like `log water` a few ms (its readers import zipfile).
    return Path(next(iter(calmcoach.schedules.__path__))) / "default.toml"


def add_schedule_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--schedule",
        metavar="FILE",
        action="append",
        type=Path,
        default=[],
        help="a schedule file to use (repeatable); default: the TOML files in the config "
        "folder, else the packaged default",
    )


def schedule_files(given: list[Path], paths: Paths) -> list[Path]:
    """Given the --schedule files, return the files to read: those, else the user's, else ours."""
    if given:
        return given
    return paths.user_schedules or [packaged_default_schedule()]


def load_schedule(args: argparse.Namespace, paths: Paths) -> Schedule:
    """Load and validate the schedule the command line points at; raise ScheduleError if invalid."""
    from calmcoach.schedule.loader import load_files

    return load_files(schedule_files(args.schedule, paths))
