"""`calmcoach doctor`: what works on this machine for notifications and the voice, and what to install.

`report` holds the pure part (checks, the verdict, text and JSON); `probes` asks the machine,
each question bounded in time.
"""
