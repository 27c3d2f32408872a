"""PCEN and the noise-floor ratio: known answers on synthetic spectrogram powers."""

import math

import numpy as np
import pytest
import scipy.integrate
import scipy.signal
import torch

from hark.dsp.normalize import (
    exponential_smoother,
    exponential_weights,
    noise_floor_ratio,
    pad_edges,
    pcen,
    smoother_span,
    smoothing_coefficient,
)


def noise_power(frames: int, bins: int = 16, level: float = 1.0, seed: int = 0) -> torch.Tensor:
    """Power of white noise's STFT bins: exponentially distributed with mean ``level`` (float64)."""
    rng = np.random.default_rng(seed)
    return torch.tensor(level * rng.exponential(size=(1, bins, frames)))


@pytest.mark.parametrize("span", [1, 3, 5, 7, 9, 15, 17, 65, 101])
def test_the_smoother_is_the_truncated_two_sided_exponential_convolved_without_padding(span):
    x = torch.tensor(np.random.default_rng(span).standard_normal((2, 3, 150)))
    coefficient = 0.05
    taps = exponential_weights(coefficient, span)
    assert taps.sum().item() == pytest.approx(1.0) and torch.equal(taps, taps.flip(0))
    assert taps.argmax().item() == span // 2
    reference = torch.nn.functional.conv1d(x.reshape(6, 1, 150), taps.view(1, 1, -1)).reshape(2, 3, -1)
    ours = exponential_smoother(x, coefficient, span)
    assert ours.shape[-1] == 150 - span + 1
    torch.testing.assert_close(ours, reference, atol=1e-12, rtol=0)
    assert exponential_smoother(x[..., : span - 1], coefficient, span).shape[-1] == 0


@pytest.mark.parametrize("span", [0, 4])
def test_the_span_is_odd(span):
    with pytest.raises(ValueError, match="odd"):
        exponential_smoother(torch.zeros(1, 20), 0.1, span)


def test_the_coefficient_gives_the_time_constant_and_three_of_them_each_side_hold_95_percent():
    for frames in (10.0, 100.0, 1000.0):
        s = smoothing_coefficient(frames)
        assert (1 - s) ** frames == pytest.approx(math.exp(-1), rel=0.02)
        span = smoother_span(frames)
        assert span == 2 * round(3 * frames) + 1
        a, half = 1 - s, span // 2
        untruncated = (1 + a) / (1 - a)  # sum of a ** |k| over all k
        kept = 2 * (1 - a ** (half + 1)) / (1 - a) - 1
        assert kept / untruncated == pytest.approx(0.95, abs=0.005)


def test_the_truncated_smoother_follows_the_recursive_one_run_both_ways():
    """Against the IIR ``y[t] = a y[t-1] + x[t]`` (scipy's lfilter) run forward plus run
    backward minus the input: the untruncated two-sided kernel ``a ** |k|``. On a step from 1
    to 10 they differ by at most the 5 % of the weight the truncation drops."""
    s, span = smoothing_coefficient(20.0), smoother_span(20.0)
    a, half = 1 - s, span // 2
    x = np.concatenate([np.ones(300), 10 * np.ones(300)])
    forward = scipy.signal.lfilter([1], [1, -a], x, zi=[a / (1 - a)])[0]
    backward = scipy.signal.lfilter([1], [1, -a], x[::-1], zi=[10 * a / (1 - a)])[0][::-1]
    iir = (forward + backward - x) * (1 - a) / (1 + a)
    fir = exponential_smoother(torch.tensor(x)[None], s, span)[0].numpy()
    assert fir[0] == pytest.approx(1.0) and fir[-1] == pytest.approx(10.0)
    assert fir[300 - half] == pytest.approx(5.5, abs=0.5)  # centred on the step: halfway
    np.testing.assert_allclose(fir, iir[half:-half], atol=0.05 * 9)
    np.testing.assert_allclose(fir, 11 - fir[::-1], atol=1e-9)  # a reversed step gives the reversed output


def test_pcen_of_stationary_noise_has_its_known_mean_at_every_level():
    """With gain 1 and a long smoother M is the noise's mean, so E / M ~ Exp(1) and the mean of
    sqrt(E/M + 2) - sqrt(2) is the integral of that against exp(-x), whatever the level."""
    expected = scipy.integrate.quad(lambda v: (math.sqrt(v + 2) - math.sqrt(2)) * math.exp(-v), 0, np.inf)[0]
    s, span = smoothing_coefficient(200.0), smoother_span(200.0)
    for level in (1e-8, 1e-4, 1.0):
        out = pcen(noise_power(4000, level=level), s, span, gain=1.0, bias=2.0, exponent=0.5)
        assert out.shape[-1] == 4000 - span + 1
        assert out.mean().item() == pytest.approx(expected, rel=0.03), level


