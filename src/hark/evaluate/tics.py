"""Interval arithmetic on samples ("tics") for congruence, never one Python step per sample.

Interval sets are int64 arrays of shape (n, 2) holding half-open ``[start, stop)``: an
event of samples ``start..stop-1``, so lengths add up and touching events do not share a
sample. A point event (start == stop) covers no tic; it counts at the event level only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Not hark.detect.intervals: importing hark.detect loads scipy.fft and the detector plugins.
EMPTY = np.zeros((0, 2), dtype=np.int64)


def as_intervals(pairs) -> np.ndarray:
    """``pairs`` as an int64 array of shape (n, 2)."""
    array = np.asarray(pairs, dtype=np.int64)
    return array.reshape(-1, 2) if array.size else EMPTY.copy()


def merged(intervals) -> np.ndarray:
    """Sorted, disjoint intervals covering the same tics (empty ones dropped; overlapping or touching ones joined)."""
    spans = as_intervals(intervals)
    spans = spans[spans[:, 1] > spans[:, 0]]
    if len(spans) == 0:
        return EMPTY.copy()
    spans = spans[np.argsort(spans[:, 0], kind="stable")]
    reach = np.maximum.accumulate(spans[:, 1])
    new_group = np.r_[True, spans[1:, 0] > reach[:-1]]
    ends = np.r_[np.flatnonzero(new_group)[1:] - 1, len(spans) - 1]
    return np.stack([spans[new_group, 0], reach[ends]], axis=1)


def clip(intervals: np.ndarray, start: int, stop: int) -> np.ndarray:
    """The parts of ``intervals`` inside ``[start, stop)``."""
    spans = np.clip(as_intervals(intervals), start, stop)
    return spans[spans[:, 1] > spans[:, 0]]


def total(intervals: np.ndarray) -> int:
    """How many tics ``intervals`` (disjoint) cover."""
    return int(np.sum(intervals[:, 1] - intervals[:, 0])) if len(intervals) else 0


def coverage(sets: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Cut the line at every boundary of every set: ``(lengths (m,), covered (m, k))``.

    Segment ``i`` has ``lengths[i]`` tics and ``covered[i, s]`` says whether set ``s``
    (merged: sorted and disjoint) covers it, so the tics of any combination of sets (in
    A and B but not C, ...) is a sum over a boolean pattern of the rows.
    """
    _, lengths, covered = segments(sets)
    return lengths, covered


def segments(sets: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`coverage` with each segment's first tic: ``(starts, lengths, covered)``."""
    bounds = np.unique(np.concatenate([np.asarray(s, dtype=np.int64).ravel() for s in sets] + [np.zeros(0, np.int64)]))
    starts, lengths = bounds[:-1], np.diff(bounds)
    covered = np.zeros((len(starts), len(sets)), dtype=bool)
    for k, spans in enumerate(sets):
        if len(spans) == 0:
            continue
        index = np.searchsorted(spans[:, 0], starts, side="right") - 1
        covered[:, k] = (index >= 0) & (spans[np.maximum(index, 0), 1] > starts)
    return starts, lengths, covered


def shared(a: np.ndarray, b: np.ndarray) -> int:
    """Tics covered by both ``a`` and ``b`` (each merged)."""
    lengths, covered = coverage([a, b])
    return int(lengths[covered.all(axis=1)].sum())


def intersection(sets: Sequence[np.ndarray]) -> np.ndarray:
    """The intervals every one of ``sets`` (each merged) covers, merged."""
    if not sets:
        return EMPTY.copy()
    bounds = np.unique(np.concatenate([np.asarray(s, dtype=np.int64).ravel() for s in sets]))
    lengths, covered = coverage(sets)
    keep = covered.all(axis=1)
    return merged(np.stack([bounds[:-1][keep], bounds[1:][keep]], axis=1))
