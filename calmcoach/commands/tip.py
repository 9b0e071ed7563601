"""`calmcoach tip`: one tip from the catalogue, never repeating a topic's tip until all were shown.

Meant to be quick, so the catalogue is loaded inside `run` (from the cache folder once an earlier
run has checked it) and rich is imported only when the output is a terminal.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.console import Console

    from calmcoach.content.tips import Tip
    from calmcoach.context import Context

TOPICS_HELP = "hydration, caffeine, stretching, minerals, stress, rest, twitch-vs-spasm, doctor"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "tip",
        help="show one tip about tense, twitchy muscles",
        description=(
            "Show one tip from the catalogue. Tips of a topic do not repeat until all of that topic "
            "have been shown. A wellness helper, not a diagnosis."
        ),
    )
    parser.add_argument(
        "--topic",
        metavar="T",
        help=f"only tips of this topic: {TOPICS_HELP} (or words like water, coffee, sleep)",
    )
    parser.add_argument("--list", action="store_true", help="show the whole catalogue (or the topic's tips)")
    parser.add_argument("--json", action="store_true", help="print JSON: one object, or a list with --list")
    parser.add_argument(
        "--spoken",
        action="store_true",
        help="print the variant written to be read aloud (alone when piped: tip --spoken | espeak-ng)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    import random

    from calmcoach.content import tips as catalogue

    everything = catalogue.load_tips(ctx.paths.cache)
    topic = catalogue.resolve_topic(args.topic)
    if args.list:
        _show_list(catalogue.of_topic(everything, topic), args, ctx)
        return 0
    path = catalogue.rotation_path(ctx.paths.state)
    rotation, problem = catalogue.read_rotation(path)
    if problem:
        ctx.warn(problem)
    tip, rotation = catalogue.choose_next(everything, topic, rotation, random.Random())
    # Saved before it is shown: `calmcoach tip | head -1` closes the pipe after the tip's first
    # line, and the tip read that way must still count as shown.
    try:
        catalogue.write_rotation(path, rotation)
    except OSError as error:  # the tip is still shown; only the memory of it is lost
        ctx.warn(f"could not save the tip rotation to {path}: {error}")
    _show_one(tip, args, ctx)
    return 0


def _show_one(tip: Tip, args: argparse.Namespace, ctx: Context) -> None:
    if args.json:
        import json

        ctx.out(json.dumps(tip.as_dict(), indent=2, ensure_ascii=False))
        return
    line = tip.spoken if args.spoken else tip.text
    if ctx.stdout.isatty():
        from rich.text import Text

        _console(ctx).print(Text(line), Text(f"source: {tip.source}", style="dim"), sep="\n")
    elif args.spoken:  # piped into a speech program, which should not read the source out
        ctx.out(line)
    else:
        ctx.out(line)
        ctx.out(f"source: {tip.source}")


def _show_list(tips: Sequence[Tip], args: argparse.Namespace, ctx: Context) -> None:
    from calmcoach.content.tips import CATEGORIES, CATEGORY_TITLES

    if args.json:
        import json

        ctx.out(json.dumps([t.as_dict() for t in tips], indent=2, ensure_ascii=False))
        return
    tty = ctx.stdout.isatty()
    for category in CATEGORIES:
        group = [t for t in tips if t.category == category]
        if not group:
            continue
        heading = f"{CATEGORY_TITLES[category]} ({category}, {len(group)} tips)"
        if tty:
            _print_group_rich(heading, group, args.spoken, ctx)
            continue
        ctx.out(heading)
        for tip in group:
            ctx.out(f"  {tip.id}: {tip.spoken if args.spoken else tip.text} ({tip.source})")
        ctx.out()


def _print_group_rich(heading: str, group: Sequence[Tip], spoken: bool, ctx: Context) -> None:
    from rich.text import Text

    console = _console(ctx)
    console.print(Text(heading, style="bold"))
    for tip in group:
        console.print(
            Text.assemble(
                ("  " + tip.id, "cyan"),
                ": ",
                tip.spoken if spoken else tip.text,
                (f" ({tip.source})", "dim"),
            )
        )
    console.print()


def _console(ctx: Context) -> Console:
    from rich.console import Console

    # We already know stdout is a terminal; force it so that a stream rich cannot probe (a test's
    # fake terminal) is treated the same. NO_COLOR is still honoured by rich.
    return Console(file=ctx.stdout, force_terminal=True, highlight=False)
