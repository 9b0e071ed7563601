"""`calmcoach log water|caffeine|twitch|undo`: record the day in a few keystrokes.

Every log prints one line: what was recorded and where the day stands. A caffeine entry that takes
the day over the limit, or leaves more than about 50 mg at bedtime, says so at once; a twitch
entry that completes a warning sign brings the suggestion to see a doctor.

Meant to be quick (issue 7: 4x `python -c pass` at most): `log water`, `log twitch` and `log undo`
read the few settings they need from the cache of validated schedules (calmcoach.intake.log_settings)
and fall back to the full loader, with its errors, whenever the files are not exactly ones it
validated; `log caffeine` loads the whole schedule for its drink table. A damaged history is moved
aside with one message and the entry goes into a new one (calmcoach.history.recovery).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from calmcoach.commands.common import add_schedule_option
from calmcoach.units import cut

if TYPE_CHECKING:
    from datetime import datetime, tzinfo

    from calmcoach.context import Context
    from calmcoach.history import History
    from calmcoach.intake.log_settings import LogSettings
    from calmcoach.schedule.model import Settings

# Limits on one entry, to catch typos ("log water 25l") before they skew every chart.
MAX_WATER_ML = 5000.0
MAX_CAFFEINE_MG = 1000.0
# A bare number below this is more likely a count of glasses or litres than millilitres.
MIN_BARE_ML = 50.0

PLACES = "neck, shoulder, eyelid, calf, ..."


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "log",
        help="record water, caffeine or a twitch (or undo the last entry)",
        description="Record water, caffeine or a twitch, now or earlier with --at; `log undo` removes "
        "the last entry. Each prints where the day stands.",
    )
    actions = parser.add_subparsers(dest="what", metavar="WHAT", required=True)
    common = argparse.ArgumentParser(add_help=False)
    add_when_option(common)
    add_schedule_option(common)

    water = actions.add_parser(
        "water",
        parents=[common],
        help="record water drunk (a glass by default)",
        description="Record water drunk. A glass is 250 ml, a bottle 500 ml, a cup 240 ml.",
    )
    water.add_argument(
        "amount",
        nargs="*",
        metavar="AMOUNT",
        help='how much: "250ml", "0.5l", "12oz", "glass", "2 glasses", "bottle" (default: a glass)',
    )
    water.set_defaults(func=run, action=_water)

    caffeine = actions.add_parser(
        "caffeine",
        parents=[common],
        help="record a caffeinated drink or a dose",
        description="Record caffeine: a drink, a drink and a size, or a dose. Drinks (Mayo Clinic "
        "figures): brewed coffee (coffee) 96 mg/8 oz, espresso 64 mg/1 oz, black tea (tea) 47 mg/8 oz, "
        "green tea 28 mg/8 oz, cola 22 mg/8 oz, energy drink 72 mg/8 oz, and those in your schedule's "
        "[settings] drinks. Examples: coffee; green tea 12oz; espresso double; cola 330ml; 120mg.",
    )
    caffeine.add_argument(
        "words",
        nargs="+",
        metavar="DRINK [SIZE] | DOSE",
        help='a drink ("coffee", "green tea") with an optional size ("12oz", "350ml", "double", '
        '"2x", or its dose "150mg"), or a dose alone ("120mg")',
    )
    caffeine.set_defaults(func=run, action=_caffeine)

    twitch = actions.add_parser(
        "twitch",
        parents=[common],
        help="record a twitch in the journal",
        description="Record a twitch. Some entries are warning signs (both sides, a new symptom, "
        "weakness, twitching in several places, or on most days for more than two weeks); calmcoach "
        "then suggests seeing a doctor. It never diagnoses.",
    )
    twitch.add_argument("--where", metavar="PLACE", help=f"where it twitched: {PLACES}")
    twitch.add_argument("--side", choices=("left", "right", "both"), help="which side (both: at once)")
    twitch.add_argument("--stress", type=_stress, metavar="0-10", help="how stressed you felt, 0-10")
    twitch.add_argument("--note", metavar="TEXT", help="anything else worth remembering")
    twitch.add_argument(
        "--new-symptom",
        action="store_true",
        help="something you have not felt before came with it (numbness, pain, a change in how you move...)",
    )
    twitch.add_argument("--weakness", action="store_true", help="the muscle felt weak, not only twitchy")
    twitch.set_defaults(func=run, action=_twitch)

    undo = actions.add_parser(
        "undo",
        help="remove the last entry logged",
        description="Remove the last water, caffeine or twitch entry.",
    )
    add_schedule_option(undo)
    undo.set_defaults(func=run, action=_undo)


def add_when_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--at",
        metavar="TIME",
        help='when it happened: "HH:MM" today, a date and time like "2024-05-06T14:30", or "45m ago" '
        "(default: now)",
    )


def _stress(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number from 0 to 10, got {cut(text)!r}") from None
    if not 0 <= value <= 10:
        raise argparse.ArgumentTypeError(f"expected a whole number from 0 to 10, got {cut(text)!r}")
    return value


def usage_error(command: str, message: str) -> Exception:
    """Given the command's words and what is wrong, return the error for a usage mistake."""
    from calmcoach.errors import EXIT_USAGE, CalmcoachError

    return CalmcoachError(f"calmcoach {command}: {message}", exit_code=EXIT_USAGE)


