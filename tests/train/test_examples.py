"""Sparse supervision: windows centred on annotations, ranges drawn inside, determinism, equalizing, overlapped classes."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from hark.demo import AMBIENT_LABEL, PULSE_LABEL, SINE_LABEL
from hark.errors import HarkError
from hark.train.data import DataParams, TrainingData, Window
from tests.train.helpers import write_recording

LABELS = f"{PULSE_LABEL},{SINE_LABEL},{AMBIENT_LABEL}"
WINDOW = Window(context=101)  # odd: the centre sample is exactly the drawn time


@pytest.fixture(scope="module")
def fly_data(fly_demo):
    folder, _ = fly_demo
    # no augmentation: these tests look at where windows lie (carrier shifts, sparse's default, move peaks by a sample)
    return TrainingData.from_folder(folder, DataParams(labels=LABELS, augmentations=[]))


def _events_by_recording(recordings):
    return {r.name: r.events for r in recordings}


def test_pulse_windows_are_centred_on_the_pulse_peak(fly_data):
    """The demo marks each pulse where its |amplitude| peaks; that sample is the window's centre."""
    centre = WINDOW.centre_offset
    batches = [*fly_data.validation_batches(64, WINDOW), fly_data.training_batch(np.random.default_rng(0), 256, WINDOW)]
    checked = 0
    for batch in batches:
        for x, ref in zip(batch.x, batch.where):
            if ref.label == PULSE_LABEL:
                near = np.abs(x[centre - 10 : centre + 11])
                assert abs(int(np.argmax(near)) - 10) <= 1
                assert abs(x[centre]) > 10 * np.median(np.abs(x))
                checked += 1
    assert checked > 50


def test_sparse_targets_and_positions_match_the_annotations(fly_demo, fly_data):
    _, recordings = fly_demo
    events = _events_by_recording(recordings)
    batch = fly_data.training_batch(np.random.default_rng(1), 512, WINDOW)
    assert batch.x.shape == (512, WINDOW.length) and batch.x.dtype == np.float32
    assert batch.y.dtype == np.int64 and batch.mask is None
    for y, ref in zip(batch.y, batch.where):
        assert fly_data.output_names[y] == ref.label
        matching = [e for e in events[ref.recording] if e.label == ref.label]
        if ref.label == PULSE_LABEL:
            assert any(e.start == ref.position for e in matching)
        else:  # a range: drawn somewhere inside it
            assert any(e.start <= ref.position < e.stop for e in matching)


def test_ranges_are_drawn_anywhere_inside_and_validated_at_their_middle(tmp_path):
    write_recording(tmp_path, "a.wav", [(100, 1100, "hum"), (1500, 1500, "click")], frames=2000)
    data = TrainingData.from_folder(tmp_path, DataParams(labels="hum,click", validation_percent=0, equalize=False))
    positions = [r.position for _ in range(20) for r in data.training_batch(np.random.default_rng(_), 50, WINDOW).where if r.label == "hum"]
    assert min(positions) >= 100 and max(positions) < 1100
    assert max(positions) - min(positions) > 800  # spread over the range, not stuck at one place

    held = TrainingData.from_folder(tmp_path, DataParams(labels="hum,click", validation_percent=100))
    refs = [r for b in held.validation_batches(8, WINDOW) for r in b.where]
    assert sorted((r.label, r.position) for r in refs) == [("click", 1500), ("hum", 600)]


def test_windows_off_the_recording_are_zero_padded(tmp_path):
    ramp = np.linspace(0.1, 0.5, 2000, dtype=np.float32)
    write_recording(tmp_path, "a.wav", [(5, 5, "edge"), (1995, 1995, "edge")], samples=ramp)
    data = TrainingData.from_folder(tmp_path, DataParams(labels="edge", validation_percent=100))
    (batch,) = data.validation_batches(8, WINDOW)
    first, last = batch.x
    assert np.all(first[: 50 - 5] == 0) and np.all(first[50 - 5 :] > 0)
    assert np.all(last[50 + 5 :] == 0) and np.all(last[: 50 + 5] > 0)


