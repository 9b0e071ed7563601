"""`python -m calmcoach` runs the same entry point as the `calmcoach` command."""

from __future__ import annotations

import sys

from calmcoach.cli import main

sys.exit(main())