def moment(args: argparse.Namespace, command: str, now: datetime, tz: tzinfo) -> datetime:
    """Given the parsed --at (or none), now and the schedule's zone, return when the entry happened."""
    if not getattr(args, "at", None):
        return now
    from calmcoach.intake.when import parse_at

    try:
        return parse_at(args.at, now, tz)
    except ValueError as error:
        raise usage_error(command, f"--at: {error}") from error


def run(args: argparse.Namespace, ctx: Context) -> int:
    from calmcoach.commands.common import schedule_files
    from calmcoach.history.recovery import with_history

    files = schedule_files(args.schedule, ctx.paths)
    settings: Settings | LogSettings
    if args.action is _caffeine:  # the drink table and the caffeine settings: the whole schedule
        from calmcoach.schedule.loader import load_files

        settings = load_files(files).settings
    else:  # the zone and the water goal: remembered from the last validation of these very files
        from calmcoach.intake.log_settings import log_settings

        settings = log_settings(files, ctx.paths.cache)
    now = ctx.clock.now(settings.timezone)
    code: int = with_history(
        ctx.paths.history_db,
        lambda history: args.action(args, ctx, history, settings, now),
        now=now,
        warn=ctx.warn,
    )
    return code


def _when_words(args: argparse.Namespace, at: datetime, now: datetime) -> str:
    if not getattr(args, "at", None):
        return ""
    local = at.astimezone(now.tzinfo)  # an ISO time may carry another offset: show it as local
    return f" at {local:%H:%M}" if local.date() == now.date() else f" at {local:%a %d %b %H:%M}"


def _water(
    args: argparse.Namespace, ctx: Context, history: History, settings: LogSettings, now: datetime
) -> int:
    from calmcoach.history.views import water_total_line
    from calmcoach.intake.fmt import format_volume

    ml = water_ml(" ".join(args.amount) if args.amount else "glass")  # "" is a mistake, not a glass
    at = moment(args, "log water", now, settings.timezone)
    history.log_water(ml, at)
    total = water_total_line(history, settings.water_goal_ml, settings.water_window, settings.timezone, now)
    ctx.out(f"Logged {format_volume(ml)} of water{_when_words(args, at, now)}. {total}")
    return 0


