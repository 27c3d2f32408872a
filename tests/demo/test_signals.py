"""The shared building blocks of the demo generators."""

from __future__ import annotations

import numpy as np
import pytest

from hark.demo.signals import RangedParams, as_generator, free_intervals, robust_scale, shaped_noise, tukey


def test_shaped_noise_has_mad_one_and_its_spectrum_slopes():
    rng = np.random.default_rng(0)
    n, sr = 2**16, 2500
    pink = shaped_noise(n, sr, rng, exponent=1.0, low_hz=30, high_hz=1000)
    assert robust_scale(pink) == pytest.approx(1.0)
    assert abs(np.mean(pink)) < 0.05
    power = np.abs(np.fft.rfft(pink)) ** 2
    freqs = np.fft.rfftfreq(n, 1 / sr)

    def band(lo, hi):
        return power[(freqs >= lo) & (freqs < hi)].mean()

    # 1/f: a tenth of the power ten times higher up; nothing left well outside the band.
    assert band(50, 60) / band(500, 600) == pytest.approx(10, rel=0.3)
    assert band(1200, 1250) < 1e-6 * band(500, 600)
    assert band(1, 20) < 0.1 * band(50, 60)


def test_white_noise_is_flat():
    white = shaped_noise(2**16, 1000, np.random.default_rng(1), exponent=0.0)
    power = np.abs(np.fft.rfft(white)) ** 2
    assert power[1000:2000].mean() == pytest.approx(power[20000:21000].mean(), rel=0.2)


def test_tukey_is_flat_with_soft_edges():
    envelope = tukey(100, 10)
    assert envelope[10:90].tolist() == [1.0] * 80
    assert 0 < envelope[0] < 0.05 and np.all(np.diff(envelope[:10]) > 0)
    assert np.allclose(envelope, envelope[::-1])
    assert np.all(tukey(5, 10) > 0)


def test_free_intervals():
    assert free_intervals([(5, 10), (-3, 2), (8, 12)], 20) == [(2, 5), (12, 20)]
    assert free_intervals([], 4) == [(0, 4)]
    assert free_intervals([(0, 4)], 4) == []


def test_as_generator_takes_seeds_and_generators():
    rng = np.random.default_rng(3)
    assert as_generator(rng) is rng
    assert as_generator(3).random() == np.random.default_rng(3).random()


def test_ranged_params_check_their_pairs():
    class Example(RangedParams):
        width_min: float = 1.0
        width_max: float = 2.0

    assert Example().span("width") == (1.0, 2.0)
    with pytest.raises(ValueError, match="width_min 3 is above width_max 2"):
        Example(width_min=3)
