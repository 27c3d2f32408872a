"""The README's fly tutorial, its commands as printed (tests/docs_blocks.py), on the real recordings of ../shared/data/fly."""

import csv
import shutil

import pytest
import soundfile as sf

from hark.annotations.songexplorer import read_csv
from tests.conftest import REPO_ROOT
from tests.docs_blocks import Tutorial, find_block, page_blocks, ran_command, shared_workdir

LABELS = ["mel-pulse", "mel-sine", "ambient"]
FLY = "../shared/data/fly"
RECORDINGS = ["20161207T102314_ch1.wav", "Antigua_20110313095210_ch26.wav", "PS_20130625111709_ch3.wav"]


@pytest.mark.shared_data
def test_train_accuracy_freeze_classify_ethogram_misses_congruence(shared_data, tmp_path):
    block = find_block(page_blocks(REPO_ROOT / "README.md", REPO_ROOT), "Tutorial: a model of fly song")
    work = shared_workdir(tmp_path, shared_data)
    gt = shared_data / "fly"
    # DIR_WITH_DENSE_CSVS: step 7's "dense human annotations", person1's of one recording
    (work / "dense").mkdir()
    shutil.copy(gt / "PS_20130625111709_ch3.wav-annotated-person1.csv", work / "dense")
    # as the README defines them: GT=../shared/data/fly, REC... its three recordings, DIR any folder
    places = {"GT": FLY, "REC...": [f"{FLY}/{name}" for name in RECORDINGS], "DIR": "predictions", "DIR_WITH_DENSE_CSVS": "dense"}
    ran = Tutorial(work, places).run(block)
    model, out = work / "MODEL", work / "predictions"

    with open(model / "accuracy" / "label-scores.csv") as f:
        scores = {row["label"]: row for row in csv.DictReader(f)}
    for label, least in (("mel-pulse", 0.9), ("mel-sine", 0.8), ("ambient", 0.8)):
        assert float(scores[label]["precision"]) >= least and float(scores[label]["recall"]) >= least, scores[label]
    for figure in ("confusion-matrix", "precision-recall", "roc", "probability-density", "learning-curve"):
        assert (model / "accuracy" / f"{figure}.pdf").is_file() and (model / "accuracy" / f"{figure}.png").is_file()

    assert (model / "frozen.onnx").is_file()
    predicted = read_csv(out / "PS_20130625111709_ch3.wav-predicted-1.0pr.csv")
    assert {e.label for e in predicted} <= set(LABELS) and all(e.kind.value == "predicted" for e in predicted)
    # pulses, annotated as points, are predicted as points (hark.evaluate.points); most hand-marked
    # pulses have one within 10 ms
    truth = [e for e in read_csv(gt / "PS_20130625111709_ch3.wav-annotated-person1.csv") if e.label == "mel-pulse"]
    pulses = [e for e in predicted if e.label == "mel-pulse"]
    assert pulses and all(p.is_point for p in pulses)
    tolerance = sf.info(gt / "PS_20130625111709_ch3.wav").samplerate // 100
    found = sum(any(abs(p.start - t.start) <= tolerance for p in pulses) for t in truth)
    assert found >= 0.9 * len(truth)

    assert all((out / f"{name}-missed.csv").is_file() for name in RECORDINGS)
    report = ran_command(ran, "hark congruence").stdout
    assert "mel-pulse vs person1" in report and (out / "congruence" / "congruence-agreement.csv").is_file()
