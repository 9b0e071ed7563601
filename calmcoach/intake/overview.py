"""What `calmcoach today` shows: one day's water, caffeine, sessions, reminders and twitches.

`Today` is built from entries already read from the history and the settings, so it is pure; it
renders itself as lines of text and as the JSON object `today --json` prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from calmcoach.intake import caffeine as caffeine_model
from calmcoach.intake import hydration
from calmcoach.intake.fmt import format_mg, format_volume, percent
from calmcoach.intake.records import CaffeineEntry, Delivery, SessionRecord, TwitchEntry, WaterEntry
from calmcoach.intake.warnings import WarningSign, doctor_advice, warning_signs
from calmcoach.schedule.model import Settings, TimeWindow


@dataclass(frozen=True)
class Today:
    day: date
    now: datetime
    zone: str
    water_ml: float
    water_goal_ml: float
    water_expected_ml: float
    pace: str
    caffeine: caffeine_model.CaffeineReport
    sessions: tuple[SessionRecord, ...]
    deliveries: tuple[Delivery, ...]
    twitches: tuple[TwitchEntry, ...]
    signs: tuple[WarningSign, ...]

    @property
    def acted_on(self) -> int:
        return sum(d.acted_at is not None for d in self.deliveries)

    @property
    def sessions_completed(self) -> int:
        return sum(s.completed for s in self.sessions)

    def as_json(self) -> dict[str, Any]:
        """Return the JSON object `today --json` prints (times in ISO 8601 with their offset)."""
        c = self.caffeine
        return {
            "date": self.day.isoformat(),
            "now": self.now.isoformat(timespec="seconds"),
            "timezone": self.zone,
            "water_ml": round(self.water_ml, 1),
            "water_goal_ml": round(self.water_goal_ml, 1),
            "water_expected_ml": round(self.water_expected_ml, 1),
            "water_pace": self.pace,
            "caffeine_mg_total": round(c.total_today_mg, 1),
            "caffeine_limit_mg": round(c.limit_mg, 1),
            "caffeine_mg_now": round(c.level_now_mg, 1),
            "caffeine_mg_at_bedtime": round(c.level_at_bedtime_mg, 1),
            "bedtime": c.bedtime.isoformat(timespec="minutes"),
            "sessions_completed": self.sessions_completed,
            "sessions": [
                {
                    "kind": s.kind,
                    "name": s.name,
                    "started_at": s.started_at.astimezone(self.now.tzinfo).isoformat(timespec="seconds"),
                    "cycles_planned": s.cycles_planned,
                    "cycles_done": s.cycles_done,
                    "completed": s.completed,
                }
                for s in self.sessions
            ],
            "reminders_delivered": len(self.deliveries),
            "reminders_acted_on": self.acted_on,
            "reminders": [
                {
                    "name": d.reminder,
                    "kind": d.kind,
                    "at": d.at.astimezone(self.now.tzinfo).isoformat(timespec="seconds"),
                    "channel": d.channel,
                    "acted_on": d.acted_at is not None,
                }
                for d in self.deliveries
            ],
            "twitches": [
                {
                    "at": t.at.astimezone(self.now.tzinfo).isoformat(timespec="seconds"),
                    "where": t.where,
                    "side": t.side.value if t.side else None,
                    "stress": t.stress,
                    "note": t.note,
                    "new_symptom": t.new_symptom,
                    "weakness": t.weakness,
                }
                for t in self.twitches
            ],
            "warning_signs": [{"code": s.code, "text": s.text} for s in self.signs],
            "doctor_advice": doctor_advice(self.signs),
        }

    @property
    def title(self) -> str:
        return f"Today, {self.day:%a %d %b} ({self.zone}, now {self.now:%H:%M})"

    def rows(self) -> list[tuple[str, str]]:
        """Return the day as (label, text) pairs."""
        c = self.caffeine
        return [
            (
                "Water",
                f"{format_volume(self.water_ml)} of {format_volume(self.water_goal_ml)} "
                f"({percent(self.water_ml, self.water_goal_ml)}), {self.pace}",
            ),
            (
                "Caffeine",
                f"{format_mg(c.total_today_mg)} of {format_mg(c.limit_mg)} today; "
                f"{format_mg(c.level_now_mg)} in the body now, about {format_mg(c.level_at_bedtime_mg)} "
                f"at bedtime ({c.bedtime:%H:%M})",
            ),
            ("Sessions", self._sessions_text()),
            ("Reminders", f"{len(self.deliveries)} delivered, {self.acted_on} acted on"),
            ("Twitches", self._twitches_text()),
        ]

    @property
    def advice(self) -> str | None:
        return doctor_advice(self.signs)

    def lines(self) -> list[str]:
        """Return the day as plain lines: a title, labelled rows, and any advice after a blank line."""
        out = [self.title] + [f"{label:<10} {text}" for label, text in self.rows()]
        if self.advice:
            out += ["", self.advice]
        return out

    def _sessions_text(self) -> str:
        if not self.sessions:
            return "none yet"
        names = ", ".join(
            f"{s.name}" + ("" if s.completed else f" ({s.cycles_done}/{s.cycles_planned}, stopped)")
            for s in self.sessions
        )
        return f"{self.sessions_completed} of {len(self.sessions)} completed: {names}"

    def _twitches_text(self) -> str:
        if not self.twitches:
            return "none logged"
        parts = []
        for t in self.twitches:
            details = ", ".join(
                x for x in (t.where, t.side.value if t.side else None, _stress(t.stress)) if x is not None
            )
            parts.append(f"{t.at.astimezone(self.now.tzinfo):%H:%M}" + (f" ({details})" if details else ""))
        return f"{len(self.twitches)}: " + "; ".join(parts)


def _stress(value: int | None) -> str | None:
    return None if value is None else f"stress {value}"


def build_today(
    *,
    now: datetime,
    settings: Settings,
    window: TimeWindow,
    water: Sequence[WaterEntry],
    doses: Sequence[CaffeineEntry],
    sessions: Sequence[SessionRecord],
    deliveries: Sequence[Delivery],
    journal: Sequence[TwitchEntry],
) -> Today:
    """Given now, the settings, the hydration window and the entries (today's water, sessions and
    deliveries; the caffeine doses that still matter; the whole twitch journal), return the day."""
    tz: tzinfo = settings.timezone
    local = now.astimezone(tz)
    day = local.date()
    water_ml = sum(w.ml for w in water if w.at.astimezone(tz).date() == day)
    return Today(
        day=day,
        now=local,
        zone=str(getattr(tz, "key", tz)),
        water_ml=water_ml,
        water_goal_ml=settings.water_goal_ml,
        water_expected_ml=hydration.expected_ml(settings.water_goal_ml, window, local),
        pace=hydration.pace_words(settings.water_goal_ml, water_ml, window, local),
        caffeine=caffeine_model.report(
            doses,
            now,
            tz=tz,
            half_life=settings.caffeine_half_life,
            limit_mg=settings.caffeine_limit_mg,
            bedtime=settings.bedtime,
        ),
        sessions=tuple(s for s in sessions if s.started_at.astimezone(tz).date() == day),
        deliveries=tuple(d for d in deliveries if d.at.astimezone(tz).date() == day),
        twitches=tuple(t for t in journal if t.at.astimezone(tz).date() == day),
        signs=tuple(warning_signs(journal, now, tz)),
    )
