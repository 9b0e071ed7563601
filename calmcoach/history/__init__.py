"""The history store: what was logged, delivered and done, in one SQLite file shared by the
service and the CLI. See `store.History`."""

from __future__ import annotations

from calmcoach.history.store import History

__all__ = ["History"]
