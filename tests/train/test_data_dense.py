"""Dense supervision: a class per output frame, validation tiled once, exclusive classes, equalizing."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from hark.demo import AMBIENT_LABEL, PULSE_LABEL, SINE_LABEL
from hark.errors import HarkError
from hark.train.data import DataParams, TrainingData, Window
from tests.train.helpers import write_recording

LABELS = f"{PULSE_LABEL},{SINE_LABEL},{AMBIENT_LABEL}"
WINDOW = Window(context=255, stride=16, frames=12)


@pytest.fixture(scope="module")
def dense_fly(fly_demo):
    folder, _ = fly_demo
    return TrainingData.from_folder(folder, DataParams(labels=LABELS, supervision="dense", augmentations=[]))  # the audio as recorded


def _truth(events, t, half_width):
    """The class at sample t, computed straight from the demo's events."""
    for e in events:
        if not e.is_point and e.start <= t < e.stop:
            return e.label
    if any(e.is_point and abs(t - e.start) <= half_width for e in events):
        return PULSE_LABEL
    return "background"


def test_dense_targets_are_the_labels_at_frame_centres(fly_demo, dense_fly):
    _, recordings = fly_demo
    events = {r.name: r.events for r in recordings}
    half_width = 12  # 10 ms at 2500 Hz, either side
    assert dense_fly.output_names == ["background", PULSE_LABEL, SINE_LABEL, AMBIENT_LABEL]
    batch = dense_fly.training_batch(np.random.default_rng(0), 64, WINDOW)
    assert batch.x.shape == (64, WINDOW.length) and batch.y.shape == (64, WINDOW.frames) and batch.y.dtype == np.int64
    seen = set()
    for y, ref in zip(batch.y, batch.where):
        start = ref.position - WINDOW.centre_offset
        for frame, target in enumerate(y):
            expected = _truth(events[ref.recording], start + WINDOW.frame_time(frame), half_width)
            assert dense_fly.output_names[target] == expected
            seen.add(expected)
        assert ref.label == dense_fly.output_names[y[WINDOW.centre_frame]]
    assert seen == set(dense_fly.output_names)


def test_dense_windows_hold_the_recordings_audio(fly_demo, dense_fly):
    import soundfile as sf

    _, recordings = fly_demo
    audio = {r.name: sf.read(r.wav, dtype="float32")[0] for r in recordings}
    batch = dense_fly.training_batch(np.random.default_rng(1), 16, WINDOW)
    for x, ref in zip(batch.x, batch.where):
        start = ref.position - WINDOW.centre_offset
        assert np.array_equal(x, audio[ref.recording][start : start + WINDOW.length])


def test_validation_windows_score_every_reachable_frame_once(dense_fly):
    regions = {}
    for region in dense_fly.split_manifest()["validation"]:
        regions.setdefault(region["recording"], []).append((region["start"], region["stop"]))
    counted = {}
    for batch in dense_fly.validation_batches(16, WINDOW):
        assert batch.mask.shape == batch.y.shape
        for mask, ref in zip(batch.mask, batch.where):
            start = ref.position - WINDOW.centre_offset
            times = start + WINDOW.frame_time(0) + np.arange(WINDOW.frames) * WINDOW.stride
            counted.setdefault(ref.recording, []).extend(times[mask > 0])
    assert counted.keys() == regions.keys()
    for name, times in counted.items():
        times = np.sort(times)
        assert len(np.unique(times)) == len(times)
        for lo, hi in regions[name]:
            inside = times[(times >= lo) & (times < hi)]
            assert inside[0] == lo + WINDOW.frame_time(0)
            assert inside[-1] == hi - WINDOW.length + WINDOW.frame_time(WINDOW.frames - 1)
            assert np.diff(inside).max() <= WINDOW.stride


def test_validation_batches_are_deterministic(dense_fly):
    a = [(b.x.tobytes(), b.y.tobytes()) for b in dense_fly.validation_batches(10, WINDOW)]
    b = [(b.x.tobytes(), b.y.tobytes()) for b in dense_fly.validation_batches(10, WINDOW)]
    assert a == b


