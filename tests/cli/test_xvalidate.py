"""hark xvalidate, generalize and compare end to end: a local Dask cluster gives what this process gives."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from hark.cli.app import main
from hark.demo import generate_fly
from hark.jobs.spec import execute_job
from hark.models.store import list_checkpoints
from hark.train.data import DataParams
from hark.train.params import TrainParams
from hark.validate import fold_jobs, plan_xvalidation
from tests.validate.helpers import write_run

LABELS = "mel-pulse,mel-sine,ambient"
SMALL = ["-a", "n_conv_layers=2", "-a", "feature_maps=8", "-a", "dense_layers=8"]
QUICK = ["--steps", "20", "--validation-period", "10", "--batch-size", "8", "--no-progress", "--no-figures"]


@pytest.fixture(scope="module")
def fly(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fly") / "gt"
    generate_fly(folder, n_recordings=3, duration_s=20.0, seed=6)
    return folder


def test_two_folds_two_replicates_on_a_local_cluster_of_two_workers_equal_the_runs_in_process(fly, tmp_path, capsys):
    data = tmp_path / "gt"
    shutil.copytree(fly, data)
    (data / "hark.toml").write_text("[cluster]\nkind = \"local\"\nworkers = 2\n")  # the data folder's settings
    out = tmp_path / "xval"
    argv = ["xvalidate", "--data", str(data), "--labels", LABELS, "--folds", "2", "--replicates", "2", "--out", str(out), *QUICK, *SMALL]
    assert main(argv) == 0
    summary = json.loads((out / "summary.json").read_text())
    names = [m["name"] for m in summary["models"]]
    assert names == ["1k_1r", "1k_2r", "2k_1r", "2k_2r"]
    workers = {m["worker"] for m in summary["models"]}
    assert len(workers) == 2 and all(w.startswith("tcp://127.0.0.1:") for w in workers)  # the jobs landed on both workers
    for name in names:
        assert any(w in (out / name / "train.log").read_text() for w in workers)  # each log says where it ran
    assert "summed over them" in capsys.readouterr().out

    # the same models, trained here one after another, are the same bit for bit
    here = tmp_path / "here"
    params = {"architecture_params": {"n_conv_layers": 2, "feature_maps": 8, "dense_layers": [8]}, "steps": 20, "validation_period": 10, "batch_size": 8}
    plan = plan_xvalidation(data, DataParams(labels=LABELS), TrainParams(**params), folds=2, replicates=2)
    for job in fold_jobs(plan, here):
        outcome = execute_job(job)
        assert outcome.ok and outcome.worker is None, outcome.error
        assert outcome.result["scores"]["confusion"] == summary["models"][names.index(job.params["out"].rsplit("/", 1)[1])]["confusion"]
    for name in names:
        for step in (10, 20):
            with np.load(out / name / f"validation-{step:06d}.npz") as there, np.load(here / name / f"validation-{step:06d}.npz") as local:
                assert np.array_equal(there["probabilities"], local["probabilities"])
                assert np.array_equal(there["targets"], local["targets"])
        (_, theirs), (_, ours) = list_checkpoints(out / name)[-1], list_checkpoints(here / name)[-1]
        a, b = torch.load(theirs, weights_only=True)["model"], torch.load(ours, weights_only=True)["model"]
        assert all(torch.equal(a[k], b[k]) for k in a)
    # replicates differ (weights seeds 1 and 2), folds validate different annotations
    with np.load(here / "1k_1r" / "validation-000020.npz") as r1, np.load(here / "1k_2r" / "validation-000020.npz") as r2:
        assert not np.array_equal(r1["probabilities"], r2["probabilities"])

    assert main(["compare", str(out), str(tmp_path / "here-run-missing")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_generalize_omit_all_trains_one_model_here_and_compare_reads_it(fly, tmp_path, capsys):
    out = tmp_path / "runs" / "day3"
    argv = ["generalize", "--data", str(fly), "--labels", LABELS, "--omit", "all", "--recordings", "fly-03.wav", "--out", str(out), *QUICK, *SMALL]
    assert main(argv) == 0
    plan = json.loads((out / "cross-validation.json").read_text())
    assert plan["kind"] == "generalize" and plan["omit"] == "all" and plan["models"][0]["withheld"] == ["fly-03.wav"]
    split = json.loads((out / "1w_1r" / "split.json").read_text())
    # nested: fly-03 is held out of training and of the validation the checkpoint and thresholds are tuned on
    assert plan["nested"] and {e["recording"] for e in split["test"]} == {"fly-03.wav"}
    assert "fly-03.wav" not in {e["recording"] for e in split["training"] + split["validation"]}
    assert split["method"] == "blocks" and split["validation"]  # two recordings left: blocks of each
    summary = json.loads((out / "summary.json").read_text())
    assert summary["models"][0]["worker"] is None  # a single job runs in this process
    assert summary["overall"]["examples"] == len(split["test"])
    tuned = json.loads((out / "1w_1r" / "tuned.json").read_text())  # --checkpoint best (the default), chosen on fly-01 and fly-02
    assert summary["models"][0]["step"] == summary["steps"] == tuned["step"] in (10, 20) and tuned["checkpoint"] == "best"
    assert set(tuned["thresholds"]) == set(LABELS.split(","))
    assert (out / "recordings.csv").read_text().splitlines()[1].startswith(f"1w_1r,fly-03.wav,1,{tuned['step']},")
    assert set(summary["spread"]) == {"macro_f1", "f1_at_ratio_0.5", "f1_at_ratio_1", "f1_at_ratio_2"}
    write_run(tmp_path / "runs" / "other", LABELS.split(","), [np.eye(3, dtype=int).tolist()])
    assert main(["compare", str(tmp_path / "runs"), "--no-figures"]) == 0
    rows = (tmp_path / "runs" / "compare" / "compare.csv").read_text().splitlines()
    assert rows[0].startswith("run,") and [r.split(",")[0] for r in rows[1:]] == ["day3", "other"]
    write_run(tmp_path / "runs" / "birds", ["song", "call"], [[[1, 0], [0, 1]]])
    capsys.readouterr()
    assert main(["compare", str(tmp_path / "runs"), "--no-figures"]) == 2
    assert "have different labels" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["xvalidate", "--folds", "1"], "at least 2 folds"),
        (["xvalidate", "--folds", "8", "--batch-size", "4"], "fold 3 of 8 has no validation examples of 'mel-sine'"),
        (["generalize", "--omit", "some", "--partitions", "4"], "only 3 recordings to withhold, fewer than the 4 partitions"),
        (["generalize", "--omit", "every"], "--omit 'every': choose one, some or all"),
        (["xvalidate", "--folds", "2", "--grid", "batch_size"], "--grid 'batch_size': expected NAME=VALUE"),
        (["generalize", "--omit", "all"], "--omit all trains one model that withholds the recordings named by --recordings"),
    ],
)
def test_bad_inputs_are_one_line_errors_before_any_training(fly, tmp_path, capsys, argv, message):
    command, *options = argv
    assert main([command, "--data", str(fly), "--labels", LABELS, "--out", str(tmp_path / "out"), *options]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
