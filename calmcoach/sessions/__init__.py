"""Guided breathing and stretch sessions.

A session is planned whole before it starts (`timeline`: pure), its sound is rendered whole
(`audio`), and a deadline runner (`runner`) walks the plan on the monotonic clock, handing each cue
to its outputs: the audio player, the animation (`animation`), the events file (`events`).
`guided` puts these together for the commands and for the service.
"""
