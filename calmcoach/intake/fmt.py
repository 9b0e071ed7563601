"""How amounts are written back to people: "250 ml", "1.25 l", "96 mg"."""

from __future__ import annotations

import math


def format_volume(ml: float) -> str:
    """Given millilitres, return "250 ml" below a litre and "1.25 l" from a litre up."""
    if abs(ml) < 1000:
        return f"{ml:.0f} ml"
    return f"{ml / 1000:.2f}".rstrip("0").rstrip(".") + " l"


def format_mg(mg: float) -> str:
    """Given milligrams, return them rounded to the milligram: "96 mg"."""
    return f"{mg:.0f} mg"


def percent(part: float, whole: float) -> str:
    """Given a part and a whole, return the share as a whole percentage ("63%"); "-" for no whole."""
    # Half up, as people round (62.5 -> 63), not to even as format() does.
    return f"{math.floor(100 * part / whole + 0.5)}%" if whole > 0 else "-"