def test_equalized_dense_sampling_balances_the_classes(fly_demo):
    folder, _ = fly_demo
    window = Window(context=101)
    data = TrainingData.from_folder(folder, DataParams(labels=LABELS, supervision="dense"))
    counts = Counter(data.training_batch(np.random.default_rng(0), 4000, window).y[:, 0])
    assert all(counts[c] / 4000 == pytest.approx(0.25, abs=0.03) for c in range(4))

    plain = TrainingData.from_folder(folder, DataParams(labels=LABELS, supervision="dense", equalize=False))
    counts = Counter(plain.training_batch(np.random.default_rng(0), 4000, window).y[:, 0])
    seconds = plain.summary()["seconds"]["training"]
    assert counts[0] / 4000 == pytest.approx(seconds["background"] / sum(seconds.values()), abs=0.05)


def test_reversed_windows_have_reversed_targets(fly_demo):
    folder, _ = fly_demo
    params = dict(labels=LABELS, supervision="dense", equalize=False)
    plain = TrainingData.from_folder(folder, DataParams(**params, augmentations=[]))
    flipped = TrainingData.from_folder(folder, DataParams(**params, augmentations=[{"name": "reverse", "params": {"probability": 1}}]))
    window = Window(context=255, stride=16, frames=12)
    a = plain.training_batch(np.random.default_rng(4), 32, window)
    b = flipped.training_batch(np.random.default_rng(4), 32, window)
    assert np.array_equal(b.x, a.x[:, ::-1]) and np.array_equal(b.y, a.y[:, ::-1])


def test_point_width_sets_how_much_a_point_labels(tmp_path):
    write_recording(tmp_path, "r.wav", [(500, 500, "p")], frames=2000, samplerate=1000)
    data = TrainingData.from_folder(tmp_path, DataParams(labels="p", supervision="dense", point_width_ms=21, validation_percent=0))
    labels = data.source.classes_of["r.wav"]
    assert np.flatnonzero(labels).tolist() == list(range(490, 511))


def test_overlapping_labels_are_an_error_naming_file_and_times(tmp_path):
    write_recording(tmp_path, "r.wav", [(100, 400, "a"), (600, 700, "a"), (650, 650, "b")], frames=2000)
    with pytest.raises(HarkError, match=r"r.wav-annotated-test.csv: 'b' at 650..650 overlaps 'a' at 600..700 .*exclusive"):
        TrainingData.from_folder(tmp_path, DataParams(labels="a,b", supervision="dense"))
    # Same label overlapping is fine, and so are labels that only touch.
    write_recording(tmp_path, "r.wav", [(100, 400, "a"), (300, 500, "a"), (500, 600, "b")], frames=2000)
    TrainingData.from_folder(tmp_path, DataParams(labels="a,b", supervision="dense"))


def test_a_window_longer_than_every_training_stretch_is_an_error(tmp_path):
    write_recording(tmp_path, "r.wav", [(100, 400, "a")], frames=2000)
    data = TrainingData.from_folder(tmp_path, DataParams(labels="a", supervision="dense"))
    with pytest.raises(HarkError, match=r"no training stretch is as long as a window \(1500 samples"):
        data.check_batch_size(8, Window(context=1500))


def test_an_annotation_past_the_end_is_an_error(tmp_path):
    write_recording(tmp_path, "r.wav", [(100, 400, "a"), (2500, 2600, "a")], frames=2000)
    with pytest.raises(HarkError, match=r"'a' at 2500..2600 lies beyond the end of r.wav \(2000 samples\)"):
        TrainingData.from_folder(tmp_path, DataParams(labels="a", supervision="dense"))


def test_segment_gaps_keep_touching_syllables_apart():
    from pathlib import Path

    from hark.annotations.event import Event
    from hark.train.data_dense import dense_labels
    from hark.train.data_load import Annotation

    def ann(start, stop, label):
        return Annotation(Event("s.wav", start, stop, "annotated", label), Path("s.csv"))

    # a..b touch at 100; b ends 3 samples before c; c and d are far apart
    annotations = [ann(10, 100, "a"), ann(100, 150, "b"), ann(153, 200, "a"), ann(300, 350, "b")]
    plain = dense_labels(annotations, 400, ["a", "b"], 0)
    gapped = dense_labels(annotations, 400, ["a", "b"], 0, gap=5)
    assert (plain[95:100] == 1).all() and (plain[100:105] == 2).all()
    assert (gapped[95:100] == 0).all() and (gapped[100:145] == 2).all() and (gapped[148:153] == 0).all()
    assert (gapped[10:95] == 1).all() and (gapped[300:350] == 2).all()  # far-apart ranges keep their ends
    assert (gapped[153:200] == 1).all()
