"""The whale-upcall clip generator: clip labels, and upcalls where the truth says."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from hark.annotations.event import Kind
from hark.demo import NOISE_LABEL, UPCALL_LABEL, WHALE_SAMPLERATE, WhaleParams, synthesize_whale_clip
from hark.errors import HarkError

SR = WHALE_SAMPLERATE


def _band_energy(samples, start, stop, low_hz=50, high_hz=250):
    """Spectrogram energy between low_hz and high_hz over [start, stop], per unit of clip level."""
    freqs, times, power = signal.spectrogram(samples, SR, nperseg=128, noverlap=96)
    rows = (freqs >= low_hz) & (freqs <= high_hz)
    columns = (times * SR >= start) & (times * SR <= stop)
    # Clips differ in gain on purpose; compare them by their own level.
    return power[np.ix_(rows, columns)].sum() / np.median(np.abs(samples)) ** 2


def test_same_seed_same_clip_and_other_seed_other_clip():
    a, events_a, truth_a = synthesize_whale_clip(True, SR, 1)
    b, events_b, truth_b = synthesize_whale_clip(True, SR, np.random.default_rng(1))
    c, _, truth_c = synthesize_whale_clip(True, SR, 2)
    assert a.tobytes() == b.tobytes() and events_a == events_b and truth_a == truth_b
    assert a.tobytes() != c.tobytes() and truth_a != truth_c


def test_a_clip_is_labelled_as_a_whole():
    p = WhaleParams()
    for has_upcall, label in ((True, UPCALL_LABEL), (False, NOISE_LABEL)):
        samples, events, truth = synthesize_whale_clip(has_upcall, SR, 3, recording="clip.wav")
        assert samples.dtype == np.float32 and len(samples) == p.clip_s * SR == 4000
        assert [(e.start, e.stop, e.kind, e.label, e.recording) for e in events] == [(0, 4000, Kind.ANNOTATED, label, "clip.wav")]
        assert bool(truth) == has_upcall


def test_the_truth_describes_an_upcall_inside_the_clip():
    p = WhaleParams()
    margin = p.call_margin_s * SR
    for seed in range(20):
        _, _, truth = synthesize_whale_clip(True, SR, seed)
        assert margin <= truth["call_start"] < truth["call_stop"] <= 4000 - margin
        assert p.call_duration_s_min * SR - 1 <= truth["call_stop"] - truth["call_start"] <= p.call_duration_s_max * SR
        assert p.call_start_hz_min <= truth["call_start_hz"] <= p.call_start_hz_max
        assert p.call_end_hz_min <= truth["call_end_hz"] <= p.call_end_hz_max
        assert truth["call_amplitude"] > 0


def test_upcall_clips_carry_more_sweep_energy_at_the_call_time_than_noise_clips():
    rng = np.random.default_rng(0)
    with_call, without_call = [], []
    for _ in range(16):
        upcall, _, truth = synthesize_whale_clip(True, SR, rng)
        noise, _, _ = synthesize_whale_clip(False, SR, rng)
        with_call.append(_band_energy(upcall, truth["call_start"], truth["call_stop"]))
        without_call.append(_band_energy(noise, truth["call_start"], truth["call_stop"]))
    assert np.median(with_call) > 1.5 * np.median(without_call)


def test_the_call_rises_along_its_true_track():
    quiet = WhaleParams(tone_probability=0, click_probability=0, call_amplitude_mad_min=4)
    for seed in range(10):
        samples, _, truth = synthesize_whale_clip(True, SR, seed, quiet)
        for fraction in (0.3, 0.7):
            centre = int(truth["call_start"] + fraction * (truth["call_stop"] - truth["call_start"]))
            segment = samples[centre - 128 : centre + 128] * np.hanning(256)
            freqs = np.fft.rfftfreq(2048, 1 / SR)
            spectrum = np.abs(np.fft.rfft(segment, 2048)) * (freqs > 40)
            expected = truth["call_start_hz"] + fraction * (truth["call_end_hz"] - truth["call_start_hz"])
            assert abs(freqs[np.argmax(spectrum)] - expected) < 25


def test_noise_clips_are_not_trivially_quiet():
    # Interference and gain changes appear in both kinds of clip, so loudness alone cannot tell them apart.
    levels = {True: [], False: []}
    for seed in range(20):
        for has_upcall in (True, False):
            samples, _, _ = synthesize_whale_clip(has_upcall, SR, seed)
            levels[has_upcall].append(np.sqrt(np.mean(samples**2)))
    assert max(levels[False]) > np.median(levels[True])


def test_impossible_parameters_are_refused():
    with pytest.raises(HarkError, match="does not fit"):
        synthesize_whale_clip(True, SR, 0, WhaleParams(clip_s=1.0))
    with pytest.raises(HarkError, match="Nyquist"):
        synthesize_whale_clip(True, 400, 0)
    with pytest.raises(HarkError, match="might not rise"):
        synthesize_whale_clip(True, SR, 0, WhaleParams(call_start_hz_max=160))
