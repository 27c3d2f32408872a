"""``hark compare`` reads model folders as runs of one model: the rounds of ``hark train --continue`` side by side."""

import json

import pytest

from hark.cli.app import main
from hark.demo import generate_fly
from hark.errors import HarkError
from hark.train import DataParams, TrainParams, train_model
from hark.train.continue_run import ContinueParams, continue_training
from hark.validate.compare import compare_runs
from hark.validate.rounds import read_round

SMALL_NET = {"n_conv_layers": 2, "feature_maps": 8, "dense_layers": [8], "context_ms": 102.4}


def test_rounds_compare_side_by_side_and_new_labels_are_refused(tmp_path):
    fly = tmp_path / "fly"
    generate_fly(fly, n_recordings=2, duration_s=30.0, seed=3)
    params = TrainParams(steps=40, validation_period=20, batch_size=8, architecture_params=SMALL_NET, learning_rate=0.003)
    train_model(fly, DataParams(labels=["mel-pulse", "ambient"]), params, tmp_path / "rounds" / "round0", progress=False)
    continue_training(tmp_path / "rounds" / "round0", fly, tmp_path / "rounds" / "round1", ContinueParams(steps=20), progress=False)
    plan, summary = read_round(tmp_path / "rounds" / "round1")
    assert plan["round"] == 1 and summary["steps"] == 20 and summary["labels"] == ["mel-pulse", "ambient"]
    recorded = json.loads((tmp_path / "rounds" / "round1" / "rounds.json").read_text())["rounds"][-1]["scores"]
    assert summary["overall"]["macro_f1"] == pytest.approx(recorded["macro_f1"], abs=1e-4)  # the same figures as rounds.json
    comparison = compare_runs([tmp_path / "rounds"], tmp_path / "compare", draw=False)
    assert [row["run"] for row in comparison.table] == ["round0", "round1"]
    assert "training.steps" in comparison.parameters and [row["training.steps"] for row in comparison.table] == [40, 20]
    assert (tmp_path / "compare" / "compare.csv").is_file()
    continue_training(tmp_path / "rounds" / "round1", fly, tmp_path / "round2", ContinueParams(steps=2, labels=["mel-sine"]), progress=False)
    with pytest.raises(HarkError, match="different labels"):
        compare_runs([tmp_path / "rounds" / "round1", tmp_path / "round2"], tmp_path / "refused", draw=False)
    assert main(["compare", str(tmp_path / "rounds" / "round0"), str(tmp_path / "rounds" / "round1"), "--out", str(tmp_path / "cli"), "--no-figures"]) == 0
