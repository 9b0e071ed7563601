"""Benchmarks: scripts that measure calmcoach and print the figures (run each with python -m)."""
