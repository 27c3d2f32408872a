"""Clip classification end to end on generated whale-upcall clips (2 s at 2 kHz)."""

import csv
import json

from hark.cli.app import main
from hark.demo import generate_whale


def test_resnet_separates_upcalls_from_noise_on_clips_it_never_saw(tmp_path, capsys):
    clips = tmp_path / "clips"
    generate_whale(clips, n_clips=200, seed=1)
    model = tmp_path / "whale"
    argv = [
        "train", "--data", str(clips), "--labels", "upcall,noise", "--supervision", "clip",
        "--architecture", "resnet", "-a", "high_hz=500", "--augment", "noise:min_db=-20,max_db=-6",
        "--augment", "volume", "--steps", "300", "--validation-period", "100", "--out", str(model), "--no-progress",
    ]  # fmt: skip
    assert main(argv) == 0
    # the split is made by clip before any windowing: no clip is on both sides
    split = json.loads((model / "split.json").read_text())
    training = {entry["recording"] for entry in split["training"]}
    validation = {entry["recording"] for entry in split["validation"]}
    assert training and validation and not training & validation
    assert len(training) + len(validation) == 200
    capsys.readouterr()
    assert main(["accuracy", str(model), "--no-figures"]) == 0
    out = capsys.readouterr().out
    assert "upcall: ROC AUC" in out
    with open(model / "accuracy" / "curve-areas.csv") as f:
        areas = {row["label"]: float(row["roc_auc"]) for row in csv.DictReader(f)}
    assert areas["upcall"] >= 0.95, areas
    reported = float(out.split("upcall: ROC AUC ")[1].split(",")[0])
    assert abs(reported - areas["upcall"]) < 1e-3
