import numpy as np
import pytest

from hark.detect.multitaper import f_critical_value, fft_length, harmonic_f_statistic, slepian_tapers


def test_tapers_keep_only_well_concentrated_ones():
    tapers = slepian_tapers(64, 4)
    assert tapers.shape == (7, 64)  # NW=4: the eighth taper's concentration is 0.70
    np.testing.assert_allclose((tapers**2).sum(axis=1), 1.0, rtol=1e-5)


def test_f_test_finds_a_sinusoid_at_its_frequency_and_not_in_noise():
    rng = np.random.default_rng(0)
    rate, n = 2500, 64
    t = np.arange(n) / rate
    tone = 0.5 * np.sin(2 * np.pi * 150 * t + 0.3) + 0.05 * rng.standard_normal(n)
    noise = 0.05 * rng.standard_normal((200, n))
    tapers = slepian_tapers(n, 4)
    nfft = fft_length(n)
    assert nfft == 256
    freqs = np.fft.rfftfreq(nfft, 1 / rate)
    f_tone = harmonic_f_statistic(tone[None, :], tapers, nfft)[0]
    assert abs(freqs[np.argmax(f_tone)] - 150) <= rate / nfft
    critical = f_critical_value(0.1 / nfft, len(tapers))
    assert f_tone.max() > critical
    f_noise = harmonic_f_statistic(noise, tapers, nfft)
    # under the null hypothesis F(2, 2K-2): about p of the bins exceed the p-level critical value
    p = 0.05
    fraction = (f_noise > f_critical_value(p, len(tapers))).mean()
    assert 0.02 < fraction < 0.09


def test_closed_form_critical_value_matches_scipy():
    from scipy import stats

    for p in (1e-4, 0.1 / 256, 0.05, 0.5):
        for k in (2, 5, 7):
            assert f_critical_value(p, k) == pytest.approx(stats.f.isf(p, 2, 2 * k - 2), rel=1e-9)


@pytest.mark.parametrize("n, nw, count", [(64, 4, 8), (65, 2.5, 5), (1000, 4, 8), (6400, 3, 6)])
def test_dpss_windows_match_scipy(n, nw, count):
    from scipy.signal.windows import dpss

    from hark.detect.multitaper import dpss_windows

    expected, expected_ratios = dpss(n, nw, count, return_ratios=True)
    windows, ratios = dpss_windows(n, nw, count)
    np.testing.assert_allclose(windows, expected, atol=1e-6)
    np.testing.assert_allclose(ratios, expected_ratios, atol=1e-6)


def test_peak_f_test_is_the_full_statistics_peak_over_the_bins():
    """PeakFTest computes the same F statistic as harmonic_f_statistic with fewer copies: its peaks
    over the in-range bins agree to float32 rounding, and a window's value does not depend on
    the batch it goes through (here several batches, and one window at a time)."""
    from hark.detect.multitaper import PeakFTest

    rng = np.random.default_rng(1)
    rate, n = 250_000, 512
    t = np.arange(n) / rate
    windows = 0.05 * rng.standard_normal((300, n))
    windows[::7] += 0.2 * np.sin(2 * np.pi * rng.uniform(20_000, 100_000, (43, 1)) * t)  # whistles
    windows[5] = 0.0  # silence: 0/0 everywhere, a peak of 0
    tapers = slepian_tapers(n, 4)
    nfft = fft_length(n)
    bins = slice(164, nfft // 2 + 1)
    expected = harmonic_f_statistic(windows, tapers, nfft, bins=bins).max(axis=1)
    test = PeakFTest(tapers, nfft, bins, batch_bytes=2**20)
    assert test.batch < len(windows)  # several batches
    peaks = test(windows)
    # near the thresholds (F of 14-21 here) the two agree to 1e-5; strong lines (F in the
    # thousands, the misfit a small difference of large sums) to 1e-3, far above any threshold
    near = expected < 50
    assert near.sum() > 200
    np.testing.assert_allclose(peaks[near], expected[near], rtol=1e-5)
    np.testing.assert_allclose(peaks[~near], expected[~near], rtol=1e-3)
    critical = f_critical_value(0.1 / nfft, len(tapers))
    assert np.all(peaks[::7] > critical)  # the whistles pass, as in the full computation
    assert peaks[5] == expected[5] == 0
    one_at_a_time = np.array([test(w[None, :])[0] for w in windows[:40]])
    assert np.array_equal(one_at_a_time, peaks[:40])
