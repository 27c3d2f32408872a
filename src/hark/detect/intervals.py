"""Pure functions on sorted, non-overlapping half-open intervals ``[start, stop)``.

Intervals are int64 arrays of shape (n, 2). Morphological closing and opening of a 1-D
boolean signal with a flat element of length ``L`` are, on its runs, "fill gaps shorter
than L" and "drop runs shorter than L": these functions do that without ever holding the
boolean signal of a whole recording.
"""

from __future__ import annotations

import numpy as np

EMPTY = np.zeros((0, 2), dtype=np.int64)


def as_intervals(pairs) -> np.ndarray:
    array = np.asarray(pairs, dtype=np.int64)
    return array.reshape(-1, 2) if array.size else EMPTY.copy()


def runs(mask: np.ndarray, offset: int = 0) -> np.ndarray:
    """The runs of True in ``mask`` as intervals, shifted by ``offset``."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return EMPTY.copy()
    # where the value changes, plus the ends when they are True: starts and stops alternate
    # (one comparison over the mask, where differencing it as integers took six passes)
    changes = np.flatnonzero(mask[1:] != mask[:-1]) + 1
    bounds = np.concatenate([[0] if mask[0] else [], changes, [len(mask)] if mask[-1] else []]).astype(np.int64)
    return bounds.reshape(-1, 2) + offset


def fill_gaps(intervals: np.ndarray, shorter_than: int) -> np.ndarray:
    """Merge neighbours separated by a gap of fewer than ``shorter_than`` samples (closing).

    Neighbours that touch (gap 0) are always merged, so runs cut at chunk borders rejoin.
    """
    if len(intervals) < 2:
        return intervals
    gaps = intervals[1:, 0] - intervals[:-1, 1]
    keep_break = gaps >= max(shorter_than, 1)
    starts = intervals[np.concatenate([[True], keep_break]), 0]
    stops = intervals[np.concatenate([keep_break, [True]]), 1]
    return np.stack([starts, stops], axis=1)


def drop_short(intervals: np.ndarray, shorter_than: int) -> np.ndarray:
    """Remove intervals of fewer than ``shorter_than`` samples (opening)."""
    if shorter_than <= 1:
        return intervals
    return intervals[(intervals[:, 1] - intervals[:, 0]) >= shorter_than]


def union(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intervals covered by ``a`` or ``b``, merged where they touch or overlap."""
    both = np.concatenate([a, b])
    if len(both) == 0:
        return EMPTY.copy()
    both = both[np.argsort(both[:, 0], kind="stable")]
    # running maximum of stops: an interval starting before it overlaps what came before
    reach = np.maximum.accumulate(both[:, 1])
    new_group = np.concatenate([[True], both[1:, 0] > reach[:-1]])
    group = np.cumsum(new_group) - 1
    starts = both[new_group, 0]
    stops = np.zeros(len(starts), dtype=np.int64)
    np.maximum.at(stops, group, both[:, 1])
    return np.stack([starts, stops], axis=1)


def complement(intervals: np.ndarray, start: int, stop: int) -> np.ndarray:
    """The parts of ``[start, stop)`` that no interval covers."""
    if len(intervals) == 0:
        return as_intervals([[start, stop]]) if stop > start else EMPTY.copy()
    clipped = np.clip(intervals, start, stop)
    bounds = np.concatenate([[start], clipped.ravel(), [stop]]).reshape(-1, 2)
    return bounds[bounds[:, 1] > bounds[:, 0]]


def scale_runs(window_runs: np.ndarray, hop: int, offset: int) -> np.ndarray:
    """Map runs of window indices to samples: window ``j`` stands for ``[j*hop + offset, (j+1)*hop + offset)``."""
    return window_runs * hop + offset
