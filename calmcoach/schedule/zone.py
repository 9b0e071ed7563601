"""Time zones: the system's own, found robustly, and the `timezone` setting checked by name."""

from __future__ import annotations

import contextlib
import os
import zoneinfo
from collections.abc import Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

UTC = ZoneInfo("UTC")
# Lookups of a bad key raise any of these: not found (KeyError), an absolute or ".." path or a NUL
# (ValueError), a folder such as "Europe" or a name too long for the file system (OSError).
_LOOKUP_ERRORS = (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError)


def _named(key: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(key)
    except _LOOKUP_ERRORS:
        return None


def _key_from_path(path: str) -> str | None:
    """Given a path like /usr/share/zoneinfo/Europe/Berlin, return "Europe/Berlin"."""
    marker = "zoneinfo/"
    index = path.rfind(marker)
    return path[index + len(marker) :] if index >= 0 else None


def system_zone(environ: Mapping[str, str] | None = None, root: Path = Path("/")) -> ZoneInfo:
    """Given the environment and the root folder, return the system's zone, else UTC.

    Tried in order: $TZ (a name, ":Name" or a path into a zoneinfo folder; POSIX rule strings such
    as "CET-1CEST" cannot be named and are skipped), /etc/timezone (Debian), the target of the
    /etc/localtime symbolic link, and /etc/localtime itself when it is a copy rather than a link.
    """
    env = os.environ if environ is None else environ
    tz = env.get("TZ", "").strip().removeprefix(":")
    candidates = [tz, _key_from_path(tz) or ""] if tz else []
    with contextlib.suppress(OSError, UnicodeDecodeError, IndexError):
        candidates.append((root / "etc/timezone").read_text(encoding="utf-8").strip().splitlines()[0])
    localtime = root / "etc/localtime"
    with contextlib.suppress(OSError):  # not a link (or not there)
        candidates.append(_key_from_path(str(localtime.readlink())) or "")
    for key in candidates:
        zone = _named(key) if key else None
        if zone is not None:
            return zone
    try:
        with localtime.open("rb") as copy:
            return ZoneInfo.from_file(copy, key="localtime")
    except (OSError, ValueError):
        return UTC


def zone(value: object) -> ZoneInfo:
    """Given an IANA zone name like "Europe/Berlin", return the zone; raise Invalid otherwise."""
    # Imported here: `system_zone()` is on the path of every quick command (`log water`), and
    # these pull in the schedule's value checkers and model, which only validation needs.
    from calmcoach.schedule.hints import did_you_mean
    from calmcoach.schedule.values import Invalid, describe

    if not isinstance(value, str) or not value.strip():
        raise Invalid(f'expected a time zone name like "Europe/Berlin", got {describe(value)}')
    found = _named(value.strip())
    if found is None:
        # available_timezones() reads the whole database (about 20 ms); only pay for it on an error.
        hint = did_you_mean(value.strip(), zoneinfo.available_timezones(), quote='"')
        raise Invalid(
            f'expected a time zone name like "Europe/Berlin", got {describe(value)}: unknown zone{hint}'
        )
    return found
