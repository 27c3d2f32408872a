"""Call statistics against known answers: synthetic sweeps, tones, FM calls and noise; real USVs and bat calls."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pytest

from hark.annotations import read_soundevent_project, read_usv_table
from hark.audio.recording import Recording, open_recording
from hark.calls import CallStatsParams, call_contour, call_statistics
from hark.demo.usv import synthesize_usv
from hark.errors import HarkError
from hark.params import validate_params
from tests.calls.helpers import RATE, add_call, background, call, sweep_hz, write

USV_BAND = CallStatsParams(min_hz=20_000)


@pytest.fixture(scope="module")
def calls_wav(tmp_path_factory):
    """One recording of known calls, returned with their events (by name)."""
    samples = background(1.2)
    up = add_call(samples, 0.05, sweep_hz(40_000, 80_000, 0.050))
    down = add_call(samples, 0.15, sweep_hz(75_000, 45_000, 0.040))
    tone = add_call(samples, 0.25, np.full(int(0.030 * RATE), 60_000.0))
    t = np.arange(int(0.100 * RATE)) / RATE
    fm = add_call(samples, 0.35, 60_000 + 10_000 * np.sin(2 * np.pi * 100 * t))
    n = int(0.050 * RATE)
    rising = add_call(samples, 0.55, sweep_hz(40_000, 80_000, 0.050), amplitude=np.linspace(0.01, 0.1, n))
    noise_start = int(0.7 * RATE)
    samples[noise_start : noise_start + n] += np.random.default_rng(1).normal(0, 0.05, n)
    path = write(tmp_path_factory.mktemp("calls") / "calls.wav", samples)
    events = {
        "up": call(up, "up", low_hz=35_000, high_hz=85_000),
        "down": call(down, "down"),
        "tone": call(tone, "tone"),
        "fm": call(fm, "fm", low_hz=45_000, high_hz=75_000),
        "rising": call(rising, "rising", low_hz=35_000, high_hz=85_000),
        "noise": call((noise_start, noise_start + n), "noise"),
        "silence": call((int(1.0 * RATE), int(1.05 * RATE)), "silence", low_hz=30_000, high_hz=90_000),
    }
    return path, events


def stats_of(calls_wav, *names, params=USV_BAND):
    path, events = calls_wav
    return call_statistics(path, [events[n] for n in names], params)


def test_linear_sweep_slope_and_end_frequencies(calls_wav):
    (up,) = stats_of(calls_wav, "up")
    assert up.slope_hz_per_s == pytest.approx(40_000 / 0.050, rel=0.01)
    assert up.start_frequency_hz == pytest.approx(40_000, abs=1000)
    assert up.end_frequency_hz == pytest.approx(80_000, abs=1000)
    assert (up.low_frequency_hz, up.high_frequency_hz, up.frequency_bounds) == (35_000, 85_000, "box")
    assert (up.start_s, up.duration_s) == (0.05, 0.05)
    assert up.sinuosity == pytest.approx(1.0, abs=0.01)
    assert up.tonality > 0.9


def test_a_call_without_a_box_takes_its_bounds_from_its_contour(calls_wav):
    (down,) = stats_of(calls_wav, "down")
    assert down.frequency_bounds == "contour"
    assert down.low_frequency_hz == pytest.approx(45_000, abs=1000)
    assert down.high_frequency_hz == pytest.approx(75_000, abs=1000)
    assert down.slope_hz_per_s == pytest.approx(-30_000 / 0.040, rel=0.01)
    assert down.start_frequency_hz > down.end_frequency_hz


def test_pure_tone_is_tonal_flat_and_principal(calls_wav):
    (tone,) = stats_of(calls_wav, "tone")
    assert tone.principal_frequency_hz == pytest.approx(60_000, abs=100)
    assert abs(tone.slope_hz_per_s) < 1000
    assert tone.tonality > 0.95
    assert tone.sinuosity == pytest.approx(1.0, abs=0.01)


def test_white_noise_has_a_tonality_near_zero(calls_wav):
    (noise,) = stats_of(calls_wav, "noise", params=CallStatsParams())
    # 1 - E[geometric]/E[arithmetic] of Rayleigh magnitudes = 1 - 0.846 = 0.154
    assert noise.tonality == pytest.approx(0.154, abs=0.05)


def test_sinusoidal_fm_is_sinuous_and_a_straight_sweep_is_not(calls_wav):
    fm, up = stats_of(calls_wav, "fm", "up")
    assert fm.sinuosity > 2.0
    assert up.sinuosity < 1.01
    # 10 periods of a +-10 kHz sine around 60 kHz: the contour spans the depth, the fit is flat.
    contour = call_contour(open_recording(calls_wav[0]), calls_wav[1]["fm"], USV_BAND)
    assert contour.frequencies_hz.min() == pytest.approx(50_000, abs=1000)
    assert contour.frequencies_hz.max() == pytest.approx(70_000, abs=1000)
    assert abs(fm.slope_hz_per_s) < 50_000


def test_principal_frequency_is_where_the_power_is(calls_wav):
    (rising,) = stats_of(calls_wav, "rising")
    # Loudness grows tenfold along a 40->80 kHz sweep: the loudest frame is near its end.
    assert rising.principal_frequency_hz == pytest.approx(80_000, abs=2000)
    assert rising.mean_power_db < stats_of(calls_wav, "up")[0].mean_power_db


def test_silence_has_no_contour(calls_wav):
    path, events = calls_wav
    samples = np.zeros(RATE // 10)
    silent = write(path.parent / "silent.wav", samples)
    (stats,) = call_statistics(silent, [events["up"].with_(start=1000, stop=5000, recording="silent.wav")])
    assert stats.contour_frames == 0 and (stats.low_frequency_hz, stats.high_frequency_hz) == (35_000, 85_000)
    assert all(math.isnan(v) for v in (stats.principal_frequency_hz, stats.slope_hz_per_s, stats.sinuosity, stats.tonality))


def test_a_point_event_has_one_frame_and_no_slope(calls_wav):
    path, events = calls_wav
    point = events["tone"].with_(stop=events["tone"].start + 3000).with_(start=events["tone"].start + 3000)
    (stats,) = call_statistics(path, [point], USV_BAND)
    assert stats.contour_frames == 1 and stats.duration_s == 0
    assert stats.principal_frequency_hz == pytest.approx(60_000, abs=200)
    assert math.isnan(stats.slope_hz_per_s) and math.isnan(stats.sinuosity)


def test_demo_usv_contours_stay_inside_their_boxes(tmp_path):
    samples, events = synthesize_usv(4.0, rng=3)
    path = write(tmp_path / "usv.wav", samples)
    recording = open_recording(path)
    stats = call_statistics(recording, events)
    assert len(stats) == len(events) >= 4
    for event, call_stats in zip(events, stats):
        contour = call_contour(recording, event)
        assert len(contour) >= 0.5 * contour.frames
        assert event.low_hz - 1000 <= contour.frequencies_hz.min() and contour.frequencies_hz.max() <= event.high_hz + 1000
        assert event.low_hz <= call_stats.principal_frequency_hz <= event.high_hz
        assert call_stats.tonality > 0.5


@dataclass(frozen=True)
class ReadCountingRecording(Recording):
    """A real recording that notes which samples were read."""

    reads: list = field(default_factory=list, compare=False)

    def read(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        self.reads.append((start, stop))
        return super().read(start, stop)


def test_only_the_calls_samples_are_read(calls_wav):
    path, events = calls_wav
    plain = open_recording(path)
    counting = ReadCountingRecording(plain.path, plain.info, plain.channel, plain.reader)
    chosen = [events["up"], events["tone"]]
    call_statistics(counting, chosen, CallStatsParams(window_ms=1.0))
    half_window = 125
    assert counting.reads == [(e.start - half_window, e.stop + half_window) for e in chosen]


def test_bad_inputs_are_one_line_errors(calls_wav):
    path, events = calls_wav
    frames = open_recording(path).frames
    with pytest.raises(HarkError, match=r"calls.wav: call at .* ends at sample .* past the recording's end"):
        call_statistics(path, [events["up"].with_(stop=frames + 10)])
    with pytest.raises(HarkError, match=r"has a box from 130000 Hz, above the Nyquist frequency 125000 Hz of a recording sampled at 250000 Hz"):
        call_statistics(path, [events["up"].with_(low_hz=130_000, high_hz=140_000)])
    with pytest.raises(HarkError, match=r"hark calls parameters: .*max_hz 1000 must be above min_hz 2000"):
        validate_params(CallStatsParams, {"min_hz": 2000, "max_hz": 1000}, "hark calls parameters")
    with pytest.raises(HarkError, match=r"nfft 128 is shorter than the 1 ms window \(250 samples at 250000 Hz\)"):
        call_statistics(path, [events["up"]], CallStatsParams(nfft=128))


@pytest.mark.shared_data
def test_real_usv_calls_have_whistle_contours(shared_data):
    recording = open_recording(shared_data / "usv" / "3" / "rec_3.wav")
    events = read_usv_table(shared_data / "usv" / "3" / "gt_3.csv", recording.samplerate, recording.name)
    stats = call_statistics(recording, events, USV_BAND)
    assert len(stats) == 36 and all(s.contour_frames > 0 for s in stats)
    principal = np.array([s.principal_frequency_hz for s in stats])
    # Mouse USVs lie between 30 and 110 kHz; the median call is tonal.
    assert np.all((principal > 30_000) & (principal < 110_000))
    assert np.median([s.tonality for s in stats]) > 0.35


@pytest.mark.shared_data
def test_real_bat_boxes_hold_their_principal_frequency(shared_data):
    name = "XC826219-Pteronotus_mesoamericanus-2013.02.15-CL00816.wav"
    events = read_soundevent_project(shared_data / "bat" / "example_annotation_project.json")[name]
    stats = call_statistics(shared_data / "bat" / name, events, CallStatsParams(window_ms=0.5, hop_ms=0.1))
    assert len(stats) == 64
    assert all(s.frequency_bounds == "box" and s.low_frequency_hz <= s.principal_frequency_hz <= s.high_frequency_hz for s in stats)
    assert all(math.isfinite(s.slope_hz_per_s) for s in stats if s.contour_frames >= 2)
