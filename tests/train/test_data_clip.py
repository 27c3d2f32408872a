"""Clip supervision: one example per file, carrying its label; clips never shared between splits."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from hark.demo import NOISE_LABEL, UPCALL_LABEL
from hark.errors import HarkError
from hark.train.data import DataParams, TrainingData, Window
from tests.train.helpers import write_recording

LABELS = f"{UPCALL_LABEL},{NOISE_LABEL}"


@pytest.fixture(scope="module")
def clips(whale_demo):
    folder, _ = whale_demo
    return TrainingData.from_folder(folder, DataParams(labels=LABELS, supervision="clip"))


def test_clip_examples_carry_their_clips_label_and_audio(whale_demo, clips):
    _, recordings = whale_demo
    truth = {r.name: r.events[0].label for r in recordings}
    audio = {r.name: sf.read(r.wav, dtype="float32")[0] for r in recordings}
    assert clips.clip_length == 4000
    batches = [clips.training_batch(np.random.default_rng(0), 32, None), *clips.validation_batches(8, None)]
    for batch in batches:
        assert batch.x.shape[1] == 4000 and batch.y.dtype == np.int64 and batch.mask is None
        for x, y, ref in zip(batch.x, batch.y, batch.where):
            assert clips.output_names[y] == truth[ref.recording] == ref.label
            assert np.array_equal(x, audio[ref.recording])
            assert ref.position == 2000


def test_no_clip_is_in_both_training_and_validation(clips):
    summary = clips.summary()
    training, validation = set(summary["recordings"]["training"]), set(summary["recordings"]["validation"])
    assert training and validation and not training & validation
    assert len(training) + len(validation) == 20
    rng = np.random.default_rng(0)
    trained_on = {ref.recording for _ in range(20) for ref in clips.training_batch(rng, 32, None).where}
    validated_on = [ref.recording for b in clips.validation_batches(3, None) for ref in b.where]
    assert trained_on == training
    assert sorted(validated_on) == sorted(validation)  # each validation clip exactly once


def test_clip_split_is_by_clip_and_seeded(whale_demo):
    folder, _ = whale_demo
    splits = [
        TrainingData.from_folder(folder, DataParams(labels=LABELS, supervision="clip", split_seed=seed)).summary()["recordings"]["validation"]
        for seed in (1, 1, 2)
    ]
    assert splits[0] == splits[1] != splits[2]


def test_clips_of_other_lengths_are_padded_or_cropped(tmp_path):
    write_recording(tmp_path, "short.wav", [(0, 1000, "a")], samples=np.full(1000, 0.25, dtype=np.float32))
    write_recording(tmp_path, "long.wav", [(0, 3000, "b")], samples=np.linspace(-0.5, 0.5, 3000, dtype=np.float32))
    params = DataParams(labels="a,b", supervision="clip", validation_percent=100, clip_padding="zeros")
    data = TrainingData.from_folder(tmp_path, params)
    assert data.clip_length == 3000
    batch = next(data.validation_batches(4, Window(context=2000)))
    rows: dict[str, list[np.ndarray]] = {}
    for x, ref in zip(batch.x, batch.where):
        rows.setdefault(ref.recording, []).append(x)
    (short,) = rows["short.wav"]
    assert np.all(short[:1000] == 0.25) and np.all(short[1000:] == 0)
    # validation covers the long clip with windows half a window apart, the last ending at its end
    ramp = np.linspace(-0.5, 0.5, 3000, dtype=np.float32)
    assert len(rows["long.wav"]) == 2
    assert np.allclose(rows["long.wav"][0], ramp[:2000], atol=1e-4) and np.allclose(rows["long.wav"][1], ramp[1000:], atol=1e-4)


def test_a_clip_with_two_labels_needs_one_spanning_the_file(tmp_path):
    write_recording(tmp_path, "c.wav", [(0, 2000, "a"), (100, 200, "b")], frames=2000)
    data = TrainingData.from_folder(tmp_path, DataParams(labels="a,b", supervision="clip", validation_percent=0))
    assert data.summary()["examples"]["training"] == {"a": 1}
    write_recording(tmp_path, "c.wav", [(10, 300, "a"), (100, 200, "b")], frames=2000)
    with pytest.raises(HarkError, match=r"c.wav-annotated-test.csv: clip c.wav is annotated a, b; clip supervision needs one label"):
        TrainingData.from_folder(tmp_path, DataParams(labels="a,b", supervision="clip"))


def test_overlapped_clips_carry_all_their_known_labels(tmp_path):
    write_recording(tmp_path, "one.wav", [(0, 2000, "song"), (0, 2000, "not_call")], frames=2000)
    write_recording(tmp_path, "two.wav", [(0, 2000, "call"), (0, 2000, "not_song")], frames=2000)
    write_recording(tmp_path, "three.wav", [(0, 2000, "call")], frames=2000)
    data = TrainingData.from_folder(
        tmp_path, DataParams(labels="song,call", supervision="clip", overlapped=True, validation_percent=100)
    )
    (batch,) = data.validation_batches(8, None)
    got = {ref.recording: (list(y), list(m), ref.label) for y, m, ref in zip(batch.y, batch.mask, batch.where)}
    assert got == {
        "one.wav": ([1, 0], [1, 1], "not_call|song"),
        "three.wav": ([0, 1], [0, 1], "call"),
        "two.wav": ([0, 1], [1, 1], "call|not_song"),
    }


def test_a_window_of_length_zero_means_the_longest_clip(clips):
    assert clips.training_batch(np.random.default_rng(0), 4, Window(context=0)).x.shape == (4, 4000)
    assert next(clips.validation_batches(4, Window(context=0))).x.shape == (4, 4000)
