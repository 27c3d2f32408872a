"""Frequency bounds of events (hark.infer.boxes) and hark ethogram's boxes, presets, cut-offs and scores."""

import numpy as np
import pytest
import soundfile as sf

from hark.annotations.event import Event, Kind
from hark.annotations.songexplorer import read_csv
from hark.audio.recording import open_recording
from hark.demo.usv import UsvParams, synthesize_usv
from hark.errors import HarkError
from hark.infer.boxes import BoxParams, check_cutoffs, with_frequency_bounds
from hark.infer.engines import config_digest
from hark.infer.ethogram import SENSITIVITY_RATIOS, BoxSettings, sensitivity_ratio, write_ethograms
from hark.infer.probabilities import ProbabilitiesMeta, probabilities_paths, probabilities_writer
from hark.models.store import ModelConfig, save_config

RATE = 250_000


def sweep(low_hz, high_hz, ms, amplitude=0.1):
    """A linear sweep from low_hz to high_hz with 1 ms raised-cosine ramps."""
    n = int(ms * RATE / 1000)
    frequency = np.linspace(low_hz, high_hz, n)
    ramp = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / (RATE / 1000))
    return amplitude * np.sin(2 * np.pi * np.cumsum(frequency) / RATE) * (0.5 - 0.5 * np.cos(np.pi * ramp))


def recording_with(tmp_path, calls, seconds=0.4, name="calls.wav"):
    """A recording of white noise (RMS 0.002) with each ``(start_ms, samples)`` call added; its events."""
    audio = np.random.default_rng(0).normal(0, 0.002, int(seconds * RATE))
    events = []
    for start_ms, call in calls:
        start = int(start_ms * RATE / 1000)
        audio[start : start + len(call)] += call
        events.append(Event(name, start, start + len(call), Kind.PREDICTED, "usv", score=0.9))
    path = tmp_path / name
    sf.write(path, audio.astype(np.float32), RATE, subtype="FLOAT")
    return open_recording(path), events


def bounds(recording, events, low=15_000, high=RATE / 2, **params):
    return [(e.low_hz, e.high_hz) for e in with_frequency_bounds(events, recording, low, high, BoxParams(**params))]


def test_a_sweep_in_noise_gets_its_frequency_range(tmp_path):
    recording, events = recording_with(tmp_path, [(100, sweep(40_000, 60_000, 30))])
    [(low, high)] = bounds(recording, events, window_ms=1.0)
    assert abs(low - 40_000) <= 3000 and abs(high - 60_000) <= 3000
    [box] = with_frequency_bounds(events, recording, 15_000, RATE / 2)
    assert (box.start, box.stop, box.label, box.score) == (events[0].start, events[0].stop, "usv", 0.9)


def test_a_harmonic_beyond_a_quiet_gap_is_left_out(tmp_path):
    call = sweep(40_000, 44_000, 40) + sweep(80_000, 88_000, 40, amplitude=0.05)
    recording, events = recording_with(tmp_path, [(100, call)])
    [(low, high)] = bounds(recording, events)
    assert 36_000 <= low < 40_000 and 44_000 < high <= 48_000


def test_a_long_constant_frequency_call_is_not_its_own_noise_floor(tmp_path):
    # 150 ms of 62 kHz with 50 ms margins: the call fills most frames of the stretch
    recording, events = recording_with(tmp_path, [(100, sweep(62_000, 62_000, 150))])
    [(low, high)] = bounds(recording, events)
    assert 57_000 <= low < 62_000 < high <= 67_000


def test_cut_offs_bound_the_box(tmp_path):
    recording, events = recording_with(tmp_path, [(100, sweep(20_000, 60_000, 30))])
    [(low, high)] = bounds(recording, events, low=30_000, high=50_000)
    assert 30_000 <= low < high <= 50_000
    [(low, high)] = bounds(recording, events)
    assert low < 25_000 and high > 55_000


def test_cut_offs_beyond_the_recordings_nyquist_frequency_are_refused():
    with pytest.raises(HarkError, match=r"start at 30000 Hz, above the Nyquist frequency 22050 Hz of 44100 Hz audio"):
        check_cutoffs(30_000, 110_000, 44_100)
    with pytest.raises(HarkError, match="low 60000 Hz is not below high 50000 Hz"):
        check_cutoffs(60_000, 50_000, RATE)
    assert check_cutoffs(15_000, 200_000, RATE) == (15_000, 125_000)


def test_synthetic_usvs_boxes_lie_within_2_khz_of_their_true_range(tmp_path):
    audio, truth = synthesize_usv(6.0, rng=3, params=UsvParams(harmonic_probability=0.0))
    sf.write(tmp_path / "usv.wav", audio, RATE, subtype="FLOAT")
    found = with_frequency_bounds(truth, open_recording(tmp_path / "usv.wav"), 15_000, RATE / 2, BoxParams(window_ms=1.0))
    low_errors = [abs(f.low_hz - t.low_hz) for f, t in zip(found, truth)]
    high_errors = [abs(f.high_hz - t.high_hz) for f, t in zip(found, truth)]
    assert len(truth) >= 8 and np.median(low_errors) <= 2000 and np.median(high_errors) <= 2000


# -- hark ethogram's boxes ------------------------------------------------------------------

LABELS = ["background", "usv"]
STRIDE = 125


