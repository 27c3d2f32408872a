"""The fly song generator: deterministic, and its ground truth matches the sound."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from hark.annotations.event import Kind
from hark.demo import AMBIENT_LABEL, FLY_SAMPLERATE, PULSE_LABEL, SINE_LABEL, FlySongParams, robust_scale, synthesize_fly
from hark.errors import HarkError
from hark.params import validate_params

SR = FLY_SAMPLERATE
DURATION_S = 30.0


@pytest.fixture(scope="module")
def song():
    return synthesize_fly(DURATION_S, SR, np.random.default_rng(7), recording="fly-test.wav")


def _by_label(events, label):
    return [e for e in events if e.label == label]


def _trains(pulse_starts, max_gap=int(0.06 * SR)):
    """Pulses closer than 60 ms belong to the same train."""
    trains, current = [], [pulse_starts[0]]
    for previous, here in zip(pulse_starts, pulse_starts[1:]):
        if here - previous > max_gap:
            trains.append(current)
            current = []
        current.append(here)
    return trains + [current]


def test_same_seed_same_song_and_other_seed_other_song():
    a, events_a = synthesize_fly(10.0, SR, np.random.default_rng(3))
    b, events_b = synthesize_fly(10.0, SR, 3)  # an integer seed is the same as default_rng(seed)
    c, events_c = synthesize_fly(10.0, SR, 4)
    assert a.tobytes() == b.tobytes() and events_a == events_b
    assert a.tobytes() != c.tobytes() and events_a != events_c


def test_shape_type_and_labels(song):
    samples, events = song
    assert samples.dtype == np.float32 and samples.shape == (int(DURATION_S * SR),)
    assert events == sorted(events)
    assert {e.label for e in events} == {PULSE_LABEL, SINE_LABEL, AMBIENT_LABEL}
    assert all(e.kind is Kind.ANNOTATED and e.recording == "fly-test.wav" for e in events)
    assert all(e.is_point for e in _by_label(events, PULSE_LABEL))
    assert not any(e.is_point for e in events if e.label != PULSE_LABEL)
    assert all(0 <= e.start <= e.stop <= len(samples) for e in events)


def test_pulse_events_sit_on_envelope_maxima(song):
    samples, events = song
    # Around the carrier only: the pink background's strong low frequencies would otherwise
    # shift the broad envelope's peak by a few samples, as they would mislead any detector.
    band = signal.butter(4, [120, 300], "bandpass", fs=SR, output="sos")
    envelope = np.abs(signal.hilbert(signal.sosfiltfilt(band, samples)))
    window = int(0.005 * SR)
    for e in _by_label(events, PULSE_LABEL):
        lo = max(e.start - window, 0)
        peak = lo + int(np.argmax(envelope[lo : e.start + window + 1]))
        assert abs(peak - e.start) <= 0.001 * SR, f"pulse at {e.start}: envelope peaks at {peak}"


def test_pulses_are_far_above_a_9_mad_threshold(song):
    samples, events = song
    mad = robust_scale(samples)
    peaks = np.abs(samples[[e.start for e in _by_label(events, PULSE_LABEL)]]) / FlySongParams().noise_mad
    assert np.all(np.abs(samples[[e.start for e in _by_label(events, PULSE_LABEL)]]) > 9 * mad)
    assert 20 <= np.median(peaks) <= 40


def test_inter_pulse_intervals_are_35_ms(song):
    _, events = song
    trains = _trains([e.start for e in _by_label(events, PULSE_LABEL)])
    p = FlySongParams()
    assert all(p.pulses_per_train_min <= len(t) <= p.pulses_per_train_max for t in trains)
    intervals_ms = np.concatenate([np.diff(t) for t in trains]) / SR * 1000
    assert abs(np.mean(intervals_ms) - p.pulse_ipi_ms) < 1.0
    # Five standard deviations, plus rounding the centres to whole samples.
    assert np.all(np.abs(intervals_ms - p.pulse_ipi_ms) < 5 * p.pulse_ipi_jitter_ms + 1000 / SR)


def test_sine_is_tonal_at_150_hz_but_mostly_below_the_threshold(song):
    samples, events = song
    sines = _by_label(events, SINE_LABEL)
    assert sines
    p = FlySongParams()
    for e in sines:
        segment = samples[e.start : e.stop] * np.hanning(e.stop - e.start)
        spectrum = np.abs(np.fft.rfft(segment, 8 * len(segment)))
        freqs = np.fft.rfftfreq(8 * len(segment), 1 / SR)
        dominant = freqs[np.argmax(spectrum * (freqs > 20))]
        assert abs(dominant - p.sine_hz) <= 1.5 * p.sine_hz_jitter + 3, f"sine at {e.start}: {dominant:.1f} Hz"
    in_sine = np.concatenate([samples[e.start : e.stop] for e in sines])
    assert np.mean(np.abs(in_sine) > 9 * robust_scale(samples)) < 0.01


def test_ambient_ranges_hold_only_background(song):
    samples, events = song
    song_spans = [(e.start - int(0.02 * SR), e.stop + int(0.02 * SR)) for e in events if e.label != AMBIENT_LABEL]
    noise_mad = FlySongParams().noise_mad
    ambient = _by_label(events, AMBIENT_LABEL)
    assert len(ambient) >= 2
    for e in ambient:
        assert not any(lo < e.stop and e.start < hi for lo, hi in song_spans)
        assert e.stop - e.start >= FlySongParams().ambient_s_min * SR
        assert np.max(np.abs(samples[e.start : e.stop])) < 9 * noise_mad
        assert robust_scale(samples[e.start : e.stop]) == pytest.approx(noise_mad, rel=0.25)


def test_parameters_change_the_song():
    _, events = synthesize_fly(20.0, SR, 0, FlySongParams(pulse_ipi_ms=50.0, pulse_ipi_jitter_ms=0.0))
    trains = _trains([e.start for e in _by_label(events, PULSE_LABEL)], max_gap=int(0.08 * SR))
    intervals = np.concatenate([np.diff(t) for t in trains])
    assert set(intervals) <= {int(0.05 * SR)}


def test_parameter_mistakes_are_one_line_errors():
    with pytest.raises(HarkError, match="pulses_per_train_min"):
        validate_params(FlySongParams, {"pulses_per_train_min": "40"}, "fly demo")
    with pytest.raises(HarkError, match="unknown parameter"):
        validate_params(FlySongParams, {"pulse_ipi": "40"}, "fly demo")
    assert validate_params(FlySongParams, {"pulse_ipi_ms": "40"}, "fly demo").pulse_ipi_ms == 40.0
    with pytest.raises(HarkError, match="Nyquist"):
        synthesize_fly(1.0, 300, 0)
    with pytest.raises(HarkError, match="no samples"):
        synthesize_fly(0.0, SR, 0)
