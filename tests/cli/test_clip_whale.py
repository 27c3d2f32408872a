"""The README's whole-clips example (in "Tutorial: bird song, syllable by syllable"), its commands
as printed (tests/docs_blocks.py), on generated whale-upcall clips (2 s at 2 kHz)."""

import csv
import json

from hark.demo import generate_whale
from tests.conftest import REPO_ROOT
from tests.docs_blocks import Tutorial, find_block, page_blocks, ran_command

# appended only to shorten the printed commands
SPEEDUPS = {"hark train --data CLIPS": ["--steps", "300", "--validation-period", "100"], "hark accuracy WHALE": ["--no-figures"]}


def test_resnet_separates_upcalls_from_noise_on_clips_it_never_saw(tmp_path):
    block = find_block(page_blocks(REPO_ROOT / "README.md", REPO_ROOT), "Tutorial: bird song, syllable by syllable", 1)
    # CLIPS: "200 generated 2 s upcall/noise clips", as the README's figure was measured on
    generate_whale(tmp_path / "CLIPS", n_clips=200, seed=1)
    ran = Tutorial(tmp_path, speedups=SPEEDUPS).run(block)
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
