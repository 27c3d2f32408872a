"""Scoring prediction CSVs against a tiny hand-made ground-truth folder."""

import csv

import numpy as np
import pytest
import soundfile as sf

from hark.annotations.event import Event, Kind
from hark.annotations.songexplorer import write_csv
from hark.errors import HarkError
from hark.evaluate.segment_metrics import ScoringParams
from hark.evaluate.truth_accuracy import truth_accuracy

RATE = 8000  # 10 ms = 80 samples


def make_folders(root):
    """``truth/``: session/a.wav (annotated a b a) and b.wav (annotated a a); ``predictions/``: hark's guesses.

    a.wav: the first syllable exact, the second's onset 80 samples (10 ms) late and labelled a,
    the third's offset 81 samples early; b.wav: one syllable found, 40 samples early, one missed.
    """
    truth, predictions = root / "truth", root / "predictions"
    (truth / "session").mkdir(parents=True)
    predictions.mkdir()
    for wav in (truth / "session" / "a.wav", truth / "b.wav"):
        sf.write(wav, np.zeros(RATE, np.float32), RATE)

    def write(path, recording, kind, spans):
        write_csv(path, [Event(recording, start, stop, kind, label) for start, stop, label in spans])

    write(truth / "session" / "a.wav-annotated-ann.csv", "a.wav", Kind.ANNOTATED, [(800, 1600, "a"), (2400, 3200, "b"), (4000, 4800, "a")])
    write(truth / "b-annotated-ann.csv", "b.wav", Kind.ANNOTATED, [(800, 1600, "a"), (4000, 4800, "a")])
    write(predictions / "a.wav-predicted-1.0pr.csv", "a.wav", Kind.PREDICTED, [(800, 1600, "a"), (2480, 3200, "a"), (4000, 4719, "a")])
    write(predictions / "b-predicted-1.0pr.csv", "b.wav", Kind.PREDICTED, [(760, 1560, "a")])
    return truth, predictions


def read_table(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_scores_and_tables(tmp_path):
    truth, predictions = make_folders(tmp_path)
    result = truth_accuracy(truth, predictions, draw=False)
    total = result.total
    assert result.ratio == "1.0" and result.out == predictions / "accuracy"
    assert sorted(result.recordings) == ["b.wav", "session/a.wav"]
    # onsets: a.wav 3 of 3 (one exactly 10 ms late), b.wav 1 of 2 (5 ms early)
    assert (total.onsets.true_positives, total.onsets.false_positives, total.onsets.false_negatives) == (4, 0, 1)
    assert sorted(total.onsets.errors_ms) == [-5.0, 0.0, 0.0, 10.0]
    # offsets: a.wav 2 of 3 (81 samples is beyond 10 ms), b.wav 1 of 2
    assert (total.offsets.true_positives, total.offsets.false_positives, total.offsets.false_negatives) == (3, 1, 2)
    assert total.offsets.f1 == pytest.approx(6 / 9)
    assert (total.overlapping_pairs, total.label_accuracy) == (4, 0.75)
    assert (total.edit_distance, total.reference_syllables, total.syllable_error_rate) == (2, 5, 0.4)
    scores = dict(read_table(result.out / "syllable-scores.csv")[1:])
    assert float(scores["onset_f1"]) == pytest.approx(8 / 9) and float(scores["label_accuracy"]) == 0.75
    recordings = read_table(result.out / "recording-scores.csv")
    assert [row[0] for row in recordings[1:]] == ["b.wav", "session/a.wav"]
    assert read_table(result.out / "label-pairs.csv")[1:] == [["a", "a", "3"], ["b", "a", "1"]]
    dcase = read_table(result.out / "dcase-scores.csv")
    assert [row[:2] for row in dcase[1:]] == [["event", "(overall)"], ["event", "a"], ["event", "b"], ["segment", "(overall)"], ["segment", "a"], ["segment", "b"]]
    assert not list(result.out.glob("*.png"))


def test_figure_labels_and_out(tmp_path):
    truth, predictions = make_folders(tmp_path)
    result = truth_accuracy(truth, predictions, out=tmp_path / "scores", labels=["b"], params=ScoringParams(tolerance_ms=20))
    assert {p.name for p in result.written} >= {"boundary-errors.pdf", "boundary-errors.png", "syllable-scores.csv"}
    assert (result.total.reference_syllables, result.total.predicted_syllables) == (1, 0)


def test_ratios(tmp_path):
    truth, predictions = make_folders(tmp_path)
    for path in list(predictions.glob("*-1.0pr.csv")):
        path.with_name(path.name.replace("1.0pr", "2.0pr")).write_text(path.read_text())
    with pytest.raises(HarkError, match=r"holds predictions at ratios 1.0, 2.0; choose one with ratio"):
        truth_accuracy(truth, predictions, draw=False)
    assert truth_accuracy(truth, predictions, ratio=2, draw=False).ratio == "2.0"
    with pytest.raises(HarkError, match=r"no predictions at ratio 3 \(there are 1.0, 2.0\)"):
        truth_accuracy(truth, predictions, ratio=3, draw=False)


def test_missing_and_stray_predictions_are_errors(tmp_path):
    truth, predictions = make_folders(tmp_path)
    (predictions / "b-predicted-1.0pr.csv").rename(tmp_path / "aside.csv")
    with pytest.raises(HarkError, match=r"no predictions for b.wav \(b.wav-predicted-1.0pr.csv\); run hark ethogram"):
        truth_accuracy(truth, predictions, draw=False)
    (tmp_path / "aside.csv").rename(predictions / "c.wav-predicted-1.0pr.csv")
    with pytest.raises(HarkError, match="c.wav-predicted-1.0pr.csv: predictions for c.wav, which names no annotated recording in"):
        truth_accuracy(truth, predictions, draw=False)


def test_truth_without_annotations_or_with_two_annotators(tmp_path):
    truth, predictions = make_folders(tmp_path)
    (truth / "b-annotated-other.csv").write_text((truth / "b-annotated-ann.csv").read_text())
    with pytest.raises(HarkError, match="b.wav: annotated by ann, other; score against one annotator"):
        truth_accuracy(truth, predictions, draw=False)
    for path in truth.rglob("*.csv"):
        path.unlink()
    with pytest.raises(HarkError, match="no recording there has annotations"):
        truth_accuracy(truth, predictions, draw=False)
    truth, predictions = make_folders(tmp_path / "again")
    with pytest.raises(HarkError, match="holds no <rec>-predicted-<ratio>pr.csv files; run hark ethogram"):
        truth_accuracy(truth, truth, draw=False)
    with pytest.raises(HarkError, match="nowhere: no such folder"):
        truth_accuracy(truth, tmp_path / "nowhere", draw=False)


def test_unknown_label(tmp_path):
    truth, predictions = make_folders(tmp_path)
    with pytest.raises(HarkError, match=r"unknown label 'c' \(labels annotated or predicted: a, b\)"):
        truth_accuracy(truth, predictions, labels=["c"], draw=False)
