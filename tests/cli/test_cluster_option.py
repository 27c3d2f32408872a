"""Single-model commands as jobs: --cluster (or the data folder's hark.toml) runs them there,
with a log beside the outputs, and the outputs are those of a run right here."""

import json

import torch

from hark.cli.app import main
from hark.demo import generate_fly
from hark.models.store import list_checkpoints

SMALL = ["-a", "n_conv_layers=2", "-a", "feature_maps=8", "-a", "dense_layers=8"]
QUICK = ["--steps", "20", "--validation-period", "10", "--batch-size", "8", "--no-progress", *SMALL]
LABELS = "mel-pulse,mel-sine,ambient"


def _last_weights(folder):
    return torch.load(list_checkpoints(folder)[-1][1], weights_only=True)["model"]


def test_replicates_train_as_jobs_on_a_local_cluster_and_the_next_steps_follow_the_data_folders_settings(tmp_path, capsys):
    data = tmp_path / "gt"
    generate_fly(data, n_recordings=2, duration_s=20.0, seed=3)
    here = tmp_path / "here"
    assert main(["train", "--data", str(data), "--labels", LABELS, "--replicates", "2", "--out", str(here), *QUICK]) == 0
    assert not (here / "1r" / "train.log").exists()  # no setting: trained right here, as always

    there = tmp_path / "there"
    assert main(["train", "--data", str(data), "--labels", LABELS, "--replicates", "2", "--cluster", "local", "--out", str(there), *QUICK]) == 0
    out = capsys.readouterr().out
    assert out.count(" done on tcp://127.0.0.1:") == 2  # both replicates ran on the cluster's workers
    for name in ("1r", "2r"):
        log = (there / name / "train.log").read_text()
        assert "tcp://127.0.0.1:" in log
        a, b = _last_weights(here / name), _last_weights(there / name)
        assert all(torch.equal(a[k], b[k]) for k in a)

    model = there / "1r"
    (tmp_path / "hark.toml").write_text('[cluster]\nkind = "local"\n')  # the model folder's settings (tmp_path is above it)
    assert main(["accuracy", str(model), "--no-figures"]) == 0
    assert (model / "accuracy.log").is_file() and (model / "accuracy" / "thresholds.csv").is_file()
    assert "best step" in capsys.readouterr().out
    assert main(["freeze", str(model)]) == 0
    assert (model / "freeze.log").is_file() and (model / "frozen.onnx").is_file()
    act = tmp_path / "act"
    assert main(["activations", "--model", str(model), "--data", str(data), "--out", str(act), "--max-sounds", "30", "--no-progress"]) == 0
    assert (act / "activations.log").is_file() and json.loads((act / "activations.json").read_text())["sounds"] == 30
    assert main(["cluster", str(act), "--method", "pca", "--no-figure"]) == 0
    assert (act / "cluster.log").is_file() and list(act.glob("cluster-*.csv"))


def test_an_unanswering_scheduler_is_one_line_for_a_single_job_too(tmp_path, capsys):
    assert main(["freeze", str(tmp_path), "--cluster", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hark: error: scheduler tcp://127.0.0.1:9 does not answer") and "\n" not in err
