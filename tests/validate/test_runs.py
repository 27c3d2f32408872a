"""Running a plan: each model scored by its own job; a failing model is reported and nothing is summed."""

from __future__ import annotations

import shutil

import pytest

from hark.errors import HarkError
from hark.train.data import DataParams
from hark.train.params import TrainParams
from hark.validate import plan_generalization, run_validation, score_model
from hark.validate.runs import failure_report

LABELS = "mel-pulse,mel-sine,ambient"
TINY = TrainParams(steps=10, batch_size=8, validation_period=10, architecture_params={"n_conv_layers": 2, "feature_maps": 8, "dense_layers": [8]})


def test_a_model_whose_job_fails_is_reported_with_its_log_and_no_summary_is_written(fly_three, tmp_path):
    folder, recordings = fly_three
    data = tmp_path / "gt"
    shutil.copytree(folder, data)
    plan = plan_generalization(data, DataParams(labels=LABELS), TINY, "all", ["fly-03.wav"])
    (data / "fly-01.wav").write_bytes(b"not audio")  # broken between planning and training
    run = run_validation(plan, tmp_path / "gen", draw=False)
    assert run.summary is None and not (tmp_path / "gen" / "summary.json").exists()
    (failed,) = run.failures
    assert "fly-01.wav" in failed.error and str(tmp_path / "gen" / "1w_1r" / "train.log") in failed.error
    assert "failed" in (tmp_path / "gen" / "1w_1r" / "train.log").read_text()
    assert failure_report(run).startswith("1 of 1 models failed (job generalize 1w_1r: ")


def test_a_finished_run_scores_each_model_as_score_model_does_and_a_second_run_resumes(fly_three, tmp_path):
    folder, _ = fly_three
    plan = plan_generalization(folder, DataParams(labels=LABELS), TINY, "all", ["fly-02.wav"], nested=False)
    first = run_validation(plan, tmp_path / "gen", draw=False)
    (model,) = first.summary["models"]
    scores = score_model(tmp_path / "gen" / "1w_1r")
    assert {k: model[k] for k in scores if k != "seconds"} == {k: v for k, v in scores.items() if k != "seconds"}
    assert model["parameters"] > 0 and model["step"] == 10
    again = run_validation(plan, tmp_path / "gen", draw=False)  # the folder holds the model: nothing to train
    assert again.summary["models"][0]["confusion"] == model["confusion"]
    with pytest.raises(HarkError, match="no model failed"):
        failure_report(again)
