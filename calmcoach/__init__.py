"""calmcoach: water, caffeine, stretch and breathing reminders for tense neck and shoulder muscles."""

from __future__ import annotations

__version__ = "0.1.0"
