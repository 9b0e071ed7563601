"""Warning signs in the twitch journal, and the calm suggestion to see a doctor they bring.

The signs come from two sources and nowhere else:
- the article's section "In what cases should we see a doctor?": twitching on both sides at once,
  new symptoms with it, or a cause that is not one of the common ones;
- the NHS page "Muscle twitches": twitches lasting more than 2 weeks, in more than one place, or
  with weakness.

How each sign is read from the journal (all counted in the schedule's zone):
- both sides: an entry in the last 14 days logged with `--side both`;
- new symptoms: an entry in the last 14 days logged with `--new-symptom` (something else the person
  has not felt before came with the twitching);
- weakness: an entry in the last 14 days logged with `--weakness`;
- more than one place: entries in the last 14 days in two or more body areas; neck and shoulders
  (and upper back) count as one area, since that is the area this whole tool is about and the
  article treats twitching there under stress as the common case;
- most days for more than two weeks: entries on at least 8 of the last 14 days (today included),
  and at least one entry in the 7 days before those 14, so the twitching was already there when
  the two weeks began.

A cause outside the common ones cannot be read from a journal; the message names it in words.
calmcoach never diagnoses: it says which sign it saw and suggests a doctor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from calmcoach.intake.records import Side, TwitchEntry

RECENT_DAYS = 14
MOST_DAYS = 8  # "most days" of RECENT_DAYS: more than half
BEFORE_DAYS = 7  # how far before the 14 days an entry shows the twitching was already there

# Places that count as one area. Everything else a person types is its own area.
_NECK_AND_SHOULDERS = frozenset(
    {"neck", "shoulder", "shoulders", "upper back", "trapezius", "traps", "nape", "back of neck"}
)

SOURCES = 'The article ("In what cases should we see a doctor?") and the NHS page "Muscle twitches"'


@dataclass(frozen=True)
class WarningSign:
    code: str  # both-sides | new-symptom | weakness | several-places | most-days
    text: str  # what was seen, in plain words with the dates


def area(where: str | None) -> str | None:
    """Given a place as logged, return the body area it belongs to (None when none was given)."""
    if where is None or not where.strip():
        return None
    place = " ".join(where.lower().replace("-", " ").replace("_", " ").split())
    return "neck and shoulders" if place in _NECK_AND_SHOULDERS else place


def _dates(entries: Sequence[TwitchEntry], tz: tzinfo) -> list[date]:
    return sorted({e.at.astimezone(tz).date() for e in entries})


def _when(entries: Sequence[TwitchEntry], tz: tzinfo) -> str:
    days = _dates(entries, tz)
    shown = ", ".join(f"{d:%d %b}" for d in days[-3:])
    return f"on {shown}" if len(days) <= 3 else f"on {len(days)} days, most recently {shown}"


def warning_signs(entries: Sequence[TwitchEntry], now: datetime, tz: tzinfo) -> list[WarningSign]:
    """Given the whole twitch journal, now and the zone, return the warning signs it shows."""
    today = now.astimezone(tz).date()
    first_recent = today - timedelta(days=RECENT_DAYS - 1)
    logged = [e for e in entries if e.at <= now]
    recent = [e for e in logged if e.at.astimezone(tz).date() >= first_recent]
    signs: list[WarningSign] = []

    both = [e for e in recent if e.side is Side.BOTH]
    if both:
        signs.append(WarningSign("both-sides", f"twitching on both sides at once ({_when(both, tz)})"))
    new = [e for e in recent if e.new_symptom]
    if new:
        signs.append(WarningSign("new-symptom", f"a new symptom came with the twitching ({_when(new, tz)})"))
    weak = [e for e in recent if e.weakness]
    if weak:
        signs.append(WarningSign("weakness", f"weakness with the twitching ({_when(weak, tz)})"))
    areas = sorted({a for e in recent if (a := area(e.where)) is not None})
    if len(areas) >= 2:
        signs.append(
            WarningSign(
                "several-places",
                f"twitching in more than one place in the last {RECENT_DAYS} days ({', '.join(areas)})",
            )
        )
    days = {e.at.astimezone(tz).date() for e in recent}
    earliest_before = first_recent - timedelta(days=BEFORE_DAYS)
    already = any(earliest_before <= e.at.astimezone(tz).date() < first_recent for e in logged)
    if len(days) >= MOST_DAYS and already:
        signs.append(
            WarningSign(
                "most-days",
                f"twitching on {len(days)} of the last {RECENT_DAYS} days, and already before them "
                "(more than two weeks)",
            )
        )
    return signs


def doctor_advice(signs: Sequence[WarningSign]) -> str | None:
    """Given the warning signs found, return a calm suggestion to see a doctor (None when none)."""
    if not signs:
        return None
    seen = "; ".join(s.text for s in signs)
    return (
        f"Worth showing a doctor: your journal shows {seen}. "
        f"{SOURCES} suggest seeing a doctor when twitching comes with signs like these, or when its "
        "cause is not one of the common ones (stress, caffeine, tiredness, too little water, "
        "overused muscles). calmcoach cannot tell what causes it and this is not a diagnosis."
    )
