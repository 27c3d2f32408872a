"""The README's bird-song tutorial, its commands as printed (tests/docs_blocks.py), on the Bengalese
finch songs of ../shared/data/finch: train on 5 songs, segment the other 2, and score on- and
offsets and syllable labels."""

import csv

import pytest

from tests.conftest import REPO_ROOT
from tests.docs_blocks import Tutorial, find_block, page_blocks, shared_workdir

HELD_OUT = ["gy6or6_baseline_230312_0816.179", "gy6or6_baseline_230312_0817.183"]
# appended only to shorten training: the README's figures are of 300 steps (its default is 600)
SPEEDUPS = {"hark train --data GT": ["--steps", "300"]}


def _link_songs(source, folder, names):
    folder.mkdir()
    for name in names:
        for path in source.glob(f"{name}.*"):
            (folder / path.name).symlink_to(path)


@pytest.mark.shared_data
def test_dense_tcn_finds_syllable_boundaries_within_10_ms_and_their_types(shared_data, tmp_path):
    block = find_block(page_blocks(REPO_ROOT / "README.md", REPO_ROOT), "Tutorial: bird song, syllable by syllable")
    finch = shared_data / "finch"
    songs = sorted(p.name[: -len(".cbin")] for p in finch.glob("*.cbin"))
    assert len(songs) == 7
    work = shared_workdir(tmp_path, shared_data)
    # as the prose says: five songs in GT, two in GT_TEST (a folder of their own: nothing of
    # them leaks into training or validation); REC... the songs of GT_TEST
    _link_songs(finch, work / "GT", [s for s in songs if s not in HELD_OUT])
    _link_songs(finch, work / "GT_TEST", HELD_OUT)
    places = {"REC...": [f"GT_TEST/{name}.cbin" for name in HELD_OUT]}
    Tutorial(work, places, SPEEDUPS).run(block)

    scores = _overall_scores(work / "DIR" / "accuracy")
    assert scores["onset_f1"] >= 0.95 and scores["offset_f1"] >= 0.95, scores
    assert scores["label_accuracy"] >= 0.95, scores


def _overall_scores(folder):
    """measure -> value from the overall table that `hark accuracy --truth` writes."""
    for path in folder.glob("*.csv"):
        with open(path) as f:
            rows = list(csv.DictReader(f))
        if rows and {"measure", "value"} <= set(rows[0]):
            return {row["measure"]: float(row["value"]) for row in rows}
    raise AssertionError(f"no overall scores in {folder}")
