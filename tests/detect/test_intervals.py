import numpy as np
import pytest
from scipy import ndimage

from hark.detect import intervals as iv


def test_runs_finds_each_run_with_exclusive_stop():
    mask = np.array([0, 1, 1, 0, 0, 1, 0, 1], dtype=bool)
    np.testing.assert_array_equal(iv.runs(mask, offset=10), [[11, 13], [15, 16], [17, 18]])
    assert iv.runs(np.zeros(5, bool)).shape == (0, 2)


def test_fill_gaps_merges_only_gaps_shorter_than_the_length():
    runs = iv.as_intervals([[0, 2], [4, 6], [9, 10]])  # gaps of 2 and 3
    np.testing.assert_array_equal(iv.fill_gaps(runs, 3), [[0, 6], [9, 10]])
    np.testing.assert_array_equal(iv.fill_gaps(runs, 4), [[0, 10]])
    # touching runs (cut at a chunk border) always join
    np.testing.assert_array_equal(iv.fill_gaps(iv.as_intervals([[0, 5], [5, 8]]), 0), [[0, 8]])


@pytest.mark.parametrize("length", [2, 3, 5, 8])
def test_fill_gaps_and_drop_short_equal_binary_closing_and_opening(length):
    rng = np.random.default_rng(length)
    mask = rng.random(400) > 0.6
    # pad so that scipy's border handling does not differ from "outside is False"
    padded = np.concatenate([np.zeros(20, bool), mask, np.zeros(20, bool)])
    element = np.ones(length, bool)
    closed = ndimage.binary_closing(padded, element)[20:-20]
    opened = ndimage.binary_opening(padded, element)[20:-20]
    np.testing.assert_array_equal(iv.fill_gaps(iv.runs(mask), length), iv.runs(closed))
    np.testing.assert_array_equal(iv.drop_short(iv.runs(mask), length), iv.runs(opened))


def test_union_and_complement():
    a = iv.as_intervals([[0, 3], [10, 12]])
    b = iv.as_intervals([[2, 5], [12, 14], [20, 21]])
    np.testing.assert_array_equal(iv.union(a, b), [[0, 5], [10, 14], [20, 21]])
    np.testing.assert_array_equal(iv.complement(iv.union(a, b), 0, 25), [[5, 10], [14, 20], [21, 25]])
    np.testing.assert_array_equal(iv.complement(iv.EMPTY, 0, 4), [[0, 4]])
    assert len(iv.complement(iv.as_intervals([[0, 4]]), 0, 4)) == 0


@pytest.mark.parametrize("fraction", [0.0, 0.01, 0.5, 0.99, 1.0])
def test_runs_match_the_edges_of_the_mask(fraction):
    """Runs at the ends of the mask, of one sample, and masks of one or two samples."""
    rng = np.random.default_rng(int(fraction * 100))
    for n in (1, 2, 3, 1000):
        mask = rng.random(n) < fraction
        edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
        expected = np.stack([np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)], axis=1) + 5
        found = iv.runs(mask, offset=5)
        assert found.dtype == np.int64 and found.shape == expected.shape
        np.testing.assert_array_equal(found, expected)