def dense_detector(tmp_path, recording, events, recorded_path=True):
    """A dense model folder (config and thresholds only) and probabilities that are sound exactly over ``events``."""
    model = tmp_path / "detector"
    model.mkdir()
    config = ModelConfig(
        architecture="calls", architecture_params={"low_hz": 15_000.0, "high_hz": 0.0}, kind="frame", samplerate=RATE,
        output_names=LABELS, labels=["usv"], supervision="dense", context=1000, stride=STRIDE,
    )  # fmt: skip
    save_config(model, config)
    (model / "accuracy").mkdir()
    (model / "accuracy" / "thresholds.csv").write_text(
        "label,ratio,threshold,precision,recall\nbackground,1.0,0.5,0.9,0.9\nbackground,2.0,0.7,0.9,0.9\nbackground,0.5,0.3,0.9,0.9\n"
    )
    offset = 500
    frames = (recording.frames - 1000) // STRIDE + 1
    times = offset + np.arange(frames) * STRIDE
    sound = np.zeros(frames)
    for e, level in zip(events, (0.95, 0.6)):
        sound[(times >= e.start) & (times < e.stop)] = level
    meta = ProbabilitiesMeta(
        recording=recording.name, output_names=LABELS, samplerate=RATE, stride=STRIDE, offset=offset, context=1000, frames=frames,
        recording_samples=recording.frames, config_digest=config_digest(config),
        extra={"recording_path": str(recording.path)} if recorded_path else {},
    )  # fmt: skip
    out = tmp_path / "out"
    with probabilities_writer(probabilities_paths(recording.name, out)[0], meta) as write:
        write(0, np.stack([1 - sound, sound], axis=1).astype(np.float32))
    return model, out


def test_dense_events_are_boxes_with_scores_filtered_by_min_score(tmp_path):
    recording, events = recording_with(tmp_path, [(100, sweep(40_000, 60_000, 30)), (250, sweep(70_000, 80_000, 30))])
    model, out = dense_detector(tmp_path, recording, events)
    [path] = write_ethograms(model, None, out, out, ratio=1.0)  # the audio classify read
    found = read_csv(path)
    assert [(e.label, round(e.score, 2)) for e in found] == [("usv", 0.95), ("usv", 0.6)]
    assert all(abs(f.start - e.start) < STRIDE and abs(f.stop - e.stop) < STRIDE for f, e in zip(found, events))
    (low1, high1), (low2, high2) = [(e.low_hz, e.high_hz) for e in found]
    assert 36_000 <= low1 < 44_000 and 56_000 < high1 <= 64_000 and 66_000 <= low2 < 74_000 and 76_000 < high2 <= 84_000

    [path] = write_ethograms(model, None, out, tmp_path / "sure", ratio=1.0, min_score=0.9)
    assert [round(e.score, 2) for e in read_csv(path)] == [0.95]
    [path] = write_ethograms(model, None, out, tmp_path / "cut", ratio=1.0, boxes=BoxSettings(low_hz=45_000, high_hz=75_000))
    assert all(45_000 <= e.low_hz < e.high_hz <= 75_000 for e in read_csv(path))
    [path] = write_ethograms(model, None, out, tmp_path / "plain", ratio=1.0, boxes=BoxSettings(enabled=False))
    assert not any(e.has_frequency for e in read_csv(path))


def test_sensitivity_presets_are_ratios_of_the_thresholds(tmp_path):
    assert SENSITIVITY_RATIOS == {"high-recall": 0.5, "balanced": 1.0, "high-precision": 2.0}
    with pytest.raises(HarkError, match="sensitivity 'medium': expected one of high-recall, balanced, high-precision"):
        sensitivity_ratio("medium")
    recording, events = recording_with(tmp_path, [(100, sweep(40_000, 60_000, 30)), (250, sweep(70_000, 80_000, 30))])
    model, out = dense_detector(tmp_path, recording, events)
    # high precision: the background threshold at ratio 1/2 (0.3), so sound must reach 0.7; the 0.6 event goes
    [path] = write_ethograms(model, None, out, out, ratio=sensitivity_ratio("high-precision"))
    assert path.name == "calls.wav-predicted-2.0pr.csv" and len(read_csv(path)) == 1
    [path] = write_ethograms(model, None, out, out, ratio=sensitivity_ratio("high-recall"))
    assert len(read_csv(path)) == 2


def test_boxes_need_the_audio_and_cut_offs_it_can_hold(tmp_path):
    recording, events = recording_with(tmp_path, [(100, sweep(40_000, 60_000, 30))])
    model, out = dense_detector(tmp_path, recording, events, recorded_path=False)
    [path] = write_ethograms(model, ["calls.wav"], out, out, ratio=1.0)  # by name: no audio, so no bounds
    assert not read_csv(path)[0].has_frequency
    with pytest.raises(HarkError, match="calls.wav: frequency bounds need its audio; give the recording's path"):
        write_ethograms(model, ["calls.wav"], out, out, ratio=1.0, boxes=BoxSettings(enabled=True))
    [path] = write_ethograms(model, [recording.path], out, out, ratio=1.0)
    assert read_csv(path)[0].has_frequency
    with pytest.raises(HarkError, match=r"frequency cut-offs start at 130000 Hz, above the Nyquist frequency 125000 Hz"):
        write_ethograms(model, [recording.path], out, out, ratio=1.0, boxes=BoxSettings(low_hz=130_000))
    with pytest.raises(HarkError, match="minimum score 1.5 must lie between 0 and 1"):
        write_ethograms(model, [recording.path], out, out, ratio=1.0, min_score=1.5)
    (tmp_path / "other").mkdir()
    sf.write(tmp_path / "other" / "calls.wav", np.zeros(1000, np.float32), RATE)  # same name, other audio
    with pytest.raises(HarkError, match="but the probabilities of calls.wav were computed from"):
        write_ethograms(model, [tmp_path / "other" / "calls.wav"], out, out, ratio=1.0)
