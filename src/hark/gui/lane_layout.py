"""Where events and their label texts go in the lanes, so that what is drawn stays readable.

Two rules, both by what the eye sees at the current zoom (pixels), not by counts:

- events of one lane that overlap in time are put in separate rows of the lane (the first
  row that is free at the event's start; at most :data:`MAX_ROWS`, the rest share the last);
- a label text is drawn only where it does not run into the previous text drawn in its row:
  at a 5 s view of pulse song most pulse labels are left out, zoomed in they all show.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_ROWS = 4  # rows per lane: more would be too thin to click
CHARACTER_PIXELS = 6.0  # the width of a character of the lanes' 10 px text, about
TEXT_GAP_PIXELS = 6.0  # space kept between two label texts


def overlap_rows(intervals: Sequence[tuple[float, float]], max_rows: int = MAX_ROWS) -> tuple[list[int], int]:
    """A row per interval ``(start, stop)`` so that no two overlapping ones share a row, and the number of rows used.

    Greedy in order of start, each into the first row free by then (the interval-partitioning
    rule: as few rows as the deepest overlap needs); once ``max_rows`` rows are busy, further
    overlapping intervals share the last one.
    """
    order = sorted(range(len(intervals)), key=lambda i: (intervals[i][0], intervals[i][1]))
    row_ends: list[float] = []
    rows = [0] * len(intervals)
    for index in order:
        start, stop = intervals[index]
        free = next((r for r, end in enumerate(row_ends) if end < start), None)
        if free is None and len(row_ends) < max_rows:
            free = len(row_ends)
            row_ends.append(stop)
        elif free is None:
            free = len(row_ends) - 1
        row_ends[free] = max(row_ends[free], stop)
        rows[index] = free
    return rows, max(1, len(row_ends))


def readable_labels(lefts_px: Sequence[float], texts: Sequence[str], rows: Sequence[int] | None = None) -> list[bool]:
    """Which texts to draw: each starts at ``lefts_px`` (pixels) and is drawn only clear of the last one drawn in its row."""
    rows = rows if rows is not None else [0] * len(texts)
    shown = [False] * len(texts)
    free_from: dict[int, float] = {}
    for index in sorted(range(len(texts)), key=lambda i: lefts_px[i]):
        row = rows[index]
        if lefts_px[index] >= free_from.get(row, float("-inf")):
            shown[index] = True
            free_from[row] = lefts_px[index] + CHARACTER_PIXELS * len(texts[index]) + TEXT_GAP_PIXELS
    return shown
