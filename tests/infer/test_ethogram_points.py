"""Models of fly pulses annotated as points (dense and sparse) give their pulses as points at the probability peaks (DAS's events)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hark.annotations.songexplorer import read_csv
from hark.demo import generate_fly
from hark.infer.classify import classify_recordings
from hark.infer.ethogram import point_labels_of, write_ethograms
from hark.train.data import DataParams
from hark.train.params import TrainParams
from hark.train.run import train_model

SMALL_TCN = {"n_filters": 8, "n_stacks": 1, "n_dilations": 5}


def test_dense_pulses_come_out_as_points_within_2_ms_of_the_known_pulse_times(tmp_path):
    generate_fly(tmp_path / "train", n_recordings=2, duration_s=30.0, seed=21)
    generate_fly(tmp_path / "test", n_recordings=1, duration_s=30.0, seed=99)
    model = tmp_path / "model"
    train_model(
        tmp_path / "train", DataParams(labels=["mel-pulse", "mel-sine"], supervision="dense", point_shape="gaussian"),
        TrainParams(steps=120, validation_period=60, batch_size=8, architecture_params=SMALL_TCN), model, progress=False,
    )  # fmt: skip
    # pulses were annotated as points only, sine as ranges: the choice is kept with the model
    assert point_labels_of(model) == ("mel-pulse",)
    assert json.loads((model / "dataset" / "summary.json").read_text())["point_labels"] == ["mel-pulse"]
    [recording] = sorted((tmp_path / "test").glob("*.wav"))
    classify_recordings(model, [recording], tmp_path / "out", device="cpu")
    [csv] = write_ethograms(model, [recording], tmp_path / "out", tmp_path / "out", ratio=1.0)
    events = read_csv(csv)
    pulses = [e for e in events if e.label == "mel-pulse"]
    assert pulses and all(e.is_point for e in pulses)
    assert any(e.label == "mel-sine" and not e.is_point for e in events)  # ranges stay ranges
    truth = [e.start for path in (tmp_path / "test").glob("*-annotated-*.csv") for e in read_csv(path) if e.label == "mel-pulse"]
    rate = json.loads((model / "config.json").read_text())["samplerate"]
    found = np.array(sorted(e.start for e in pulses))
    error_ms = np.array([np.min(np.abs(found - t)) for t in truth]) / rate * 1000
    assert len(truth) > 50 and np.mean(error_ms <= 2.0) >= 0.95  # the bar: 95 % within 2 ms
    truth_array = np.array(sorted(truth))
    false_ms = np.array([np.min(np.abs(truth_array - f)) for f in found]) / rate * 1000
    assert np.mean(false_ms > 2.0) <= 0.05  # and few points where there is no pulse



SMALL_NET = {"n_conv_layers": 2, "feature_maps": 8, "dense_layers": [8], "context_ms": 102.4}


@pytest.fixture(scope="module")
def sparse_pulses(tmp_path_factory):
    """A small sparse model of generated fly song (pulses annotated as points), and an unseen recording classified by it."""
    root = tmp_path_factory.mktemp("sparse")
    generate_fly(root / "train", n_recordings=2, duration_s=30.0, seed=3)
    generate_fly(root / "test", n_recordings=1, duration_s=30.0, seed=99)
    model = root / "model"
    train_model(
        root / "train", DataParams(labels=["mel-pulse", "mel-sine", "ambient"]),
        TrainParams(steps=300, validation_period=100, batch_size=8, architecture_params=SMALL_NET, learning_rate=0.003), model, progress=False,
    )  # fmt: skip
    [recording] = sorted((root / "test").glob("*.wav"))
    classify_recordings(model, [recording], root / "out", device="cpu")
    return root, model, recording


def test_sparse_pulses_annotated_as_points_come_out_as_points_near_the_known_pulses(sparse_pulses):
    root, model, recording = sparse_pulses
    assert point_labels_of(model) == ("mel-pulse",)  # sparse training keeps the choice too
    [csv] = write_ethograms(model, [recording], root / "out", root / "out", ratio=1.0)
    events = read_csv(csv)
    pulses = [e for e in events if e.label == "mel-pulse"]
    assert pulses and all(e.is_point for e in pulses)
    assert any(e.label == "mel-sine" and not e.is_point for e in events)  # ranges stay ranges
    truth = np.array(sorted(e.start for path in (root / "test").glob("*-annotated-*.csv") for e in read_csv(path) if e.label == "mel-pulse"))
    rate = json.loads((model / "config.json").read_text())["samplerate"]
    found = np.array(sorted(e.start for e in pulses))
    error_ms = np.array([np.min(np.abs(found - t)) for t in truth]) / rate * 1000
    false_ms = np.array([np.min(np.abs(truth - f)) for f in found]) / rate * 1000
    assert len(truth) > 50 and np.mean(error_ms <= 5.0) >= 0.9  # a point per pulse, not one per train
    assert np.mean(false_ms > 5.0) <= 0.1


def test_a_lower_ratio_keeps_one_point_per_pulse(sparse_pulses):
    """--ratio 0.5 joins the events of the stricter ratio 1.0 (never fewer): a pulse both find is one point."""
    root, model, recording = sparse_pulses
    pulses = {}
    for ratio in (1.0, 0.5):
        [csv] = write_ethograms(model, [recording], root / "out", root / "out", ratio=ratio)
        pulses[ratio] = sorted(e.start for e in read_csv(csv) if e.label == "mel-pulse")
    assert len(pulses[1.0]) > 50
    assert len(set(pulses[0.5])) == len(pulses[0.5])  # no pulse twice
    assert len(pulses[1.0]) <= len(pulses[0.5]) <= 1.1 * len(pulses[1.0])
