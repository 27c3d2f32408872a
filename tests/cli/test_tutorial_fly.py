"""The README's fly tutorial, command for command, on the real recordings of ../shared/data/fly."""

import csv
import shutil

import pytest

from hark.annotations.songexplorer import read_csv
from hark.cli.app import main

LABELS = ["mel-pulse", "mel-sine", "ambient"]


@pytest.mark.shared_data
def test_train_accuracy_freeze_classify_ethogram_misses_congruence(shared_data, tmp_path, capsys):
    gt = shared_data / "fly"
    recordings = sorted(str(p) for p in gt.glob("*.wav"))
    model, out = tmp_path / "model", tmp_path / "predictions"

    assert main(["train", "--data", str(gt), "--labels", ",".join(LABELS), "--kinds", "annotated", "--out", str(model), "--no-progress"]) == 0
    assert main(["accuracy", str(model)]) == 0
    with open(model / "accuracy" / "label-scores.csv") as f:
        scores = {row["label"]: row for row in csv.DictReader(f)}
    for label, least in (("mel-pulse", 0.9), ("mel-sine", 0.8), ("ambient", 0.8)):
        assert float(scores[label]["precision"]) >= least and float(scores[label]["recall"]) >= least, scores[label]
    for figure in ("confusion-matrix", "precision-recall", "roc", "probability-density", "learning-curve"):
        assert (model / "accuracy" / f"{figure}.pdf").is_file() and (model / "accuracy" / f"{figure}.png").is_file()

    assert main(["freeze", str(model)]) == 0
    assert (model / "frozen.onnx").is_file()
    assert main(["classify", "--model", str(model), "--out", str(out), *recordings]) == 0
    assert main(["ethogram", "--model", str(model), "--ratio", "1.0", "--out", str(out), *recordings]) == 0
    predicted = read_csv(out / "PS_20130625111709_ch3.wav-predicted-1.0pr.csv")
    assert {e.label for e in predicted} <= set(LABELS) and all(e.kind.value == "predicted" for e in predicted)
    # most hand-marked pulses lie inside a predicted mel-pulse event
    truth = [e for e in read_csv(gt / "PS_20130625111709_ch3.wav-annotated-person1.csv") if e.label == "mel-pulse"]
    pulses = [e for e in predicted if e.label == "mel-pulse"]
    found = sum(any(p.start <= t.start <= p.stop for p in pulses) for t in truth)
    assert found >= 0.9 * len(truth)

    assert main(["detect", "--out", str(out), *recordings]) == 0
    assert main(["misses", "--out", str(out), *recordings]) == 0
    assert all((out / f"{name}-missed.csv").is_file() for name in (p.split("/")[-1] for p in recordings))

    dense = tmp_path / "dense"
    dense.mkdir()
    shutil.copy(gt / "PS_20130625111709_ch3.wav-annotated-person1.csv", dense)
    capsys.readouterr()
    assert main(["congruence", "--truth", str(dense), "--predictions", str(out)]) == 0
    report = capsys.readouterr().out
    assert "mel-pulse vs person1" in report and (out / "congruence" / "congruence-agreement.csv").is_file()
