"""The USV generator: deterministic, calls inside their annotated time-frequency boxes."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from hark.annotations.event import Kind
from hark.audio import highpass
from hark.demo import USV_LABEL, USV_SAMPLERATE, UsvParams, robust_scale, synthesize_usv
from hark.errors import HarkError

SR = USV_SAMPLERATE
DURATION_S = 3.0


@pytest.fixture(scope="module")
def calls():
    return synthesize_usv(DURATION_S, SR, np.random.default_rng(11), recording="usv-test.wav")


def test_same_seed_same_sound_and_other_seed_other_sound():
    a, events_a = synthesize_usv(0.5, SR, 5)
    b, events_b = synthesize_usv(0.5, SR, np.random.default_rng(5))
    c, _ = synthesize_usv(0.5, SR, 6)
    assert a.tobytes() == b.tobytes() and events_a == events_b
    assert a.tobytes() != c.tobytes()


def test_events_are_usv_ranges_with_frequency_bounds(calls):
    samples, events = calls
    p = UsvParams()
    assert samples.dtype == np.float32 and len(samples) == DURATION_S * SR
    assert len(events) >= 5 and events == sorted(events)
    for e in events:
        assert e.kind is Kind.ANNOTATED and e.label == USV_LABEL and e.recording == "usv-test.wav"
        assert p.duration_ms_min <= (e.stop - e.start) / SR * 1000 <= p.duration_ms_max
        assert p.call_low_hz - 1 <= e.low_hz < e.high_hz <= p.call_high_hz + 1
        assert e.score is None and e.stop <= len(samples)
    assert all(a.stop <= b.start for a, b in zip(events, events[1:])), "calls do not overlap"


def test_call_energy_lies_inside_the_annotated_band(calls):
    samples, events = calls
    freqs, times, power = signal.spectrogram(samples, SR, nperseg=512, noverlap=256)
    ultrasonic = freqs > 20_000  # leave out the rumble, which is everywhere
    for e in events:
        columns = (times * SR >= e.start) & (times * SR <= e.stop)
        spectrum = power[:, columns].sum(axis=1)
        # One spectrogram bin (~490 Hz) plus the envelope's and modulation's spread.
        inside = (freqs >= e.low_hz - 2000) & (freqs <= e.high_hz + 2000)
        share = spectrum[inside & ultrasonic].sum() / spectrum[ultrasonic].sum()
        assert share > 0.8, f"call at {e.start}: only {share:.0%} of its ultrasonic energy is in its box"


def test_silence_between_calls_has_no_ultrasonic_call_energy(calls):
    samples, events = calls
    filtered = highpass(samples, 30_000, 4, SR)
    in_calls = np.zeros(len(samples), dtype=bool)
    for e in events:
        in_calls[e.start : e.stop] = True
    assert np.sqrt(np.mean(filtered[in_calls] ** 2)) > 3 * np.sqrt(np.mean(filtered[~in_calls] ** 2))


def test_rumble_dominates_until_a_highpass_removes_it(calls):
    samples, _ = calls
    power = np.abs(np.fft.rfft(samples)) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1 / SR)
    assert power[freqs < 5000].sum() > 0.5 * power.sum()
    noise_mad = UsvParams().noise_mad
    assert robust_scale(samples) > 5 * noise_mad
    assert robust_scale(highpass(samples, 15_000, 4, SR)) < 1.5 * noise_mad


def test_without_room_for_harmonics_none_are_made():
    p = UsvParams(call_low_hz=60_000, harmonic_probability=1.0)
    _, events = synthesize_usv(1.0, SR, 0, p)
    assert all(e.high_hz <= 100_001 for e in events)


def test_frequencies_must_fit_the_sample_rate():
    with pytest.raises(HarkError, match="Nyquist"):
        synthesize_usv(0.1, 192_000, 0)
    with pytest.raises(HarkError, match="call_low_hz"):
        synthesize_usv(0.1, SR, 0, UsvParams(call_low_hz=100_000))


def test_a_short_recording_still_gets_a_call():
    for seed in range(10):
        _, events = synthesize_usv(0.2, SR, seed)
        assert len(events) == 1
