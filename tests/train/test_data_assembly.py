"""DAS-style dataset assembly: Gaussian points, a test split, and the inspectable store."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hark.demo import AMBIENT_LABEL, PULSE_LABEL, SINE_LABEL
from hark.train.data import DataParams, TrainingData, Window
from hark.train.data_store import write_dataset_store
from tests.train.helpers import write_recording

LABELS = f"{PULSE_LABEL},{SINE_LABEL},{AMBIENT_LABEL}"


def test_gaussian_points_give_soft_targets_that_decay_as_a_gaussian(tmp_path):
    # 20 ms at 1000 Hz: sigma = 10 samples
    write_recording(tmp_path, "r.wav", [(500, 500, "p"), (800, 900, "q"), (905, 905, "p")], frames=2000, samplerate=1000)
    params = DataParams(labels="p,q", supervision="dense", point_width_ms=20, point_shape="gaussian", validation_percent=0)
    data = TrainingData.from_folder(tmp_path, params)
    soft = data.source.soft_of["r.wav"].astype(np.float32)
    assert soft.shape == (3, 2000) and np.allclose(soft.sum(axis=0), 1, atol=2e-3)
    assert soft[1, 500] == pytest.approx(1, abs=1e-3) and soft[0, 500] == pytest.approx(0, abs=1e-3)
    for d in (-10, 10):
        assert soft[1, 500 + d] == pytest.approx(np.exp(-0.5), abs=1e-3)
        assert soft[0, 500 + d] == pytest.approx(1 - np.exp(-0.5), abs=1e-3)
    assert soft[1, 520] == pytest.approx(np.exp(-2), abs=1e-3) and soft[1, 300] == 0
    assert (soft[2, 800:900] == 1).all() and (soft[1, 800:900] == 0).all()  # ranges stay hard
    assert soft[1, 900] > 0.8  # just past the range, the neighbouring point's bump
    classes = data.source.classes_of["r.wav"]
    assert classes[500] == 1 and classes[511] == 1 and classes[520] == 0  # argmax: the bump above 1/2

    window = Window(context=51, stride=5, frames=8)
    batch = data.training_batch(np.random.default_rng(0), 16, window)
    assert batch.y.dtype == np.float32 and batch.y.shape == (16, 3, 8)
    assert np.allclose(batch.y.sum(axis=1), 1, atol=2e-3)
    box = TrainingData.from_folder(tmp_path, params.model_copy(update={"point_shape": "box"}))
    assert box.training_batch(np.random.default_rng(0), 16, window).y.dtype == np.int64


def test_training_runs_end_to_end_with_gaussian_points(fly_demo, tmp_path):
    from hark.train import TrainParams, train_model

    folder, _ = fly_demo
    data = DataParams(labels=f"{PULSE_LABEL},{SINE_LABEL}", supervision="dense", point_shape="gaussian")
    net = {"n_conv_layers": 2, "feature_maps": 8, "dense_layers": [8], "context_ms": 102.4}
    train = TrainParams(architecture="convnet", steps=6, validation_period=3, batch_size=4, frames=8, architecture_params=net)
    result = train_model(folder, data, train, tmp_path / "model", progress=False)
    assert result.steps == 6
    saved = np.load(tmp_path / "model" / "validation-000006.npz")
    assert saved["targets"].dtype.kind == "i" and saved["probabilities"].shape[1] == 3
    assert (tmp_path / "model" / "dataset" / "summary.json").is_file()


def _examples(data, window):
    seen = set()
    for _ in range(5):
        seen |= {(r.recording, r.position) for r in data.training_batch(np.random.default_rng(_), 64, window).where}
    for batch in data.validation_batches(64, window):
        seen |= {(r.recording, r.position) for r in batch.where}
    return seen


def test_a_test_percent_is_held_out_of_training_and_validation(fly_demo):
    folder, _ = fly_demo
    params = DataParams(labels=LABELS, test_percent=15, validation_split="percent")
    data = TrainingData.from_folder(folder, params)
    manifest = data.split_manifest()
    test = {(e["recording"], e["start"], e["stop"], e["label"]) for e in manifest["test"]}
    training = {(e["recording"], e["start"], e["stop"], e["label"]) for e in manifest["training"]}
    validation = {(e["recording"], e["start"], e["stop"], e["label"]) for e in manifest["validation"]}
    total = len(test) + len(training) + len(validation)
    assert test and not (test & training) and not (test & validation)
    assert len(test) / total == pytest.approx(0.15, abs=0.06)
    assert sum(data.summary()["examples"]["test"].values()) == len(manifest["test"])
    # the validation side is what it was without a test split, less nothing: the ranges are disjoint
    plain = TrainingData.from_folder(folder, DataParams(labels=LABELS, validation_split="percent")).split_manifest()
    assert plain["validation"] == manifest["validation"]
    # stable: the same seed gives the same test set, another seed another one
    assert TrainingData.from_folder(folder, params).split_manifest()["test"] == manifest["test"]
    other = TrainingData.from_folder(folder, params.model_copy(update={"split_seed": 2})).split_manifest()
    assert other["test"] != manifest["test"]
    # no test annotation's time reaches a validation batch
    points = {(r, s) for r, s, stop, _ in test if s == stop}
    window = Window(context=255, stride=16)
    for batch in data.validation_batches(64, window):
        assert not {(r.recording, r.position) for r in batch.where} & points


def test_test_recordings_never_reach_training_or_validation(fly_demo):
    folder, recordings = fly_demo
    held = recordings[1].name
    for supervision in ("sparse", "dense"):
        data = TrainingData.from_folder(folder, DataParams(labels=LABELS, supervision=supervision, test_recordings=held))
        window = Window(context=255, stride=16, frames=4 if supervision == "dense" else 1)
        assert held not in {name for name, _ in _examples(data, window)}
        summary = data.summary()
        assert summary["recordings"]["test"] == [held] and held not in summary["recordings"]["training"]
        assert data.split_manifest()["test_recordings"] == [held]


def test_dense_test_blocks_are_apart_from_training_and_validation(fly_demo):
    folder, _ = fly_demo
    data = TrainingData.from_folder(folder, DataParams(labels=LABELS, supervision="dense", test_percent=20))
    manifest = data.split_manifest()
    assert manifest["method"] == "blocks" and manifest["test"]
    sides = {side: [(r["recording"], r["start"], r["stop"]) for r in manifest[side]] for side in ("training", "validation", "test")}
    for name, lo, hi in sides["test"]:
        for other in ("training", "validation"):
            assert all(n != name or h <= lo or l >= hi for n, l, h in sides[other])
    seconds = data.summary()["seconds"]
    assert sum(seconds["test"].values()) == pytest.approx(sum(seconds["validation"].values()), rel=0.2)
    window = Window(context=255, stride=16, frames=4)
    for name, position in _examples(data, window):
        assert not any(n == name and lo <= position < hi for n, lo, hi in sides["test"])


def test_validation_and_test_percents_must_fit():
    with pytest.raises(ValueError, match="add up to more than 100"):
        DataParams(labels="a", validation_percent=60, test_percent=50)


def test_the_dataset_store_describes_what_went_where(fly_demo, tmp_path):
    folder, recordings = fly_demo
    data = TrainingData.from_folder(folder, DataParams(labels=LABELS, supervision="dense", test_percent=20))
    summary = write_dataset_store(data, tmp_path)
    store = tmp_path / "dataset"
    assert json.loads((store / "summary.json").read_text()) == json.loads(json.dumps(summary))
    assert set(summary["seconds"]) == {"training", "validation", "test"}
    for recording in recordings:
        saved = np.load(store / f"{recording.name}.npz")
        assert saved["classes"].dtype == np.int16 and np.array_equal(saved["classes"], data.source.classes_of[recording.name])
        assert list(saved["output_names"]) == data.output_names
        assert saved["test"].shape[1] == 2 and saved["validation"].shape[1] == 2 and len(saved["training"]) >= 1
    assert not list(store.glob(".*.tmp"))

    sparse = TrainingData.from_folder(folder, DataParams(labels=LABELS, test_percent=10))
    summary = write_dataset_store(sparse, tmp_path / "sparse")
    assert summary["annotations"]["test"] == summary["examples"]["test"]
    assert set(summary["seconds"]) == {"training", "validation", "test"}


def test_gaussian_store_holds_the_soft_targets(tmp_path):
    write_recording(tmp_path / "data", "r.wav", [(500, 500, "p")], frames=2000, samplerate=1000)
    data = TrainingData.from_folder(tmp_path / "data", DataParams(labels="p", supervision="dense", point_shape="gaussian"))
    write_dataset_store(data, tmp_path / "out")
    saved = np.load(tmp_path / "out" / "dataset" / "r.wav.npz")
    assert saved["targets"].dtype == np.float16 and saved["targets"].shape == (2, 2000)
