"""How amounts are written back to people: "250 ml", "1.25 l", "96 mg"."""

from __future__ import annotations


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
    return f"{100 * part / whole:.0f}%" if whole > 0 else "-"
