"""The README's whale tutorial ("Tutorial: whale up-calls from a clip table"), its commands as
printed (tests/docs_blocks.py): 200 generated 2 s clips at 2 kHz and their clips.csv, trained
with the two commands the issue asks for, scored with ROC AUC, classified into predictions.csv."""

import csv
import json

from tests.conftest import REPO_ROOT
from tests.docs_blocks import Tutorial, find_block, page_blocks, ran_command

WHALE = "Tutorial: whale up-calls from a clip table"
# appended only to shorten the printed commands (the README says the figures are of 300 steps)
SPEEDUPS = {"hark train --data whale/clips.csv": ["--steps", "300", "--validation-period", "100"], "hark accuracy WHALE": ["--no-figures"]}


def test_the_whale_tutorial_separates_upcalls_from_noise_on_clips_it_never_saw(tmp_path):
    block = find_block(page_blocks(REPO_ROOT / "README.md", REPO_ROOT), WHALE, 0)
    ran = Tutorial(tmp_path, speedups=SPEEDUPS).run(block)
    with open(tmp_path / "whale" / "clips.csv") as f:
        table = {row["file"]: row["label"] for row in csv.DictReader(f)}
    assert len(table) == 200 and sorted(set(table.values())) == ["noise", "upcall"]
    model = tmp_path / "WHALE"
    # the split is made by clip before any windowing: no clip is on both sides
    split = json.loads((model / "split.json").read_text())
    training = {entry["recording"] for entry in split["training"]}
    validation = {entry["recording"] for entry in split["validation"]}
    assert training and validation and not training & validation
    assert len(training) + len(validation) == 200
    out = ran_command(ran, "hark accuracy WHALE").stdout
    assert "upcall: ROC AUC" in out
    with open(model / "accuracy" / "curve-areas.csv") as f:
        areas = {row["label"]: float(row["roc_auc"]) for row in csv.DictReader(f)}
    assert areas["upcall"] >= 0.95, areas
    reported = float(out.split("upcall: ROC AUC ")[1].split(",")[0])
    assert abs(reported - areas["upcall"]) < 1e-3
    with open(model / "accuracy" / "top-losses.csv") as f:
        losses = list(csv.DictReader(f))
    assert len(losses) == len(validation) and float(losses[0]["loss"]) >= float(losses[-1]["loss"])

    # predictions.csv: file, one column per label (its probability), label (the most likely)
    with open(tmp_path / "DIR" / "predictions.csv") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["file", "noise", "upcall", "label"] and len(rows) == 200
    for row in rows:
        assert row["label"] == max(("noise", "upcall"), key=lambda label: float(row[label]))
    held_out = [row for row in rows if row["file"].split("/")[-1] in validation]
    right = sum(row["label"] == table[row["file"].split("/")[-1]] for row in held_out)
    assert len(held_out) == len(validation) and right / len(held_out) >= 0.9
