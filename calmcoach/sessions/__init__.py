"""Guided breathing and stretch sessions.

A session is planned whole before it starts and then walked on the monotonic clock:

- `timeline`: pure. A pattern or routine becomes cues at exact offsets, and animation segments.
- `scripts`, `closing`: what is said; the closing tip is chosen one session ahead.
- `audio`: tones, WAV files, and the whole session rendered to one buffer (`onsets` finds cue
  onsets in audio by analysis, for the tests and the benchmark).
- `runner`: the deadline runner; outputs are the `player` (one process plays the whole
  session), the `animation` (rich, or plain lines) and the `events` file.
- `guided`: plan -> prepare -> play or save -> record; `command` is what `breathe` and `stretch`
  share; `scheduled.run_scheduled` is the one implementation of a scheduled session (voice
  only, stoppable, no terminal), which the service calls through `calmcoach.service.sessions`.
- `stamps`: small state kept between sessions (the safety line, once a day).
"""
