"""What a due reminder says: pure wording, from the reminder, what the person did, and the catalogue.

`compose` turns a due reminder and its context (today's water and caffeine figures when history is
available, the wording it used last time, the tip rotation) into a `Composed` message, or a
`Skip` with the reason when saying nothing is kinder (a hydration reminder when the person is on
pace and drank recently). The body carries a tip from the catalogue, so the facts are the
catalogue's, with its sources; the same reminder never says the same thing twice in a row.

No clock, no randomness of its own, no I/O: the service passes `now`, a `random.Random` and the
figures, and stores `Composed.wording` and `Composed.rotation` for next time.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from calmcoach.content.tips import CATEGORY_TITLES, Rotation, Tip, of_topic, pick_tip
from calmcoach.intake.fmt import format_mg, format_volume
from calmcoach.intake.hydration import DEFAULT_WINDOW, hydration_decision, pace_words
from calmcoach.outputs import Message
from calmcoach.schedule.model import Every, Kind, Reminder, Settings

# The catalogue topic each kind draws its tips from (None: any topic).
TOPIC: dict[Kind, str | None] = {
    Kind.HYDRATION: "hydration",
    Kind.CAFFEINE: "caffeine",
    Kind.STRETCH: "stretching",
    Kind.BREATHING: "stress",
    Kind.TIP: None,
}

TITLES: dict[Kind, tuple[str, ...]] = {
    Kind.HYDRATION: ("Time for some water", "A glass of water?", "Water break", "A few sips of water"),
    Kind.CAFFEINE: ("Caffeine cut-off", "Last call for caffeine", "Time to switch to decaf"),
    Kind.STRETCH: ("Stretch break", "Neck and shoulder stretch", "Time to loosen up"),
    Kind.BREATHING: ("Breathing break", "A few slow breaths", "Time to breathe slowly"),
    # More than one, so a tip reminder in the user's own words still varies its title.
    Kind.TIP: ("A tip from calmcoach", "A reminder from calmcoach", "A moment for yourself"),
}
FIRM_TITLES = ("Behind on water today", "Time to catch up on water")

# fmt: off
_NUMBER_WORDS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen", "twenty",
)
# fmt: on


@dataclass(frozen=True)
class ReminderContext:
    """What the service knows when a reminder is due. Figures are None without a history store."""

    now: datetime
    previous: str | None = None  # the wording this reminder used last time
    rotation: Rotation = field(default_factory=Rotation)
    water_ml_today: float | None = None
    last_drink_at: datetime | None = None
    caffeine_mg_today: float | None = None
    caffeine_mg_at_bedtime: float | None = None
    session_length: timedelta | None = None  # breathing and stretch: how long the session will take
    session_lead: timedelta | None = None  # and how long until it starts


@dataclass(frozen=True)
class Composed:
    message: Message
    wording: str  # the tip id (or title) used, so the next message can differ
    rotation: Rotation  # the tip rotation to save
    firm: bool = False


@dataclass(frozen=True)
class Skip:
    reason: str


def compose(
    reminder: Reminder,
    settings: Settings,
    context: ReminderContext,
    tips: Sequence[Tip],
    rng: random.Random,
) -> Composed | Skip:
    """Given a due reminder, the settings, the context, the catalogue and a random source, return
    what to say, or why to say nothing."""
    firm = False
    if reminder.kind is Kind.HYDRATION and context.water_ml_today is not None:
        decision = hydration_decision(
            settings.water_goal_ml,
            context.water_ml_today,
            reminder.between or DEFAULT_WINDOW,
            context.now,
            context.last_drink_at,
            _interval(reminder),
        )
        if decision == "skip":
            pace = pace_words(
                settings.water_goal_ml,
                context.water_ml_today,
                reminder.between or DEFAULT_WINDOW,
                context.now,
            )
            return Skip(
                f"{format_volume(context.water_ml_today)} drunk today, {pace}, "
                "and a drink within the interval"
            )
        firm = decision == "firm"
    if reminder.message:
        return _own_words(reminder, context, rng)
    tip = _next_tip(tips, TOPIC[reminder.kind], context, rng)
    title = _title(reminder.kind, tip, firm, rng)
    written, spoken = _lead_line(reminder, settings, context, firm)
    body = " ".join(part for part in (written, tip.text) if part)
    speech = " ".join(part for part in (spoken, tip.spoken) if part)
    return Composed(Message(title, body, speech), tip.id, context.rotation.after(tips, tip), firm)


def _interval(reminder: Reminder) -> timedelta:
    """Given a reminder, return the gap its firings leave: the `every`, else a default hour."""
    return reminder.trigger.interval if isinstance(reminder.trigger, Every) else timedelta(hours=1)


def _next_tip(tips: Sequence[Tip], topic: str | None, context: ReminderContext, rng: random.Random) -> Tip:
    """Given the topic, pick a tip the rotation has not shown, never the one this reminder used last."""
    shown = list(context.rotation.shown(topic))
    if context.previous is not None:
        shown.append(context.previous)  # last in the list: a new round never starts with it
    pool = of_topic(tips, topic)
    tip = pick_tip(tips, topic, shown, rng)
    if tip.id == context.previous and len(pool) > 1:
        tip = rng.choice([t for t in pool if t.id != context.previous])
    return tip


def _title(kind: Kind, tip: Tip, firm: bool, rng: random.Random) -> str:
    if kind is Kind.TIP:
        return CATEGORY_TITLES.get(tip.category, TITLES[Kind.TIP][0])
    return rng.choice(FIRM_TITLES if firm else TITLES[kind])


def _lead_line(
    reminder: Reminder, settings: Settings, context: ReminderContext, firm: bool
) -> tuple[str, str]:
    """Given the reminder and what is known, return the sentence that opens the body, written
    (with figures) and spoken (figures are for reading; espeak stumbles over "ml" and "mg")."""
    kind = reminder.kind
    if kind is Kind.HYDRATION:
        return _water_line(settings, context, firm)
    if kind is Kind.CAFFEINE:
        return _caffeine_line(settings, context)
    if kind in (Kind.BREATHING, Kind.STRETCH):
        line = _session_line(kind, context)
        return line, line
    return "", ""


def _water_line(settings: Settings, context: ReminderContext, firm: bool) -> tuple[str, str]:
    if firm:
        spoken = "You are behind on water today. Please have a full glass now."
    else:
        spoken = "Time for a glass of water."
    if context.water_ml_today is None:
        return "Have a glass of water.", spoken
    so_far = (
        f"{format_volume(context.water_ml_today)} of {format_volume(settings.water_goal_ml)} so far today."
    )
    written = (
        f"You are behind on water: {so_far} Have a full glass now."
        if firm
        else f"Have a glass of water: {so_far}"
    )
    return written, spoken


def _caffeine_line(settings: Settings, context: ReminderContext) -> tuple[str, str]:
    spoken = "Time for your last caffeine of the day. From now on, choose drinks without it."
    written = f"Bedtime is at {settings.bedtime:%H:%M}: from now on, choose drinks without caffeine."
    if context.caffeine_mg_today is not None:
        limit = format_mg(settings.caffeine_limit_mg)
        written += f" Today so far: {format_mg(context.caffeine_mg_today)} of {limit}"
        if context.caffeine_mg_at_bedtime is not None:
            written += f", about {format_mg(context.caffeine_mg_at_bedtime)} still in you at bedtime"
        written += "."
    return written, spoken


def _session_line(kind: Kind, context: ReminderContext) -> str:
    what = "breathing break" if kind is Kind.BREATHING else "stretch break"
    if context.session_length is None or context.session_length < timedelta(seconds=45):
        length = f"short {what}"
    else:
        minutes = max(1, round(context.session_length.total_seconds() / 60))
        length = f"{_number(minutes)}-minute {what}"
    lead = context.session_lead or timedelta(0)
    if lead <= timedelta(0):
        return f"A {length} starts now."
    return f"A {length} starts in {_number(round(lead.total_seconds()))} seconds."


def _number(value: int) -> str:
    """Given a count, return it in words up to twenty (espeak then reads it calmly), digits beyond."""
    return _NUMBER_WORDS[value] if 0 <= value < len(_NUMBER_WORDS) else str(value)


def _own_words(reminder: Reminder, context: ReminderContext, rng: random.Random) -> Composed:
    """Given a reminder with the user's own message, vary the title around it, never repeating."""
    titles = [t for t in TITLES[reminder.kind] if t != context.previous] or list(TITLES[reminder.kind])
    title = rng.choice(titles)
    text = reminder.message or ""
    return Composed(Message(title, text, text), title, context.rotation)
