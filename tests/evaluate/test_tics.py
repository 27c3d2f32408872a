"""Interval arithmetic on samples: merging, clipping, and the segments of several sets."""

from __future__ import annotations

import numpy as np

from hark.evaluate import tics


def test_merging_joins_overlapping_and_touching_intervals_and_drops_empty_ones():
    spans = tics.merged([[50, 60], [0, 10], [5, 20], [20, 30], [40, 40], [55, 58]])
    assert spans.tolist() == [[0, 30], [50, 60]]
    assert tics.total(spans) == 40
    assert tics.merged([]).shape == (0, 2) and tics.total(tics.merged([])) == 0


def test_clipping_keeps_the_parts_inside():
    assert tics.clip(np.array([[0, 10], [20, 30], [40, 50]]), 5, 45).tolist() == [[5, 10], [20, 30], [40, 45]]
    assert tics.clip(np.array([[0, 10]]), 10, 20).shape == (0, 2)


def test_coverage_cuts_the_line_at_every_boundary():
    a, b = np.array([[0, 10], [20, 30]]), np.array([[5, 25]])
    lengths, covered = tics.coverage([a, b])
    assert lengths.tolist() == [5, 5, 10, 5, 5]
    assert covered.tolist() == [[True, False], [True, True], [False, True], [True, True], [True, False]]
    assert tics.shared(a, b) == 10
    assert tics.intersection([a, b]).tolist() == [[5, 10], [20, 25]]
    assert tics.intersection([a, b, np.zeros((0, 2), np.int64)]).shape == (0, 2)


def test_a_long_recording_is_never_walked_sample_by_sample():
    starts = np.arange(0, 3600 * 250_000, 100_000, dtype=np.int64)  # an hour at 250 kHz
    a = np.stack([starts, starts + 60_000], axis=1)
    b = np.stack([starts + 30_000, starts + 90_000], axis=1)
    assert tics.shared(a, b) == len(starts) * 30_000
