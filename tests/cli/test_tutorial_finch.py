"""The README's bird-song tutorial on the Bengalese finch songs of ../shared/data/finch:
train on 5 songs, segment the other 2, and score on- and offsets and syllable labels."""

import csv

import pytest

from hark.cli.app import main

HELD_OUT = ["gy6or6_baseline_230312_0816.179", "gy6or6_baseline_230312_0817.183"]


def _link_songs(source, folder, names):
    folder.mkdir()
    for name in names:
        for path in source.glob(f"{name}.*"):
            (folder / path.name).symlink_to(path)


@pytest.mark.shared_data
def test_dense_tcn_finds_syllable_boundaries_within_10_ms_and_their_types(shared_data, tmp_path, capsys):
    finch = shared_data / "finch"
    songs = sorted(p.name[: -len(".cbin")] for p in finch.glob("*.cbin"))
    assert len(songs) == 7
    train, test = tmp_path / "train", tmp_path / "test"
    _link_songs(finch, train, [s for s in songs if s not in HELD_OUT])
    _link_songs(finch, test, HELD_OUT)
    model, out = tmp_path / "model", tmp_path / "out"
    recordings = [str(test / f"{name}.cbin") for name in HELD_OUT]

    # validation on one of the five training songs' neighbours would leak nothing: the two
    # test songs are in another folder altogether
    assert main(["train", "--data", str(train), "--labels", "a,b,c,d,e,f,g,h,i,j,k", "--supervision", "dense",
                 "--steps", "300", "--out", str(model), "--no-progress"]) == 0  # fmt: skip
    assert main(["accuracy", str(model), "--no-figures"]) == 0
    assert main(["classify", "--model", str(model), "--out", str(out), *recordings]) == 0
    assert main(["ethogram", "--model", str(model), "--ratio", "1.0", "--out", str(out), *recordings]) == 0
    capsys.readouterr()
    assert main(["accuracy", "--truth", str(test), "--predictions", str(out)]) == 0
    scores = _overall_scores(out / "accuracy")
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
