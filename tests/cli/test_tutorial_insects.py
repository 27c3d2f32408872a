"""The README's InsectSet32 tutorial, its commands as printed (tests/docs_blocks.py), on three
species of ../shared/data/insects (a part of its clips.csv beside a link to the data set) and
4 training steps: the table's labels and split, accuracy with macro F1, the confusion matrix and
top losses, and predictions.csv for the validation files."""

import csv
import json

import pytest

from hark.annotations.clip_table import read_clip_table
from hark.models.store import load_config
from tests.conftest import REPO_ROOT
from tests.docs_blocks import Tutorial, find_block, page_blocks, ran_command, shared_workdir

INSECTS = "Tutorial: insect species from InsectSet32"
SPECIES = ("Azanicadazuluensis", "Myopsaltalongicauda", "Platypleurahirtipennis")
# appended only to shorten the printed commands
SPEEDUPS = {"hark train --data TABLE": ["--steps", "4", "--validation-period", "4", "--batch-size", "4", "--no-progress"]}


@pytest.mark.shared_data
def test_the_insect_tutorial_runs_as_printed_on_three_species(shared_data, tmp_path):
    insects = shared_data / "insects"
    if not (insects / "clips.csv").is_file():
        pytest.skip(f"InsectSet32 not found at {insects}")
    block = find_block(page_blocks(REPO_ROOT / "README.md", REPO_ROOT), INSECTS, 0)
    work = shared_workdir(tmp_path, shared_data)
    # TABLE: the rows of three species of ../shared/data/insects/clips.csv, its paths made relative to work/
    with open(insects / "clips.csv") as f:
        rows = [row for row in csv.DictReader(f) if row["label"] in SPECIES]
    with open(work / "three.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**row, "file": f"../shared/data/insects/{row['file']}"} for row in rows)  # URL-encoded, as shipped
    # REC...: the validation files, through links of plain names (theirs hold spaces and '#')
    table = read_clip_table(work / "three.csv")
    held_out = sorted(table.validation())
    (work / "validation").mkdir()
    links = []
    for i, path in enumerate(held_out):
        link = work / "validation" / f"file{i}{path[path.rindex('.'):]}"
        link.symlink_to((work / "three.csv").parent.joinpath(path).resolve())
        links.append(f"validation/{link.name}")
    ran = Tutorial(work, {"TABLE": "three.csv", "REC...": links}, SPEEDUPS).run(block)

    assert "split column: 7 training, 3 validation" in ran_command(ran, "hark info TABLE").stdout
    model = work / "MODEL"
    assert load_config(model).labels == sorted(SPECIES)  # no --labels: every label of the table
    split = json.loads((model / "split.json").read_text())
    assert sorted(entry["recording"] for entry in split["validation"]) == held_out  # the table's own split
    assert not {entry["recording"] for entry in split["training"]} & set(held_out)

    printed = ran_command(ran, "hark accuracy MODEL").stdout
    assert "overall (macro)" in printed and "accuracy " in printed
    for name in ("confusion-matrix", "top-losses"):
        assert (model / "accuracy" / f"{name}.png").is_file(), name
    with open(model / "accuracy" / "top-losses.csv") as f:
        assert len(list(csv.DictReader(f))) == 3  # one row per validation file, not per window

    with open(work / "DIR" / "predictions.csv") as f:
        predictions = list(csv.DictReader(f))
    assert list(predictions[0]) == ["file", *sorted(SPECIES), "label"] and len(predictions) == 3
    for row in predictions:
        assert abs(sum(float(row[s]) for s in SPECIES) - 1) < 1e-3 and row["label"] in SPECIES
