"""Pruning the voice cache: least recently used clips go first once the cache is over its bound,
a clip used within the in-use window never goes, temporary leftovers of a crash go, anything
that is not the cache's stays, and files vanishing or changing meanwhile are no error.

Real files in the test's cache folder, with their times set explicitly and the time now and the
size bound passed in: nothing depends on the machine's clock or speed, except the speaker tests,
which use the real engine and compare times only with what was read before the call.
"""

from __future__ import annotations

import logging
import os
import time
from array import array
from pathlib import Path

import pytest

from calmcoach.outputs.voice import TtsSpeaker
from calmcoach.outputs.voice.cache import mark_used
from calmcoach.outputs.voice.cache_prune import (
    IN_USE_S,
    MAX_BYTES,
    CachedFile,
    Pruned,
    Scan,
    choose,
    is_temporary,
    prune,
    prune_quietly,
    remove,
    scan,
)
from calmcoach.outputs.wavtools import write_pcm
from calmcoach.schedule.model import VoiceSettings

S = 1_000_000_000  # nanoseconds in a second
HOUR = 3600 * S
NOW = 1_800_000_000 * S  # January 2027, as nanoseconds since the epoch
IN_USE = 600.0  # the window the unit tests pass: ten minutes


def clip(folder: Path, name: str, size: int, *, used: int, made: int | None = None) -> Path:
    """Create the clip `name` of `size` bytes, last used at `used` and made at `made` (ns)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"\0" * size)
    os.utime(path, ns=(used, used if made is None else made))
    return path


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def fake(name: str, size: int, used: int, made: int = 0) -> CachedFile:
    return CachedFile(Path("/cache") / name, size, inode=hash(name), atime_ns=used, mtime_ns=made)


# -- choosing: which files go ------------------------------------------------------------------


def test_nothing_goes_while_the_clips_fit() -> None:
    found = Scan(tuple(fake(f"{i}.wav", 100, NOW - 9 * HOUR) for i in range(5)), ())
    assert choose(found, now_ns=NOW, max_bytes=500, in_use_s=IN_USE) == []


def test_the_least_recently_used_go_first_until_the_rest_fit() -> None:
    found = Scan(
        (
            fake("b.wav", 100, NOW - 3 * HOUR),
            fake("a.wav", 100, NOW - 5 * HOUR),
            fake("d.wav", 100, NOW - 1 * HOUR),
            fake("c.wav", 100, NOW - 5 * HOUR),  # as old as a: the name decides, for a stable order
            fake("e.wav", 100, NOW - 2 * HOUR, made=NOW - 9 * HOUR),
        ),
        (),
    )
    chosen = choose(found, now_ns=NOW, max_bytes=250, in_use_s=IN_USE)
    assert [f.path.name for f in chosen] == ["a.wav", "c.wav", "b.wav"]  # 500 -> 200 bytes


def test_a_clip_used_within_the_in_use_window_never_goes_even_over_the_bound() -> None:
    just_used = fake("used.wav", 1000, NOW - 599 * S)  # may be playing in another process
    just_made = fake("made.wav", 1000, used=NOW - 9 * HOUR, made=NOW - 10 * S)
    old = fake("old.wav", 1000, NOW - 601 * S)
    chosen = choose(Scan((just_used, just_made, old), ()), now_ns=NOW, max_bytes=0, in_use_s=IN_USE)
    assert chosen == [old]


def test_a_clip_used_in_the_future_counts_as_in_use() -> None:
    # The clock was set back after it was used: it may be playing; it is never taken for old.
    ahead = fake("ahead.wav", 1000, NOW + 2 * HOUR)
    assert choose(Scan((ahead,), ()), now_ns=NOW, max_bytes=0, in_use_s=IN_USE) == []


def test_leftover_temporary_files_go_and_those_being_written_stay() -> None:
    crashed = fake(".raw-abc.wav", 10, NOW - 2 * HOUR)
    writing = fake(".x.wav.k2j.tmp", 10, NOW - 5 * S)
    chosen = choose(Scan((), (crashed, writing)), now_ns=NOW, max_bytes=MAX_BYTES, in_use_s=IN_USE)
    assert chosen == [crashed]


@pytest.mark.parametrize(
    ("name", "temporary"),
    [
        (".raw-k2j4l.wav", True),  # the engine's output (speaker.py's mkstemp)
        (".0123abcd.wav.x8f2.tmp", True),  # a clip being written (wavtools.write_pcm)
        ("0123abcd.wav", False),
        (".hidden.wav", False),
        ("raw-k2j4l.wav", False),
        ("notes.tmp", False),
    ],
)
def test_temporary_names(name: str, temporary: bool) -> None:
    assert is_temporary(name) is temporary


# -- pruning real files ------------------------------------------------------------------------


def test_prune_removes_the_least_recently_used_clips_and_nothing_else(tmp_path: Path) -> None:
    cache = tmp_path / "voice"
    for age in range(1, 6):  # 1.wav used an hour ago ... 5.wav five hours ago
        clip(cache, f"{age}.wav", 1000, used=NOW - age * HOUR)
    clip(cache, ".raw-left.wav", 50, used=NOW - 2 * HOUR)  # a crash's leftover
    (cache / "notes.txt").write_text("not ours")
    (cache / "sub.wav").mkdir()
    outside = clip(tmp_path, "outside.wav", 5000, used=NOW - 9 * HOUR)
    (cache / "link.wav").symlink_to(outside)

    result = prune(cache, now_ns=NOW, max_bytes=2500, in_use_s=IN_USE)

    assert result == Pruned(removed=3, removed_bytes=3000, kept=2, kept_bytes=2000, temporary_removed=1)
    assert names(cache) == ["1.wav", "2.wav", "link.wav", "notes.txt", "sub.wav"]
    assert outside.read_bytes() == b"\0" * 5000  # a link is not followed, nor its target removed


def test_a_cache_within_its_bound_is_left_as_it_is(tmp_path: Path) -> None:
    cache = tmp_path / "voice"
    for age in range(1, 4):
        clip(cache, f"{age}.wav", 1000, used=NOW - age * HOUR)
    before = {p.name: p.stat() for p in cache.iterdir()}
    assert prune(cache, now_ns=NOW, max_bytes=3000, in_use_s=IN_USE) == Pruned(0, 0, 3, 3000, 0)
    after = {p.name: p.stat() for p in cache.iterdir()}
    assert {n: (s.st_ino, s.st_atime_ns, s.st_mtime_ns) for n, s in after.items()} == {
        n: (s.st_ino, s.st_atime_ns, s.st_mtime_ns) for n, s in before.items()
    }  # the scan itself marks nothing as used


def test_no_cache_folder_yet_is_nothing_to_do(tmp_path: Path) -> None:
    assert prune(tmp_path / "voice", now_ns=NOW) == Pruned(0, 0, 0, 0, 0)
    (tmp_path / "file").write_text("")
    assert prune(tmp_path / "file", now_ns=NOW) == Pruned(0, 0, 0, 0, 0)


def test_marking_a_clip_used_makes_it_the_last_to_go(tmp_path: Path) -> None:
    cache = tmp_path / "voice"
    oldest = clip(cache, "oldest.wav", 1000, used=NOW - 3 * HOUR)
    clip(cache, "middle.wav", 1000, used=NOW - 2 * HOUR)
    clip(cache, "newest.wav", 1000, used=NOW - 1 * HOUR)
    made = oldest.stat().st_mtime_ns

    assert mark_used(oldest, now_ns=NOW - 30 * 60 * S) is True

    assert oldest.stat().st_mtime_ns == made  # when it was made is kept
    result = prune(cache, now_ns=NOW, max_bytes=1000, in_use_s=IN_USE)
    assert (result.removed, names(cache)) == (2, ["oldest.wav"])


def test_mark_used_without_a_time_uses_now_and_tells_a_miss(tmp_path: Path) -> None:
    path = clip(tmp_path, "a.wav", 10, used=NOW - 9 * HOUR * 1000)
    before = time.time_ns()
    assert mark_used(path) is True
    assert path.stat().st_atime_ns >= before
    assert mark_used(tmp_path / "missing.wav") is False
    (tmp_path / "folder.wav").mkdir()
    assert mark_used(tmp_path / "folder.wav") is False


def test_a_file_that_vanishes_after_the_scan_is_no_error(tmp_path: Path) -> None:
    cache = tmp_path / "voice"
    first = clip(cache, "a.wav", 1000, used=NOW - 3 * HOUR)
    clip(cache, "b.wav", 1000, used=NOW - 2 * HOUR)
    found = scan(cache)
    first.unlink()  # another process pruned it, or the person cleared the cache
    victims = choose(found, now_ns=NOW, max_bytes=1000, in_use_s=IN_USE)
    assert [v.path.name for v in victims] == ["a.wav"]
    assert [g.path.name for g in remove(victims)] == ["a.wav"]  # gone, as wanted
    assert names(cache) == ["b.wav"]


def test_a_clip_used_after_the_scan_is_kept(tmp_path: Path) -> None:
    cache = tmp_path / "voice"
    victim = clip(cache, "a.wav", 1000, used=NOW - 3 * HOUR)
    clip(cache, "b.wav", 1000, used=NOW - 2 * HOUR)
    victims = choose(scan(cache), now_ns=NOW, max_bytes=1000, in_use_s=IN_USE)
    assert [v.path for v in victims] == [victim]
    mark_used(victim)  # a speaker hits it between the scan and the removal
    assert remove(victims) == []
    assert names(cache) == ["a.wav", "b.wav"]


def test_a_clip_made_again_after_the_scan_is_kept(tmp_path: Path) -> None:
    cache = tmp_path / "voice"
    victim = clip(cache, "a.wav", 1000, used=NOW - 3 * HOUR)
    victims = choose(scan(cache), now_ns=NOW, max_bytes=0, in_use_s=IN_USE)
    write_pcm(victim, 22050, array("h", [0] * 100))  # a new file, a new inode
    os.utime(victim, ns=(NOW - 3 * HOUR, NOW - 3 * HOUR))  # even with the same times
    assert remove(victims) == []
    assert victim.exists()


def test_prune_quietly_logs_what_it_removed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache = tmp_path / "voice"
    far_past = time.time_ns() - 100 * int(IN_USE_S) * S
    for i in range(3):
        clip(cache, f"{i}.wav", 1024 * 1024, used=far_past + i * S)
    with caplog.at_level(logging.INFO, logger="calmcoach"):
        result = prune_quietly(cache, max_bytes=1024 * 1024)
    assert result == Pruned(2, 2 * 1024 * 1024, 1, 1024 * 1024, 0)
    assert names(cache) == ["2.wav"]
    assert (
        "voice cache: removed 2 least recently used clip(s) (2.0 MiB) and 0 leftover temporary "
        "file(s); 1 clip(s) (1.0 MiB) kept, the bound is 1.0 MiB"
    ) in caplog.messages


def test_prune_quietly_never_raises(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreadable(path: object) -> None:
        # A folder without read permission (chmod cannot stop root, who runs CI).
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(os, "scandir", unreadable)
    with caplog.at_level(logging.WARNING, logger="calmcoach"):
        assert prune_quietly(tmp_path) is None
    assert caplog.messages == [f"could not prune the voice cache {tmp_path}: Permission denied"]


# -- the speaker -------------------------------------------------------------------------------


def test_a_new_speaker_prunes_its_cache_to_the_default_bound(voice_cache: Path, aplay: list[str]) -> None:
    long_ago = time.time_ns() - 48 * HOUR
    big = 30 * 1024 * 1024  # sparse files: 60 MiB that take no room on the disk
    for name, used in (("older.wav", long_ago), ("newer.wav", long_ago + HOUR)):
        clip(voice_cache, name, 0, used=used)
        with (voice_cache / name).open("r+b") as file:
            file.truncate(big)
        os.utime(voice_cache / name, ns=(used, used))
    clip(voice_cache, "small.wav", 1000, used=long_ago - HOUR)  # the oldest, but small
    assert 2 * big + 1000 > MAX_BYTES

    with TtsSpeaker(VoiceSettings(), voice_cache, player=aplay):
        # Oldest first: small.wav, then older.wav, after which the 30 MiB left fit.
        assert names(voice_cache) == ["newer.wav"]


def test_a_hit_is_marked_used_and_kept_while_in_use(speaker: TtsSpeaker, voice_cache: Path) -> None:
    path = speaker.synthesize("Roll your shoulders back.")
    made = path.stat()
    os.utime(path, ns=(made.st_mtime_ns - 48 * HOUR, made.st_mtime_ns - 48 * HOUR))  # as if old

    before = time.time_ns()
    assert speaker.synthesize("Roll your shoulders back.") == path
    hit = path.stat()
    assert hit.st_atime_ns >= before  # marked as used now
    assert (hit.st_ino, hit.st_mtime_ns) == (made.st_ino, made.st_mtime_ns - 48 * HOUR)  # not made again

    # Another process pruning down to nothing leaves it: it was used just now.
    assert prune(voice_cache, now_ns=time.time_ns(), max_bytes=0).removed == 0
    assert path.exists()
    # Once it has not been used for longer than the in-use window, it goes.
    assert prune(voice_cache, now_ns=time.time_ns() + 2 * int(IN_USE_S) * S, max_bytes=0).removed == 1
    assert not path.exists()


def test_a_clip_pruned_between_uses_is_made_again(speaker: TtsSpeaker) -> None:
    path = speaker.synthesize("Sip some water.")
    path.unlink()  # another process pruned it
    assert speaker.synthesize("Sip some water.") == path
    assert path.stat().st_size > 1000
