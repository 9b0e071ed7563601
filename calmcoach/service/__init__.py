"""The background service: APScheduler wiring, the control socket, reload, signals and sd_notify.

Only `calmcoach run` imports the daemon; the control commands import `control` alone, which
needs nothing heavier than the standard library, so that they answer fast.
"""
