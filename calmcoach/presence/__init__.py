"""Presence: whether the person is here, away (idle, locked, asleep) or busy (do-not-disturb, full screen).

`policy` is the pure core: given observations over time and a due reminder, what to do with it.
`monitor` asks the desktop (`idle`, `logind`, `dnd` backends, through `dbus` with short timeouts)
and is only imported by `calmcoach run`, `status` and `doctor`.
"""
