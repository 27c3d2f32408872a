"""Augmentations that simulate a new recording: known answers on synthetic signals, the background
pool's provenance, dense targets that follow a stretch, and a contract over every registered augmentation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from hark.errors import HarkError
from hark.train.augment import augment_with_times, augmentations, build_augmentations, follow_times, prepare_augmentations
from hark.train.augment_background import TrainingAudio
from hark.train.data import DataParams, TrainingData, Window
from tests.train.helpers import write_recording

RATE = 10_000


def _one(name, **params):
    (augmentation,) = build_augmentations([{"name": name, "params": params}])
    return augmentation


def _sine(hz, length=4000, rate=RATE):
    return np.sin(2 * np.pi * hz * np.arange(length) / rate)


def _peak_hz(row, rate=RATE):
    spectrum = np.abs(np.fft.rfft(row * np.hanning(len(row)), n=8 * len(row)))
    return np.fft.rfftfreq(8 * len(row), 1 / rate)[spectrum.argmax()]


def _burst(length=8000, start=3000, stop=5000, hz=1000):
    envelope = np.zeros(length)
    envelope[start:stop] = 1
    return envelope * _sine(hz, length)


def _extent(row):
    """First and last sample where the envelope reaches half its maximum."""
    envelope = np.abs(signal.hilbert(row))
    above = np.flatnonzero(envelope > 0.5 * envelope.max())
    return above[0], above[-1] + 1


def _pool():
    """One 2 s recording of white noise, nothing annotated."""
    return TrainingAudio(RATE, {"a.wav": np.random.default_rng(0).standard_normal(20_000).astype(np.float32)})


@pytest.mark.parametrize("percent", [10, -10])
def test_pitch_moves_a_sine_by_the_percentage_and_keeps_durations(percent):
    x = np.stack([_sine(1000), _burst(4000, 1500, 2500)]).astype(np.float32)
    out = _one("pitch", min_percent=percent, max_percent=percent)(x, np.random.default_rng(0))
    assert out.shape == x.shape
    assert _peak_hz(out[0]) == pytest.approx(1000 * (1 + percent / 100), abs=3)
    assert np.std(out[0][500:-500]) == pytest.approx(np.std(x[0]), rel=0.02)
    start, stop = _extent(out[1])
    assert abs(start - 1500) <= 64 and abs(stop - 2500) <= 64  # the same place and length, within a hop (fft_size / 4)
    assert _peak_hz(out[1]) == pytest.approx(1000 * (1 + percent / 100), abs=10)


@pytest.mark.parametrize("factor", [0.8, 1.25])
def test_stretch_changes_a_bursts_duration_by_the_factor_about_the_middle(factor):
    x = _burst()[None].astype(np.float32)
    out = _one("stretch", min_factor=factor, max_factor=factor)(x, np.random.default_rng(0))
    start, stop = _extent(out[0])
    assert stop - start == pytest.approx(2000 * factor, rel=0.03)
    assert (start + stop) / 2 == pytest.approx(4000, abs=32)  # the middle stays, within half a hop (fft_size / 8)
    assert _peak_hz(out[0]) == pytest.approx(1000, abs=3)  # the frequency stays


@pytest.mark.parametrize("gain_db", [-20.0, 20.0])
def test_volume_changes_rms_by_the_gain(gain_db):
    x = _sine(300)[None].astype(np.float32)
    out = _one("volume", min_db=gain_db, max_db=gain_db)(x, np.random.default_rng(0))
    change = 20 * np.log10(np.sqrt(np.mean(out.astype(np.float64) ** 2)) / np.sqrt(np.mean(x.astype(np.float64) ** 2)))
    assert change == pytest.approx(gain_db, abs=1e-3)


@pytest.mark.parametrize("slope", [-6.0, 4.0])
def test_tilt_changes_the_power_ratio_of_two_frequencies_by_slope_times_octaves(slope):
    low, high = 500, 2000  # two octaves apart, both above the floor (1/64 of Nyquist: 78 Hz)
    x = (_sine(low) + _sine(high))[None].astype(np.float32)
    out = _one("tilt", min_db_per_octave=slope, max_db_per_octave=slope)(x, np.random.default_rng(0))

    def level_db(row, hz):
        spectrum = np.abs(np.fft.rfft(row[1000:3000]))  # whole periods of both sines: exact bins
        return 20 * np.log10(spectrum[int(hz * 2000 / RATE)])

    before = level_db(x[0], high) - level_db(x[0], low)
    after = level_db(out[0], high) - level_db(out[0], low)
    assert after - before == pytest.approx(2 * slope, abs=0.1)
    # the pivot (a quarter of Nyquist: 1250 Hz) keeps its level
    pivot = _one("tilt", min_db_per_octave=slope, max_db_per_octave=slope)(_sine(1250)[None].astype(np.float32), np.random.default_rng(0))
    assert np.std(pivot[0][500:-500]) == pytest.approx(np.std(_sine(1250)), rel=0.01)


def test_band_attenuates_each_frequency_as_its_drawn_edges_say():
    hz = np.array([2000, 4800, 150] * 4)  # 0.4, 0.96 and 0.03 of Nyquist
    x = np.stack([_sine(f) for f in hz]).astype(np.float32)
    out = _one("band", max_low=0.1, min_high=0.6, order=4)(x, np.random.default_rng(0))
    draws = np.random.default_rng(0)  # the same draws: high-pass edges, low-pass edges
    low, high = draws.uniform(0, 0.1, len(x)), draws.uniform(0.6, 1, len(x))
    f = hz / (RATE / 2)
    expected_db = -10 * np.log10((1 + (f / high) ** 8) * (1 + (low / f) ** 8))
    measured_db = 20 * np.log10(np.std(out[:, 500:-500].astype(np.float64), axis=1) / np.sqrt(0.5))
    assert np.allclose(measured_db, expected_db, atol=0.1)
    assert np.all(measured_db[0::3] > -1) and measured_db[1::3].min() < -10  # the band passes; beyond the edge, cut
    untouched = _one("band", max_low=0, min_high=1)(x, np.random.default_rng(0))  # no edge to draw: unchanged
    assert np.array_equal(untouched, x)


@pytest.mark.parametrize("shift", [25.0, -40.0])
def test_carrier_moves_a_sine_by_the_shift_in_hz(shift):
    rate = 2500
    x = _sine(300, 5000, rate)[None].astype(np.float32)
    carrier = _one("carrier", min_hz=shift, max_hz=shift)
    carrier.prepare(TrainingAudio(rate, {}))
    out = carrier(x, np.random.default_rng(0))
    assert _peak_hz(out[0], rate) == pytest.approx(300 + shift, abs=1)
    assert np.std(out[0][200:-200]) == pytest.approx(np.std(x[0]), rel=0.02)


def test_carrier_needs_the_sample_rate_and_a_shift_below_nyquist():
    with pytest.raises(HarkError, match="carrier needs the sample rate"):
        _one("carrier")(np.zeros((1, 100), np.float32), np.random.default_rng(0))
    with pytest.raises(HarkError, match="reaches the Nyquist frequency 50 Hz"):
        _one("carrier", min_hz=-60, max_hz=0).prepare(TrainingAudio(100, {}))


@pytest.mark.parametrize("snr_db", [0.0, 6.0, 20.0])
def test_background_is_mixed_at_the_drawn_snr(snr_db):
    x = (0.3 * _sine(700, 2000))[None].repeat(4, axis=0).astype(np.float32)
    background = _one("background", min_snr_db=snr_db, max_snr_db=snr_db, margin_ms=0)
    background.prepare(_pool())
    out = background(x, np.random.default_rng(0))
    added = out.astype(np.float64) - x
    measured = 20 * np.log10(np.sqrt(np.mean(x.astype(np.float64) ** 2, axis=1)) / np.sqrt(np.mean(added**2, axis=1)))
    assert np.allclose(measured, snr_db, atol=0.01)
    assert not np.allclose(added[0], added[1])  # different stretches


def test_the_pool_keeps_away_from_annotations_and_held_out_audio():
    audio = {name: np.ones(10_000, np.float32) for name in ("a.wav", "b.wav", "c.wav")}
    training = TrainingAudio(
        RATE, audio, held_out={"b.wav": [(0, 10_000)], "c.wav": [(6000, 8000)]},
        annotated={"a.wav": [(1000, 1001), (4000, 5000)], "c.wav": [(500, 600)]},
    )
    assert training.unannotated(margin=100, min_length=50) == [
        ("a.wav", 0, 900), ("a.wav", 1101, 3900), ("a.wav", 5100, 10_000), ("c.wav", 0, 400), ("c.wav", 700, 5900), ("c.wav", 8100, 10_000),
    ]
    assert training.unannotated(margin=100, min_length=1000) == [("a.wav", 1101, 3900), ("a.wav", 5100, 10_000), ("c.wav", 700, 5900), ("c.wav", 8100, 10_000)]


def _folder(tmp_path):
    """Three 1 s recordings at 1 kHz with sparse annotations; c.wav is the one to hold out."""
    rows = {"a.wav": [(100, 100, "x"), (500, 600, "y"), (900, 900, "z")], "b.wav": [(300, 300, "x"), (700, 750, "y")], "c.wav": [(200, 200, "x"), (400, 450, "y")]}
    rng = np.random.default_rng(0)
    for name, annotations in rows.items():
        write_recording(tmp_path, name, annotations, frames=1000, samples=(0.1 * rng.standard_normal(1000)).astype(np.float32))
    return rows


@pytest.mark.parametrize("supervision", ["sparse", "dense"])
def test_training_data_gives_background_from_training_recordings_and_unannotated_stretches(tmp_path, supervision):
    rows = _folder(tmp_path)
    spec = {"name": "background", "params": {"margin_ms": 20, "min_stretch_ms": 10}}
    data = TrainingData.from_folder(tmp_path, DataParams(labels="x,y", supervision=supervision, validation_recordings="c.wav", augmentations=[spec]))
    (background,) = data._augmentations
    assert {name for name, _, _ in background.stretches} == {"a.wav", "b.wav"}  # never the validation recording
    for name, lo, hi in background.stretches:
        for start, stop, _ in rows[name]:  # no annotation of any label (z too) within 20 ms
            assert hi <= start - 20 or lo >= max(stop, start + 1) + 20
    assert background.stretches == [
        ("a.wav", 0, 80), ("a.wav", 121, 480), ("a.wav", 620, 880), ("a.wav", 921, 1000),
        ("b.wav", 0, 280), ("b.wav", 321, 680), ("b.wav", 770, 1000),
    ]
    batch = data.training_batch(np.random.default_rng(0), 8, Window(context=101))
    assert batch.x.shape == (8, 101)


def test_background_is_refused_where_no_unannotated_training_audio_is_left(tmp_path):
    _folder(tmp_path)
    spec = {"name": "background", "params": {"margin_ms": 400}}
    with pytest.raises(HarkError, match="augmentation background: no training audio of 20 ms or more lies 400 ms"):
        TrainingData.from_folder(tmp_path, DataParams(labels="x,y", validation_recordings="c.wav", augmentations=[spec]))


def test_background_that_may_skip_leaves_batches_as_they_are_and_says_why(tmp_path):
    _folder(tmp_path)
    params = {"labels": "x,y", "validation_recordings": "c.wav", "supervision": "dense"}
    skipping = {"name": "background", "params": {"margin_ms": 400, "if_no_pool": "skip"}}
    data = TrainingData.from_folder(tmp_path, DataParams(**params, augmentations=[skipping]))
    (background,) = data._augmentations
    assert background.stretches == [] and background.note.startswith("augmentation background skipped: no training audio of 20 ms")
    assert data.notes == [background.note] and data.summary()["notes"] == [background.note]
    plain = TrainingData.from_folder(tmp_path, DataParams(**params, augmentations=[]))
    window = Window(context=101)
    np.testing.assert_array_equal(
        data.training_batch(np.random.default_rng(3), 8, window).x, plain.training_batch(np.random.default_rng(3), 8, window).x
    )


def test_dense_targets_follow_a_stretch():
    length, context, stride = 8000, 63, 16
    frames = (length - context) // stride + 1
    x = _burst(length)[None].repeat(6, axis=0).astype(np.float32)
    times = np.arange(frames) * stride + context // 2
    y = ((times >= 3000) & (times < 5000)).astype(np.int64)[None].repeat(6, axis=0)
    chain = build_augmentations([{"name": "stretch", "params": {"min_factor": 0.7, "max_factor": 1.4}}, {"name": "reverse"}])
    out, reversed_rows, moved = augment_with_times(x, chain, np.random.default_rng(3))
    followed = follow_times(y, moved, context, stride)
    followed[reversed_rows] = followed[reversed_rows, ..., ::-1]
    envelope = np.abs(signal.hilbert(out.astype(np.float64), axis=1))[:, times]
    sounding = envelope > 0.5
    assert np.mean(sounding == (followed == 1)) > 0.99
    assert not np.array_equal(followed, y)  # the targets did move
    soft = follow_times(np.stack([1 - y, y], axis=1).astype(np.float32), moved, context, stride)  # (B, C, frames) targets too
    assert np.array_equal(soft[:, 1].astype(np.int64), follow_times(y, moved, context, stride))


def test_dense_training_batches_move_targets_with_stretched_audio(tmp_path):
    samples = np.zeros(4000, np.float32)
    samples[1000:1400] = 0.5 * _sine(100, 400, 1000)
    samples[2500:2700] = 0.5 * _sine(100, 200, 1000)
    for name in ("a.wav", "b.wav", "c.wav"):
        write_recording(tmp_path, name, [(1000, 1400, "x"), (2500, 2700, "x")], frames=4000, samples=samples)
    window = Window(context=63, stride=8, frames=64)
    spec = {"name": "stretch", "params": {"min_factor": 0.6, "max_factor": 0.6, "fft_size": 64}}
    data = TrainingData.from_folder(tmp_path, DataParams(labels="x", supervision="dense", validation_recordings="c.wav", augmentations=[spec]))
    plain = TrainingData.from_folder(tmp_path, DataParams(labels="x", supervision="dense", validation_recordings="c.wav"))
    batch = data.training_batch(np.random.default_rng(0), 16, window)
    before = plain.training_batch(np.random.default_rng(0), 16, window)
    assert batch.where == before.where
    frame_times = window.frame_time(0) + np.arange(window.frames) * window.stride
    envelope = np.abs(signal.hilbert(batch.x.astype(np.float64), axis=1))[:, frame_times]
    assert np.mean((envelope > 0.25) == (batch.y == 1)) > 0.97
    assert not np.array_equal(batch.y, before.y)  # the targets moved with the audio


# -- the contract of every registered augmentation ------------------------------------------


def _prepared(name, **params):
    augmentation = augmentations.get(name)(params)
    audio = {"a.wav": (0.1 * np.random.default_rng(1).standard_normal(30_000)).astype(np.float32)}
    prepare_augmentations([augmentation], TrainingAudio(RATE, audio, annotated={"a.wav": [(1000, 1200)]}))
    return augmentation


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    return (0.1 * rng.standard_normal((12, 700)) + 0.3 * _sine(900, 700)).astype(np.float32)


@pytest.mark.parametrize("name", augmentations.names())
def test_every_augmentation_is_pure_seeded_and_shape_keeping(name, batch):
    augmentation = _prepared(name)
    before = batch.copy()
    a = augmentation(batch, np.random.default_rng(5))
    b = augmentation(batch, np.random.default_rng(5))
    c = augmentation(batch, np.random.default_rng(6))
    assert np.array_equal(batch, before)  # x is never changed
    assert a.shape == batch.shape and a.dtype == np.float32 and np.all(np.isfinite(a))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    timed, moved = augmentation.apply_timed(batch, np.random.default_rng(5))
    assert np.array_equal(timed, a) and (moved is None or moved.shape == batch.shape)


@pytest.mark.parametrize("name", [name for name, cls in augmentations.items() if "probability" in cls.Params.model_fields])
def test_every_augmentation_draws_the_same_randomness_whatever_it_decides(name, batch):
    never, always = _prepared(name, probability=0), _prepared(name, probability=1)
    rngs = [np.random.default_rng(9) for _ in range(2)]
    unchanged = never(batch, rngs[0])
    changed = always(batch, rngs[1])
    assert np.array_equal(unchanged, batch) and not np.array_equal(changed, batch)
    assert rngs[0].random() == rngs[1].random()


def test_background_never_comes_from_validation_blocks(tmp_path):
    rng = np.random.default_rng(0)
    for name in ("a.wav", "b.wav"):  # two recordings: validation holds out blocks of each
        rows = [(t, t, "x") for t in range(500, 20_000, 1000)] + [(t, t + 50, "y") for t in range(900, 20_000, 1000)]
        write_recording(tmp_path, name, rows, frames=20_000, samples=(0.1 * rng.standard_normal(20_000)).astype(np.float32))
    spec = {"name": "background", "params": {"margin_ms": 10}}
    data = TrainingData.from_folder(tmp_path, DataParams(labels="x,y", validation_split="blocks", augmentations=[spec]))
    blocks = data.split_manifest()["validation_blocks"]
    (background,) = data._augmentations
    assert {name for name, _, _ in background.stretches} == {"a.wav", "b.wav"} and blocks
    for name, lo, hi in background.stretches:
        assert all(hi <= start - 10 or lo >= stop + 10 for start, stop in blocks[name])
        assert all(hi <= t - 10 or lo >= t + 11 for t in range(500, 20_000, 1000))  # the points, 10 ms away
        assert all(hi <= t - 10 or lo >= t + 60 for t in range(900, 20_000, 1000))  # the ranges


def test_background_never_comes_from_validation_clips(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(8):  # each clip's sound is marked in its middle only: the rest is unannotated
        write_recording(tmp_path, f"clip{i}.wav", [(400, 600, "ab"[i % 2])], frames=1000, samples=(0.1 * rng.standard_normal(1000)).astype(np.float32))
    spec = {"name": "background", "params": {"margin_ms": 10}}
    data = TrainingData.from_folder(tmp_path, DataParams(labels="a,b", supervision="clip", validation_percent=30, augmentations=[spec]))
    recordings = data.summary()["recordings"]
    (background,) = data._augmentations
    assert recordings["validation"] and {name for name, _, _ in background.stretches} == set(recordings["training"])
    assert all(hi <= 390 or lo >= 610 for _, lo, hi in background.stretches)


def test_events_supervision_prepares_carrier_but_refuses_background(tmp_path):
    rows = [(100, 150, "usv"), (300, 320, "noise"), (500, 560, "usv"), (700, 705, "noise")]
    write_recording(tmp_path, "a.wav", rows, frames=3000, samples=(0.1 * np.random.default_rng(0).standard_normal(3000)).astype(np.float32))
    params = {"labels": "usv,noise", "supervision": "events", "validation_percent": 0}
    data = TrainingData.from_folder(tmp_path, DataParams(**params, augmentations=["carrier"]))
    assert data._augmentations[0].samplerate == 1000
    with pytest.raises(HarkError, match=r"^augmentation background: the training data holds no whole recordings in memory \(events"):
        TrainingData.from_folder(tmp_path, DataParams(**params, augmentations=["background"]))
