"""What a person takes in and feels, as pure functions of their logged entries and the time.

Nothing here reads the clock, the database or the terminal: the caffeine model, the hydration
pace, the twitch journal's warning signs, the drink table and the per-day statistics all take
their inputs as arguments, so that the commands, the service and the tests share one arithmetic.
"""
