"""`hark train --find-lr` (docs/training.md's block, as printed): the learning-rate range test on
generated whale clips writes its curve, prints the suggestion and trains nothing."""

import csv
import re

from hark.demo import generate_whale
from hark.models.store import list_checkpoints
from tests.conftest import REPO_ROOT
from tests.docs_blocks import Tutorial, find_block, page_blocks, ran_command

FIND_LR = "Finding a learning rate: `--find-lr`"
# appended only to shorten the printed command
SPEEDUPS = {"hark train --data whale/clips.csv": ["--batch-size", "8"]}


def test_find_lr_writes_the_curve_prints_the_suggestion_and_trains_nothing(tmp_path):
    block = find_block(page_blocks(REPO_ROOT / "docs" / "training.md", REPO_ROOT), FIND_LR, 0)
    generate_whale(tmp_path / "whale", n_clips=40, seed=2)
    ran = Tutorial(tmp_path, speedups=SPEEDUPS).run(block)
    printed = ran_command(ran, "hark train").stdout
    found = re.search(r"suggested learning rate ([0-9.e+-]+) \(a tenth of ([0-9.e+-]+),.*steepest descent at ([0-9.e+-]+)", printed)
    assert found, printed
    suggested, minimum, steepest = (float(value) for value in found.groups())
    assert 1e-5 <= suggested <= 1.0 and suggested == float(f"{minimum / 10:.2g}") and steepest <= minimum
    model = tmp_path / "WHALE"
    with open(model / "lr-finder.csv") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["step", "learning_rate", "loss", "smoothed_loss"] and 10 <= len(rows) <= 100
    lowest = min(rows, key=lambda row: float(row["smoothed_loss"]))
    assert float(lowest["learning_rate"]) == float(f"{minimum:.2g}") or abs(float(lowest["learning_rate"]) / minimum - 1) < 0.05
    assert (model / "lr-finder.png").is_file() and (model / "lr-finder.pdf").is_file()
    assert not list_checkpoints(model) and not (model / "config.json").exists()  # nothing trained, no model