def test_same_seed_same_batches_other_seed_other_batches(fly_data):
    window = Window(context=64, stride=8, frames=3)
    a = fly_data.training_batch(np.random.default_rng(7), 32, window)
    b = fly_data.training_batch(np.random.default_rng(7), 32, window)
    c = fly_data.training_batch(np.random.default_rng(8), 32, window)
    assert a.x.tobytes() == b.x.tobytes() and np.array_equal(a.y, b.y) and a.where == b.where
    assert a.where != c.where


def test_validation_batches_are_deterministic_and_cover_the_set_once(fly_data):
    first = [r for b in fly_data.validation_batches(7, WINDOW) for r in b.where]
    second = [r for b in fly_data.validation_batches(32, WINDOW) for r in b.where]
    assert first == second
    assert len(first) == sum(fly_data.summary()["examples"]["validation"].values())


def test_equalized_sampling_draws_every_label_equally_often(fly_demo, fly_data):
    counts = Counter(fly_data.output_names[y] for y in fly_data.training_batch(np.random.default_rng(3), 6000, WINDOW).y)
    for label in LABELS.split(","):
        assert counts[label] / 6000 == pytest.approx(1 / 3, abs=0.03)

    folder, _ = fly_demo
    plain = TrainingData.from_folder(folder, DataParams(labels=LABELS, equalize=False))
    counts = Counter(plain.output_names[y] for y in plain.training_batch(np.random.default_rng(3), 6000, WINDOW).y)
    available = plain.summary()["examples"]["training"]
    total = sum(available.values())
    for label, n in available.items():
        assert counts[label] / 6000 == pytest.approx(n / total, abs=0.03)


def test_overlapped_classes_use_not_annotations_as_negatives_and_mask_the_rest(tmp_path):
    rows = [(100, 100, "a"), (300, 400, "not_a"), (500, 500, "b"), (700, 800, "not_b"), (900, 900, "c")]
    write_recording(tmp_path, "r.wav", rows, frames=2000)
    data = TrainingData.from_folder(tmp_path, DataParams(labels="a,b", overlapped=True, validation_percent=100))
    assert data.output_names == ["a", "b"]
    (batch,) = data.validation_batches(8, WINDOW)
    got = {ref.label: (list(y), list(m)) for y, m, ref in zip(batch.y, batch.mask, batch.where)}
    assert got == {
        "a": ([1, 0], [1, 0]),
        "not_a": ([0, 0], [1, 0]),
        "b": ([0, 1], [0, 1]),
        "not_b": ([0, 0], [0, 1]),
    }
    assert batch.y.dtype == np.float32 and batch.mask.dtype == np.float32

    # Equalized over the four groups, so each sigmoid sees as many negatives as positives.
    train = TrainingData.from_folder(tmp_path, DataParams(labels="a,b", overlapped=True, validation_percent=0))
    counts = Counter(r.label for r in train.training_batch(np.random.default_rng(0), 4000, WINDOW).where)
    assert all(n / 4000 == pytest.approx(0.25, abs=0.03) for n in counts.values()) and len(counts) == 4


def test_exclusive_classes_ignore_not_annotations(tmp_path):
    write_recording(tmp_path, "r.wav", [(100, 100, "a"), (300, 400, "not_a"), (500, 500, "b")], frames=2000)
    data = TrainingData.from_folder(tmp_path, DataParams(labels="a,b", validation_percent=0))
    assert data.summary()["examples"]["training"] == {"a": 1, "b": 1}


def test_an_annotation_past_the_end_of_its_recording_is_an_error(tmp_path):
    write_recording(tmp_path, "r.wav", [(100, 100, "a"), (5000, 5000, "a")], frames=2000)
    with pytest.raises(HarkError, match=r"r.wav-annotated-test.csv: 'a' at 5000..5000 lies beyond the end of r.wav \(2000 samples\)"):
        TrainingData.from_folder(tmp_path, DataParams(labels="a"))
