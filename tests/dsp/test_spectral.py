import numpy as np
import pytest
import scipy.signal
import torch

from hark.dsp import hann_window, power_spectrogram, rfft_frequencies, sliding_frames, windowed_power
from hark.dsp.graph import stft_power
from hark.dsp.spectral import dft_kernels

RATE = 8000


def test_the_hann_window_is_the_periodic_one():
    np.testing.assert_allclose(hann_window(64), scipy.signal.get_window("hann", 64), atol=1e-12)
    # periodic: quarter-window shifts overlap-add to a constant (a symmetric window's do not)
    shifted = sum(np.roll(np.tile(hann_window(64), 4), k * 16) for k in range(4))
    np.testing.assert_allclose(shifted, 2.0, atol=1e-12)


def test_power_spectrogram_matches_scipys_stft():
    x = np.random.default_rng(0).standard_normal(1000)
    _, _, z = scipy.signal.stft(x, window="hann", nperseg=64, noverlap=48, boundary=None, padded=False, detrend=False)
    # scipy scales by the window's sum ("spectrum"); ours is the plain DFT
    reference = np.abs(z * hann_window(64).sum()) ** 2
    ours = power_spectrogram(x, 64, 16)
    assert ours.shape == reference.shape == (33, (1000 - 64) // 16 + 1)
    np.testing.assert_allclose(ours, reference, rtol=1e-9, atol=1e-9)


def test_a_tone_peaks_in_its_bin_and_zero_padding_refines_the_grid():
    n = 128
    t = np.arange(4 * n)
    x = np.sin(2 * np.pi * 20 * t / n)  # bin 20 of a 128-point DFT
    power = windowed_power(sliding_frames(x, n, n // 2))
    assert (power.argmax(axis=1) == 20).all()
    padded = windowed_power(sliding_frames(x, n, n // 2), n_fft=4 * n)
    assert padded.shape[1] == 2 * n + 1 and (padded.argmax(axis=1) == 80).all()
    assert rfft_frequencies(RATE, n)[20] == 20 * RATE / n


def test_float32_frames_give_float32_power_and_short_audio_no_frames():
    frames = np.ones((3, 16), np.float32)
    assert windowed_power(frames).dtype == np.float32
    assert sliding_frames(np.zeros(10), 16, 4).shape == (0, 16)
    assert power_spectrogram(np.zeros(10), 16, 4).shape == (9, 0)


def test_the_graph_spectrogram_equals_the_numpy_one_scaled_by_the_window_sum():
    x = np.random.default_rng(1).standard_normal(500)
    bins = np.arange(33)
    kernels = torch.tensor(dft_kernels(hann_window(64), bins))
    ours = stft_power(torch.tensor(x)[None, None], kernels, 16)[0].numpy()
    np.testing.assert_allclose(ours * hann_window(64).sum() ** 2, power_spectrogram(x, 64, 16), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("n", [8, 63, 256])
def test_hann_window_peaks_at_its_middle_and_starts_at_zero(n):
    window = hann_window(n)
    assert window[0] == 0 and window.max() == pytest.approx(1.0, abs=1 / n)
