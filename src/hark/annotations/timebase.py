"""Seconds (Raven, Audacity) to samples (hark, SongExplorer) and back, and number formatting.

hark stores times as whole samples ("tics"), so a time in seconds needs the recording's
sample rate and is rounded to the nearest sample. Going the other way is exact: ``n / rate``
written with Python's shortest round-tripping ``repr`` converts back to the same ``n``.
"""

from __future__ import annotations

import math

from hark.annotations.event import MAX_TICS
from hark.errors import HarkError, excerpt


def check_samplerate(samplerate: float) -> float:
    """A positive, finite sample rate in Hz, else a one-line HarkError."""
    try:
        rate = float(samplerate)
    except (TypeError, ValueError):
        raise HarkError(f"sample rate {samplerate!r} is not a number") from None
    if not math.isfinite(rate) or rate <= 0:
        raise HarkError(f"sample rate {samplerate!r} must be a positive number of Hz")
    return rate


def seconds_to_tics(seconds: float, samplerate: float) -> int:
    """The nearest sample to ``seconds``; halves round up, so the result never depends on parity.

    ValueError (which readers report with the file and line) for a time that is not finite
    or beyond any recording (``1e999``, a 400-digit number: over a year at 1 MHz is refused).
    """
    tics = float(seconds) * samplerate + 0.5
    if not math.isfinite(tics) or abs(tics) > MAX_TICS:
        raise ValueError(f"time {excerpt(seconds)} s is not a time in a recording")
    return math.floor(tics)


def tics_to_seconds(tics: int, samplerate: float) -> float:
    return tics / samplerate


def format_number(value: float | int) -> str:
    """Shortest text that reads back as the same number: ``12``, ``0.1``, ``6441.064453``.

    ``%g``-style formatting would lose digits of scores and times; ``repr`` never does. An
    integral float drops its ``.0`` to keep the files compact.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    value = float(value)
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def format_float(value: float) -> str:
    """``repr`` of a float, always with a decimal point or exponent (``5000.0``, not ``5000``).

    Raven and Audacity write every time and frequency as a decimal; readers that infer column
    types (pandas, and crowsetta's schemas on top of it) take ``5000`` for an integer column.
    """
    return repr(float(value))
