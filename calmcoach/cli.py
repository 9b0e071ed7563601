"""The command line: argparse with one `register`/`run` pair per command module.

This is the one place that turns a `CalmcoachError` into a message on stderr and an exit code.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import sys
from collections.abc import Sequence

from calmcoach import __version__
from calmcoach.context import Context
from calmcoach.errors import EXIT_FAILURE, EXIT_USAGE, CalmcoachError, readable
from calmcoach.paths import Paths

# The order is the order of `calmcoach --help`.
COMMANDS: tuple[str, ...] = (
    # One line per command module, in the order of `calmcoach --help`.
    "run",
    "check",
    "agenda",
    "breathe",
    "stretch",
    "tip",
    "log",
    "done",
    "today",
    "stats",
    "export",
    "status",
    "pause",
    "resume",
    "snooze",
    "trigger",
    "reload",
    "service",
    "doctor",
)


def command_named(argv: Sequence[str]) -> str | None:
    """Given the arguments, return the command they run when that is plain without parsing them:
    the first argument, after any --debug, when it is a command's name. Else None (--help,
    --version, a typo: the whole parser is needed to answer)."""
    for arg in argv:
        if arg != "--debug":
            return arg if arg in COMMANDS else None
    return None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Return the parser with every command, or with the command `only` alone: importing every
    command module costs a fast command like `tip` about a third of its start-up time."""
    parser = argparse.ArgumentParser(
        prog="calmcoach",
        description=(
            "Water, caffeine, stretch and breathing reminders for tense, twitchy neck and "
            "shoulder muscles. A wellness helper, not a diagnosis."
        ),
    )
    parser.add_argument("--version", action="version", version=f"calmcoach {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS if only is None else (only,):
        module = importlib.import_module(f"calmcoach.commands.{name.replace('-', '_')}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None, ctx: Context | None = None) -> int:
    """Given the arguments (default: sys.argv[1:]), run one command and return its exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(command_named(argv))
    ctx = ctx or Context(paths=Paths.from_environment())
    said = io.StringIO()
    try:
        # argparse prints usage errors and --help to the process streams; send them to ours.
        with contextlib.redirect_stdout(ctx.stdout), contextlib.redirect_stderr(said):
            args = parser.parse_args(argv)
    except SystemExit as stop:  # argparse reports usage errors by exiting; return the code instead
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    finally:
        ctx.stderr.write(readable(said.getvalue()))
    ctx.debug = args.debug
    try:
        code: int = args.func(args, ctx)
    except CalmcoachError as error:
        if args.debug:
            _print_traceback(ctx)
        print(readable(error.message), file=ctx.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `calmcoach agenda | head` is not an error
        sys.stderr.close()
        return EXIT_FAILURE
    except Exception as error:  # a bug of ours: say so in one line, the traceback with --debug
        if args.debug:
            _print_traceback(ctx)
        else:
            print(
                readable(f"calmcoach: internal error: {type(error).__name__}: {error} ")
                + "(run with --debug for the traceback, and please report it)",
                file=ctx.stderr,
            )
        return EXIT_FAILURE
    return code


def _print_traceback(ctx: Context) -> None:
    """Print the exception being handled with its traceback (for --debug)."""
    # Imported only here: traceback brings linecache and tokenize, which a command that
    # succeeds never needs.
    import traceback

    traceback.print_exc(file=ctx.stderr)