def water_ml(text: str) -> float:
    """Given the amount typed after `log water`, return millilitres; raise a usage error if odd."""
    import re

    from calmcoach.units import parse_volume_ml

    # "a glass" reads as one glass; units.parse_volume_ml counts glasses, bottles and cups.
    text = re.sub(r"^\s*an?\s+", "", text, flags=re.IGNORECASE)
    try:
        ml = parse_volume_ml(text)
    except ValueError as error:
        raise usage_error("log water", str(error)) from error
    if text.strip().replace(".", "", 1).isdigit() and ml < MIN_BARE_ML:
        raise usage_error(
            "log water",
            f'{text!r} has no unit: did you mean "{text} glasses" or "{text}l"? (a bare number is ml)',
        )
    if ml > MAX_WATER_ML:
        raise usage_error("log water", f"{ml / 1000:g} l at once looks like a typo; log up to 5 l per entry")
    return ml


def _caffeine(
    args: argparse.Namespace, ctx: Context, history: History, settings: Settings, now: datetime
) -> int:
    from calmcoach.history.views import caffeine_report, caffeine_tip, caffeine_total_line
    from calmcoach.intake.caffeine import advice_after_drink
    from calmcoach.intake.drinks import drink_table, serving
    from calmcoach.intake.fmt import format_volume

    try:
        drink = serving(list(args.words), drink_table(settings.drinks))
    except ValueError as error:
        raise usage_error("log caffeine", str(error)) from error
    if drink.mg > MAX_CAFFEINE_MG:
        raise usage_error(
            "log caffeine",
            f"{drink.mg:.0f} mg at once looks like a typo; log up to {MAX_CAFFEINE_MG:.0f} mg per entry",
        )
    at = moment(args, "log caffeine", now, settings.timezone)
    history.log_caffeine(drink.mg, drink.drink, at, drink.volume_ml)
    rep = caffeine_report(history, settings, now)
    what = ", ".join(
        x for x in (drink.drink, format_volume(drink.volume_ml) if drink.volume_ml else None) if x
    )
    ctx.out(
        f"Logged {drink.mg:.0f} mg of caffeine{f' ({what})' if what else ''}{_when_words(args, at, now)}. "
        f"{caffeine_total_line(rep)}"
    )
    if rep.over_limit or rep.high_at_bedtime:  # only then is the tip catalogue worth reading
        for line in advice_after_drink(rep, settings.caffeine_half_life, caffeine_tip(rep)):
            ctx.out(line)
    return 0


def _twitch(
    args: argparse.Namespace, ctx: Context, history: History, settings: LogSettings, now: datetime
) -> int:
    from calmcoach.intake.records import Side
    from calmcoach.intake.warnings import doctor_advice, warning_signs

    at = moment(args, "log twitch", now, settings.timezone)
    where = args.where.strip() if args.where and args.where.strip() else None
    history.log_twitch(
        at,
        where=where,
        side=Side(args.side) if args.side else None,
        stress=args.stress,
        note=args.note,
        new_symptom=args.new_symptom,
        weakness=args.weakness,
    )
    tz = settings.timezone
    journal = history.twitches()
    today = now.astimezone(tz).date()
    count = sum(t.at.astimezone(tz).date() == today for t in journal)
    details = ", ".join(
        x
        for x in (
            where,
            args.side,
            f"stress {args.stress}" if args.stress is not None else None,
            "new symptom" if args.new_symptom else None,
            "weakness" if args.weakness else None,
        )
        if x
    )
    ctx.out(
        f"Logged a twitch{f' ({details})' if details else ''}{_when_words(args, at, now)}. "
        f"Today: {count} twitch{'es' if count != 1 else ''}."
    )
    advice = doctor_advice(warning_signs(journal, now, tz))
    if advice:
        ctx.out(advice)
    return 0


def _undo(
    args: argparse.Namespace, ctx: Context, history: History, settings: LogSettings, now: datetime
) -> int:
    from calmcoach.errors import CalmcoachError

    removed = history.undo_last()
    if removed is None:
        raise CalmcoachError(
            "calmcoach log undo: nothing to undo (no water, caffeine or twitch entries left)"
        )
    ctx.out(f"Removed {removed}.")
    return 0
