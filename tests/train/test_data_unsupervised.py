"""Unsupervised training data: windows of every recording, no labels, split like dense supervision."""

from __future__ import annotations

import json

import numpy as np

from hark.train.data import DataParams, TrainingData, Window
from hark.train.data_store import write_dataset_store
from tests.train.helpers import write_recording


def _folder(tmp_path, names, frames=4000):
    for i, name in enumerate(names):
        write_recording(tmp_path, name, [], frames=frames, samples=np.full(frames, 0.1 * (i + 1), dtype=np.float32))
    return tmp_path


def test_every_recording_is_read_without_annotations_or_labels(tmp_path):
    folder = _folder(tmp_path, ["a.wav", "b.wav", "c.wav"])
    data = TrainingData.from_folder(folder, DataParams(supervision="unsupervised", validation_recordings=["b.wav"]))
    assert data.output_names == [] and data.samplerate == 1000
    window = Window(context=100, stride=10, frames=11)  # 200 samples
    data.check_batch_size(8, window)
    batch = data.training_batch(np.random.default_rng(0), 64, window)
    assert batch.x.shape == (64, 200) and not batch.y.any()
    levels = {round(float(x), 3) for x in batch.x[:, 0]}
    assert levels == {0.1, 0.3}  # a.wav and c.wav, never the held-out b.wav
    validation = list(data.validation_batches(16, window))
    assert {round(float(x), 3) for b in validation for x in b.x[:, 0]} == {0.2}
    assert sum(len(b) for b in validation) == -(-(4000 - 200) // 110) + 1  # the tiling, with its tail
    summary = data.summary()
    assert summary["recordings"] == {"training": ["a.wav", "c.wav"], "validation": ["b.wav"], "test": []}
    assert summary["examples"]["training"] == {"audio": 2}


def test_one_recording_is_split_into_guarded_blocks_and_the_store_describes_it(tmp_path):
    folder = _folder(tmp_path / "data", ["only.wav"], frames=20000)
    data = TrainingData.from_folder(folder, DataParams(supervision="unsupervised", validation_percent=20, dense_blocks=10))
    manifest = data.split_manifest()
    held = [(r["start"], r["stop"]) for r in manifest["validation"]]
    assert manifest["method"] == "blocks" and sum(hi - lo for lo, hi in held) == 4000
    window = Window(context=300)
    batch = data.training_batch(np.random.default_rng(1), 200, window)
    starts = [ref.position - window.centre_offset for ref in batch.where]
    for start in starts:  # no training window reaches into (or within a window of) validation audio
        assert all(start + 300 <= lo - 300 or start >= hi + 300 for lo, hi in held) or not held
    summary = write_dataset_store(data, tmp_path / "model")
    written = json.loads((tmp_path / "model" / "dataset" / "summary.json").read_text())
    assert written == json.loads(json.dumps(summary)) and written["seconds"]["validation"] == {"audio": 4.0}
