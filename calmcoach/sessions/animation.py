"""What a session shows: a rich animation in a terminal, plain lines anywhere else.

The animation is a disc that grows while breathing in, stays while holding and shrinks while
breathing out, under the phase name and the seconds left, with a smooth bar beneath it. It is
drawn from the timeline alone (`frame(t)` is a pure function of the time), so a late or skipped
frame never puts it out of step: the next one is simply right.

rich is imported by the functions that need it, when a session starts, not when the CLI loads.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, TextIO

from calmcoach.sessions import scripts
from calmcoach.sessions.runner import SessionResult
from calmcoach.sessions.timeline import Cue, Segment, Timeline

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

FRAMES_PER_SECOND = 30.0  # the issue asks for 20 or more; drawing one costs about a millisecond
DISC_ROWS = 9  # terminal rows the disc may fill; each row holds two "pixels" (half blocks)
MIN_RADIUS = 1.2  # at empty lungs the disc is a small dot, never nothing
BAR_WIDTH = 40
_EIGHTHS = " ▏▎▍▌▋▊▉"

# Calm colours, one per kind of moment (rich drops them under NO_COLOR or on a dumb terminal).
_COLOURS = {
    "Breathe in": "cyan",
    "Top up": "bright_cyan",
    "Hold": "blue",
    "Breathe out": "green",
    "Rest": "grey62",
    "Release": "grey62",
}


def colour_of(label: str) -> str:
    """Given a segment's label ("Breathe in", "Hold: left", a stretch's name), return its colour."""
    return _COLOURS.get(label.split(":", maxsplit=1)[0], "magenta")


def disc_lines(level: float, rows: int = DISC_ROWS) -> list[str]:
    """Given a fill level (0-1), return the rows of a disc drawn with half blocks.

    A terminal cell is about twice as tall as it is wide, so splitting each cell into a top and a
    bottom half gives square "pixels": the disc is round, and it can grow by half a row at a time.
    """
    max_radius = rows - 0.5
    radius = MIN_RADIUS + (max_radius - MIN_RADIUS) * min(1.0, max(0.0, level))
    width = 2 * rows + 1
    centre_x, centre_y = rows, float(rows)  # in pixels: columns, and half-rows from the top
    lines = []
    for row in range(rows):
        chars = []
        for column in range(width):
            dx = column - centre_x
            top = dx * dx + (2 * row + 0.5 - centre_y) ** 2 <= radius * radius
            bottom = dx * dx + (2 * row + 1.5 - centre_y) ** 2 <= radius * radius
            chars.append("█" if top and bottom else "▀" if top else "▄" if bottom else " ")
        lines.append("".join(chars))
    return lines


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    """Given a fraction (0-1), return a bar of `width` cells, smooth to an eighth of a cell."""
    eighths = round(min(1.0, max(0.0, fraction)) * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (_EIGHTHS[part] if part else "")
    return text.ljust(width)


def seconds_left(segment: Segment, t_s: float) -> int:
    """Return the whole seconds left in the segment, counted down as a person counts: 4, 3, 2, 1."""
    return max(0, math.ceil(segment.end_s - t_s - 1e-9))


def progress(timeline: Timeline, t_s: float) -> str:
    """Return "cycle 3 of 8" (or "hold 3 of 18") for the time `t_s`, or "" outside the cycles."""
    segment = timeline.segment_at(t_s)
    if segment is None or segment.cycle == 0:
        return ""
    return f"{timeline.unit} {segment.cycle} of {timeline.cycles}"


class LiveAnimation:
    """The terminal animation, a session output drawing with rich's Live display.

    rich is imported and the first picture drawn when the animation is made, before the session
    starts: importing costs tens of milliseconds that would otherwise make the first cue late.
    """

    frames_per_second = FRAMES_PER_SECOND

    def __init__(self, console: Console, timeline: Timeline) -> None:
        from rich.align import Align
        from rich.console import Group
        from rich.live import Live
        from rich.text import Text

        self._align, self._group, self._text = Align, Group, Text
        self.console = console
        self.timeline = timeline
        self._live = Live(
            self.render(0.0),
            console=console,
            auto_refresh=False,  # frames are drawn by the runner, on its deadlines: no extra thread
            transient=True,  # leave the terminal clean; the command prints one summary line after
        )
        self._started = False

    def start(self, started_at: float) -> None:
        self._live.start(refresh=False)  # the first cue draws the first frame, a moment later
        self._started = True

    def cue(self, cue: Cue, actual_s: float) -> None:
        self.frame(actual_s)

    def frame(self, t_s: float) -> None:
        if self._started:
            self._live.update(self.render(t_s), refresh=True)

    def end(self, result: SessionResult) -> None:
        if self._started:
            self._live.stop()  # restores the cursor, also after Ctrl-C
            self._started = False

    def problems(self) -> list[str]:
        return []

    def render(self, t_s: float) -> RenderableType:
        """Given the time since the start, return the whole picture for that moment."""
        align, text = self._align.center, self._text
        timeline = self.timeline
        segment = timeline.segment_at(t_s) or timeline.segments[-1]
        colour = colour_of(segment.label)
        level = segment.level_at(t_s)
        where = progress(timeline, t_s)
        header = text.assemble(
            (timeline.title, "bold"),
            (f"  {where}" if where else "", "dim"),
            (f"  {scripts.clock_length(max(0.0, timeline.duration_s - t_s))} left", "dim"),
        )
        disc = text("\n".join(disc_lines(level)), style=colour)
        left = seconds_left(segment, t_s)
        label = text.assemble(
            (segment.label, f"bold {colour}"), (f"  {left}" if segment.cycle else "", "bold")
        )
        span = segment.end_s - segment.start_s
        elapsed = 0.0 if span <= 0 else (t_s - segment.start_s) / span
        # The bar follows the breath; where the breath is still (holds), it counts the time down.
        fill = level if segment.level_from != segment.level_to else 1.0 - elapsed
        parts: list[RenderableType] = [
            align(header),
            text(""),
            align(disc),
            text(""),
            align(label),
            align(text(bar(fill), style=colour)),
        ]
        if segment.detail:
            parts.append(align(text(segment.detail, style="dim", justify="center")))
        parts.append(align(text("Ctrl-C to stop", style="dim")))
        return self._group(*parts)


class PlainLines:
    """A session output for pipes, logs and dumb terminals: one line per cue, no counts."""

    frames_per_second = 0.0

    def __init__(self, out: TextIO, timeline: Timeline) -> None:
        self.out = out
        self.timeline = timeline

    def start(self, started_at: float) -> None:
        pass

    def cue(self, cue: Cue, actual_s: float) -> None:
        if cue.phase == "count":
            return  # a line a second would bury the rest; the animation shows the countdown
        self.out.write(plain_line(self.timeline, cue) + "\n")
        self.out.flush()

    def frame(self, t_s: float) -> None:
        pass

    def end(self, result: SessionResult) -> None:
        pass

    def problems(self) -> list[str]:
        return []


def plain_line(timeline: Timeline, cue: Cue) -> str:
    """Given a cue, return its plain line: "0:12  cycle 1 of 8  Breathe in (4 s)"."""
    at = scripts.clock_length(cue.at_s)
    if cue.cycle == 0:
        return f"{at}  {cue.text}"
    segment = timeline.segment_at(cue.at_s)
    where = f"{timeline.unit} {cue.cycle} of {timeline.cycles}"
    if timeline.kind == "breathing" and segment is not None:
        length = segment.end_s - segment.start_s
        return f"{at}  {where}  {segment.label} ({length:g} s)"
    detail = f"  {segment.detail}" if segment is not None and cue.phase == "hold" else ""
    return f"{at}  {where}  {cue.text}{detail}"
