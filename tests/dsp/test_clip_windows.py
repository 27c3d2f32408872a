"""Clip windows: where they lie, how short clips are padded, how window scores make a clip's."""

from __future__ import annotations

import numpy as np
import pytest

from hark.dsp.clip_windows import aggregate, aggregate_by, cut_clip_window, hop_of, random_start, window_starts


def test_windows_cover_every_sample_and_stay_inside_the_clip():
    for samples, window, hop in [(10_000, 2000, 1000), (10_001, 2000, 1000), (9_999, 2000, 700), (2000, 2000, 1000), (2500, 2000, 2000)]:
        starts = window_starts(samples, window, hop)
        assert starts[0] == 0 and starts[-1] == samples - window  # the last window ends at the clip's end
        assert np.all(np.diff(starts) > 0) and np.all(np.diff(starts) <= hop)
        seen = np.zeros(samples, bool)
        for start in starts:
            seen[start : start + window] = True
        assert seen.all()
    assert window_starts(10_000, 2000, 1000).tolist() == [0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000]
    assert window_starts(10_500, 2000, 1000).tolist()[-2:] == [8000, 8500]


def test_a_clip_no_longer_than_the_window_is_one_window():
    assert window_starts(1500, 2000, 1000).tolist() == [0]
    assert window_starts(2000, 2000, 1000).tolist() == [0]


def test_hop_follows_the_overlap():
    assert hop_of(2000, 0.5) == 1000 and hop_of(2000, 0.0) == 2000 and hop_of(2000, 0.75) == 500
    assert hop_of(3, 0.9) == 1  # never 0
    with pytest.raises(ValueError):
        hop_of(2000, 1.0)


def test_short_clips_are_repeated_or_zero_padded():
    clip = np.array([1, 2, 3], dtype=np.float32)
    assert cut_clip_window(clip, 0, 8, "repeat").tolist() == [1, 2, 3, 1, 2, 3, 1, 2]
    assert cut_clip_window(clip, 0, 8, "zeros").tolist() == [1, 2, 3, 0, 0, 0, 0, 0]
    long = np.arange(10, dtype=np.float32)
    assert cut_clip_window(long, 4, 5, "repeat").tolist() == [4, 5, 6, 7, 8]  # inside the clip: no padding
    assert cut_clip_window(clip, 0, 8).dtype == np.float32


def test_random_starts_lie_inside_and_are_seeded():
    starts = [random_start(10_000, 2000, np.random.default_rng(3)) for _ in range(3)]
    assert len(set(starts)) == 1  # the same seed, the same start
    rng = np.random.default_rng(3)
    drawn = [random_start(10_000, 2000, rng) for _ in range(200)]
    assert min(drawn) >= 0 and max(drawn) <= 8000 and len(set(drawn)) > 150
    assert random_start(1500, 2000, rng) == 0


def test_mean_and_max_aggregation_known_answers():
    rows = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6]], dtype=np.float32)
    np.testing.assert_allclose(aggregate(rows, "mean"), [0.5, 0.5], atol=1e-7)
    np.testing.assert_allclose(aggregate(rows, "max"), [0.9, 0.8], atol=1e-7)
    with pytest.raises(ValueError, match="median"):
        aggregate(rows, "median")  # type: ignore[arg-type]


def test_aggregate_by_keeps_each_clips_windows_together_in_first_seen_order():
    rows = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.2, 0.8], [0.6, 0.4]])
    out, keys, firsts = aggregate_by(rows, ["b", "b", "a", "b", "a"], "mean")
    assert keys == ["b", "a"] and firsts.tolist() == [0, 2]
    np.testing.assert_allclose(out, [[0.4, 0.6], [0.55, 0.45]])
    out, _, _ = aggregate_by(rows, ["b", "b", "a", "b", "a"], "max")
    np.testing.assert_allclose(out, [[1.0, 1.0], [0.6, 0.5]])
