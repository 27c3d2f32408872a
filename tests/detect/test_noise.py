import numpy as np
import pytest
from scipy import stats

from hark.detect.noise import NoiseLevelAccumulator


@pytest.mark.parametrize("chunks", [1, 7])
def test_histogram_median_and_mad_match_exact_values_on_16_bit_audio(chunks):
    rng = np.random.default_rng(1)
    samples = np.round(rng.laplace(0.01, 0.05, 100_000) * 32768) / 32768
    accumulator = NoiseLevelAccumulator("median")
    for part in np.array_split(samples, chunks):
        accumulator.add(part)
    level = accumulator.level()
    resolution = 2 / 2**20
    assert level.center == pytest.approx(np.median(samples), abs=resolution)
    assert level.spread == pytest.approx(stats.median_abs_deviation(samples), abs=2 * resolution)


def test_mean_and_standard_deviation():
    rng = np.random.default_rng(2)
    samples = rng.normal(0.1, 0.2, 50_000)
    accumulator = NoiseLevelAccumulator("mean")
    accumulator.add(samples[:20_000])
    accumulator.add(samples[20_000:])
    level = accumulator.level()
    assert level.center == pytest.approx(samples.mean(), rel=1e-9)
    assert level.spread == pytest.approx(samples.std(), rel=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_histogram_bins_are_floor_of_the_scaled_samples(dtype):
    """The bins come from fewer passes over a chunk than the formula floor((x + 1) * bins / 2),
    and must be the same: at bin edges, for tiny samples (where x + 1 rounds), outside [-1, 1]."""
    rng = np.random.default_rng(3)
    bins = 2**20
    edges = [-1.5, -1.0, -1 + 2.0**-21, -1 + 2.0**-22, -1e-30, -0.0, 0.0, 1e-30, 2.0**-20, -(2.0**-20), 1 / 3, 1 - 2.0**-24, 1.0, 1.5]
    samples = np.concatenate([rng.normal(0, 0.3, 100_000), np.round(rng.uniform(-1, 1, 10_000) * 32768) / 32768, edges]).astype(dtype)
    expected = np.clip(np.floor((samples.astype(np.float64) + 1.0) * (bins / 2)).astype(np.int64), 0, bins - 1)
    accumulator = NoiseLevelAccumulator("median", bins)
    assert np.array_equal(np.clip(accumulator.bin_of(samples), 0, bins - 1), expected)
    accumulator.add(samples)
    assert np.array_equal(accumulator._counts, np.bincount(expected, minlength=bins))


def test_chunks_counted_apart_and_added_in_any_order_give_the_level_of_add():
    """The detector counts chunks on several threads (counts_of) and adds them as they come."""
    rng = np.random.default_rng(4)
    samples = (rng.standard_normal(60_000) * 0.05).astype(np.float32)
    parts = np.array_split(samples, 5)
    serial = NoiseLevelAccumulator("median")
    for part in parts:
        serial.add(part)
    counted = NoiseLevelAccumulator("median")
    for part in reversed(parts):
        counted.add_counts(counted.counts_of(part), len(part))
    assert counted.level() == serial.level()