def test_a_20_db_gain_barely_moves_pcen_and_leaves_the_noise_floor_ratio_unchanged():
    power = noise_power(1500, level=1e-5)
    power[:, 5, 800:900] *= 1000  # a call in bin 5
    louder = power * 100  # 20 dB
    s, span = smoothing_coefficient(100.0), smoother_span(100.0)
    log_shift = (torch.log(louder) - torch.log(power)).mean().item()
    assert log_shift == pytest.approx(math.log(100))  # the log spectrogram moves by 4.6 everywhere
    quiet, loud = pcen(power, s, span), pcen(louder, s, span)
    # gain 0.98 leaves 100 ** 0.02 = 1.096 of the level in E / M ** 0.98, and the compression
    # moves the output by less than that
    relative = ((loud - quiet).abs().mean() / quiet.abs().mean()).item()
    assert 0 < relative <= 100**0.02 - 1
    # in units of each feature's spread: the log spectrogram moves by over 3, PCEN by under 0.1
    assert log_shift / torch.log(power).std().item() > 3
    assert ((loud - quiet).abs().mean() / quiet.std()).item() < 0.1
    log_quiet, log_loud = torch.log(power), torch.log(louder)
    torch.testing.assert_close(
        noise_floor_ratio(log_loud, s, span), noise_floor_ratio(log_quiet, s, span), atol=1e-9, rtol=0
    )


def test_the_noise_floor_ratio_of_stationary_noise_has_the_known_moments():
    """The log of an Exp(1) variable has standard deviation pi / sqrt(6); the background is its
    mean, so the ratio centres on 0 whatever the level, and a call shows as its level above it."""
    s, span = smoothing_coefficient(100.0), smoother_span(100.0)
    for level in (1e-6, 1.0):
        power = noise_power(5000, level=level)
        out = noise_floor_ratio(torch.log(power), s, span)
        assert abs(out.mean().item()) < 0.05
        assert out.std().item() == pytest.approx(math.pi / math.sqrt(6), rel=0.05)
    s, span = smoothing_coefficient(20.0), smoother_span(20.0)
    half = span // 2
    power = noise_power(600, level=1e-4)
    power[:, 3, 300:] = 1e-4 * 1000  # a 30 dB tone starts at frame 300
    out = noise_floor_ratio(torch.log(power), s, span)
    # centred on the onset, the background is the noise's log-mean (log 1e-4 less Euler's gamma)
    # over the taps before the centre and the tone's over the others: the ratio stands the
    # past taps' share of log(1000) + gamma above it (the noise's log-mean over ~40 taps
    # scatters by 1.28 / sqrt(40) = 0.2)
    past = exponential_weights(s, span)[:half].sum().item()
    assert out[0, 3, 300 - half].item() == pytest.approx(past * (math.log(1000) + np.euler_gamma), abs=0.5)
    assert out[0, 3, -1].item() == pytest.approx(0.0, abs=1e-9)  # the tone alone is its own background


def test_pcen_adapts_to_a_steady_tone():
    """PCEN is an automatic gain control: a tone stands out at its onset and fades to the
    ratio 1 as the background fills with it, while the log spectrogram would stay constant."""
    s, span = smoothing_coefficient(20.0), smoother_span(20.0)
    half = span // 2
    power = noise_power(800, level=1e-4)
    power[:, 3, 400:] = 1.0
    out = pcen(power, s, span)[0, 3]
    assert out[-1].item() == pytest.approx(math.sqrt(3) - math.sqrt(2), rel=1e-6)  # E == M == 1
    assert out[400 - half].item() > 1.5 * out[-1].item()
    assert out[400 - half].item() > 2 * out[: 400 - 2 * half].mean().item()  # above the noise before


def test_pad_edges_repeats_the_end_frames_so_a_clip_keeps_its_frames():
    x = torch.arange(5.0).view(1, 1, 5) + 1
    padded = pad_edges(x, 2)
    assert padded.tolist() == [[[1, 1, 1, 2, 3, 4, 5, 5, 5]]]
    assert exponential_smoother(padded, smoothing_coefficient(2.0), 5).shape[-1] == 5
    assert pad_edges(x, 0) is x
