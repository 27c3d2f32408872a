"""The learning-rate range test (hark.train.lr_finder): on generated whale clips its suggestion
lies in the range of rates that train, the curve is written, and frame models sweep too."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from hark.demo import generate_fly, generate_whale
from hark.errors import HarkError
from hark.models.store import list_checkpoints
from hark.params import validate_params
from hark.train import DataParams, TrainParams, train_model
from hark.train.lr_finder import LrFinderParams, find_learning_rate

SMALL_RESNET = {"preset": "custom", "channels": [4, 8], "window_ms": 64, "stride_ms": 32}
CLIPS = DataParams(labels=["upcall", "noise"], supervision="clip")


def _params(**extra):
    return TrainParams(architecture="resnet", architecture_params=SMALL_RESNET, batch_size=16, threads=1, **extra)


def _final_training_loss(folder):
    with open(folder / "log.csv") as f:
        return float(list(csv.DictReader(f))[-1]["loss"])  # the mean training loss of the steps


@pytest.fixture(scope="module")
def whale(tmp_path_factory):
    root = tmp_path_factory.mktemp("lr-finder")
    generate_whale(root / "whale", n_clips=40, seed=2)
    return root / "whale"


def test_the_suggestion_trains_and_a_rate_past_the_minimum_does_not(whale, tmp_path):
    found = find_learning_rate(whale, CLIPS, _params(), tmp_path / "model")
    assert 1e-4 <= found.suggested <= 1.0, found.summary()
    assert found.suggested < found.minimum and found.steepest < found.minimum * 1.0001
    # the curve, as written: one row a step, rates rising, and the figure
    with open(tmp_path / "model" / "lr-finder.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(found.losses) >= 50
    rates = [float(row["learning_rate"]) for row in rows]
    assert rates[0] == pytest.approx(1e-7) and all(b > a for a, b in zip(rates, rates[1:]))
    assert {p.suffix for p in found.figures} == {".png", ".pdf"} and all(p.stat().st_size > 1000 for p in found.figures)
    assert not list_checkpoints(tmp_path / "model")  # nothing trained is kept
    # what "trains" means here: over 60 steps the mean training loss falls well under chance (ln 2 = 0.69)
    train_model(whale, CLIPS, _params(steps=60, validation_period=60, learning_rate=found.suggested), tmp_path / "at", progress=False)
    train_model(whale, CLIPS, _params(steps=60, validation_period=60, learning_rate=found.minimum * 3), tmp_path / "past", progress=False)
    assert _final_training_loss(tmp_path / "at") < 0.5
    assert _final_training_loss(tmp_path / "past") > 0.6


def test_a_frame_model_sweeps_too_and_a_falling_sweep_is_refused(tmp_path):
    generate_fly(tmp_path / "fly", n_recordings=1, duration_s=20.0, seed=4)
    data = DataParams(labels=["mel-pulse", "mel-sine", "ambient"])
    params = TrainParams(architecture="convnet", architecture_params={"n_conv_layers": 2, "feature_maps": 4, "dense_layers": [4]}, batch_size=8, threads=1)
    found = find_learning_rate(tmp_path / "fly", data, params, tmp_path / "fly-model", LrFinderParams(steps=20, start_lr=1e-5, end_lr=1.0))
    assert 4 <= len(found.losses) <= 20 and np.all(np.isfinite(found.smoothed))
    assert 1e-5 <= found.suggested <= 1.0 and (tmp_path / "fly-model" / "lr-finder.csv").is_file()
    with pytest.raises(HarkError, match="end_lr \\(1e-08\\) must be above start_lr") as caught:
        validate_params(LrFinderParams, {"start_lr": 1e-7, "end_lr": 1e-8}, "the sweep")
    assert "\n" not in str(caught.value)
