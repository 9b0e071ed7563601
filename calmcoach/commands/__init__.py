"""One module per command. Each offers `register(subparsers)`, which adds its parser and sets
`func` to a thin `run(args, ctx) -> int`.

These modules are imported on every start, so they import only what argparse needs at the top;
the work (and its heavy libraries: APScheduler, plyer, pyttsx3, rich) is imported inside `run`.
"""
