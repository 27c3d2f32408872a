"""Toy plugins that the tests install from outside hark, through fake distributions (tests/plugins.py)."""
