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
