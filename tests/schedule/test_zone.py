"""Finding the system's time zone, in the order the loader documents, on a fake root folder."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from calmcoach.schedule.values import Invalid
from calmcoach.schedule.zone import UTC, system_zone, zone


def _tzfile(name: str) -> Path:
    """Given a zone name, return its compiled file from the tzdata package (a dependency)."""
    return Path(str(resources.files("tzdata.zoneinfo") / name))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "etc").mkdir()
    return tmp_path


@pytest.mark.parametrize(
    ("tz", "expected"),
    [
        pytest.param("Asia/Tokyo", "Asia/Tokyo", id="name"),
        pytest.param(":Asia/Tokyo", "Asia/Tokyo", id="colon-name"),
        pytest.param("/usr/share/zoneinfo/Asia/Tokyo", "Asia/Tokyo", id="path"),
    ],
)
def test_tz_comes_first(root: Path, tz: str, expected: str) -> None:
    (root / "etc/timezone").write_text("Europe/Berlin\n")
    assert system_zone({"TZ": tz}, root).key == expected


def test_an_unusable_tz_falls_through_to_etc_timezone(root: Path) -> None:
    (root / "etc/timezone").write_text("Europe/Berlin\n")
    assert system_zone({"TZ": "CET-1CEST"}, root).key == "Europe/Berlin"


def test_the_localtime_link_names_the_zone(root: Path) -> None:
    (root / "etc/localtime").symlink_to("/usr/share/zoneinfo/America/Sao_Paulo")
    assert system_zone({}, root).key == "America/Sao_Paulo"


def test_a_copied_localtime_is_read_as_a_file(root: Path) -> None:
    shutil.copy(_tzfile("Asia/Kolkata"), root / "etc/localtime")
    found = system_zone({}, root)
    assert found.key == "localtime"
    assert datetime(2026, 1, 1, 12, tzinfo=found).utcoffset() == timedelta(hours=5, minutes=30)


def test_nothing_known_means_utc(root: Path) -> None:
    (root / "etc/timezone").write_text("Not/AZone\n")
    assert system_zone({}, root) is UTC


def test_zone_names_are_checked() -> None:
    assert zone("Europe/Berlin") == ZoneInfo("Europe/Berlin")
    for bad in ("", "Mars/Base", "/etc/localtime", "Europe", "a" * 300, "Europe/Berlin\0", 5):
        with pytest.raises(Invalid, match=r'^expected a time zone name like "Europe/Berlin"'):
            zone(bad)
