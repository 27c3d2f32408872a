"""Benchmarks: commands that print speed and memory figures (``make bench``)."""
