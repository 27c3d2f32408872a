"""The accuracy report's files, the thresholds CSV, the training log, mistakes lists, the best checkpoint."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hark.annotations import Kind, parse_annotation_name, read_csv
from hark.errors import FileFormatError, HarkError
from hark.evaluate import (
    ThresholdRow,
    best_checkpoint,
    compute_metrics,
    evaluate,
    read_thresholds,
    read_training_log,
    thresholds_at_ratio,
    write_accuracy_report,
    write_mistakes,
    write_thresholds,
)

LABELS = ["pulse", "sine", "ambient"]
P = np.array([[0.7, 0.2, 0.1], [0.5, 0.4, 0.1], [0.2, 0.6, 0.2], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3], [0.6, 0.1, 0.3]])
Y = np.array([0, 1, 1, 2, 2, 0])
PNG, PDF = b"\x89PNG\r\n\x1a\n", b"%PDF"


def _log(tmp_path, text="step,loss,train_accuracy,validation_loss,validation_accuracy,seconds\n100,1.5,0.4,1.6,0.35,2.0\n200,0.9,0.7,1.1,0.6,4.1\n"):
    path = tmp_path / "log.csv"
    path.write_text(text)
    return path


def test_the_report_writes_readable_tables_and_both_figure_formats(tmp_path):
    out = tmp_path / "accuracy"
    written = write_accuracy_report(out, evaluate(P, Y, LABELS, ratios=[1.0, 2.0]), training_log=_log(tmp_path))
    assert {p.name for p in written} == {p.name for p in out.iterdir()}  # nothing else, no temporary files
    lines = lambda name: (out / name).read_text().splitlines()  # noqa: E731
    assert lines("confusion-matrix.csv") == ["true\\predicted,pulse,sine,ambient", "pulse,2,0,0", "sine,1,1,0", "ambient,0,1,1"]
    assert lines("label-scores.csv")[0] == "label,precision,recall,f1,support,true_positives,false_positives,false_negatives,true_negatives"
    assert lines("label-scores.csv")[2] == "sine,0.5,0.5,0.5,2,1,1,1,3"
    overall = dict(line.split(",") for line in lines("overall-scores.csv")[1:])
    assert float(overall["accuracy"]) == pytest.approx(4 / 6) and overall["examples"] == "6"
    assert lines("thresholds.csv")[0] == "label,ratio,threshold,precision,recall" and len(lines("thresholds.csv")) == 7
    assert lines("curve-areas.csv")[0] == "label,average_precision,roc_auc"
    for name in ("confusion-matrix", "precision-recall", "roc", "probability-density", "learning-curve"):
        assert (out / f"{name}.png").read_bytes().startswith(PNG)
        assert (out / f"{name}.pdf").read_bytes().startswith(PDF)


def test_overlapped_results_have_no_confusion_matrix(tmp_path):
    y = np.eye(3, dtype=int)[Y]
    written = write_accuracy_report(tmp_path, evaluate(P, y, LABELS), draw=False)
    assert {p.name for p in written} == {"label-scores.csv", "overall-scores.csv", "thresholds.csv", "curve-areas.csv"}
    assert (tmp_path / "label-scores.csv").read_text().splitlines()[1] == "pulse,0.6666666666666666,1,0.8,2,2,1,0,3"  # 0.5 in row 1 reaches the threshold


def test_thresholds_read_back_as_written(tmp_path):
    rows = [ThresholdRow("pulse", 1.0, 0.4321, 0.8, 0.8), ThresholdRow("pulse", 2.0, 0.7, 0.9, 0.45), ThresholdRow("sine", 1.0, math.nan, math.nan, math.nan)]
    path = write_thresholds(tmp_path / "thresholds.csv", rows)
    back = read_thresholds(path)
    assert back[:2] == rows[:2] and back[2].label == "sine" and math.isnan(back[2].threshold)
    assert thresholds_at_ratio(back, 2) == {"pulse": 0.7}
    with pytest.raises(HarkError, match="no thresholds for precision-recall ratio 3 .known: 1, 2."):
        thresholds_at_ratio(back, 3.0)


@pytest.mark.parametrize(
    "text, line, reason",
    [
        ("label,ratio,threshold\npulse,1.0,0.5\n", 1, "expected the header"),
        ("label,ratio,threshold,precision,recall\npulse,1.0,0.5,0.8\n", 2, "4 cells for 5 columns"),
        ("label,ratio,threshold,precision,recall\npulse,-1,0.5,0.8,0.8\n", 2, "positive number"),
        ("label,ratio,threshold,precision,recall\npulse,1,high,0.8,0.8\n", 2, "bad thresholds row"),
        ("label,ratio,threshold,precision,recall\n", None, "no thresholds"),
    ],
)
def test_bad_thresholds_files_are_one_line_errors(tmp_path, text, line, reason):
    path = tmp_path / "thresholds.csv"
    path.write_text(text)
    with pytest.raises(FileFormatError) as err:
        read_thresholds(path)
    assert err.value.line == line and reason in str(err.value) and "\n" not in str(err.value)


def test_the_training_log_is_read_with_whatever_columns_it_has(tmp_path):
    log = read_training_log(_log(tmp_path, "step,loss,validation_accuracy\n10,2.0,\n20,1.0,0.5\n"))
    assert log["step"].tolist() == [10, 20] and math.isnan(log["validation_accuracy"][0])
    from hark.evaluate import figures

    assert figures.save_figure(figures.learning_curve_figure(log), tmp_path, "lc")[1].read_bytes().startswith(PNG)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("loss,accuracy\n1,2\n", "no 'step' column"),
        ("step,loss\n10,fast\n", "loss 'fast' is not a number"),
        ("step,loss\n10\n", "1 cells for 2 columns"),
        ("step,loss\n", "no rows yet"),
        ("", "file is empty"),
    ],
)
def test_bad_training_logs_are_one_line_errors(tmp_path, text, reason):
    with pytest.raises(FileFormatError) as err:
        read_training_log(_log(tmp_path, text))
    assert reason in str(err.value) and "\n" not in str(err.value)


def test_mistakes_lists_are_songexplorers_rows_and_hark_reads_them(tmp_path):
    recordings = ["a.wav", "a.wav", "sub/b.wav", "a.wav", "a.wav"]
    positions = [500, 100, 70, 300, 100]
    truth = [0, 1, 2, 1, 1]
    p = np.array([[0.9, 0.1, 0.0], [0.6, 0.4, 0.0], [0.1, 0.1, 0.8], [0.2, 0.7, 0.1], [0.6, 0.4, 0.0]])
    written = write_mistakes(tmp_path, recordings, positions, truth, p, LABELS)
    assert written == [tmp_path / "a.wav-mistakes.csv", tmp_path / "sub" / "b.wav-mistakes.csv"]
    # sorted by position, the repeated example once
    assert (tmp_path / "a.wav-mistakes.csv").read_text() == (
        "a.wav,100,100,mistaken,pulse,sine\na.wav,300,300,correct,sine,sine\na.wav,500,500,correct,pulse,pulse\n"
    )
    assert (tmp_path / "sub" / "b.wav-mistakes.csv").read_text() == "b.wav,70,70,correct,ambient,ambient\n"
    events = read_csv(written[0])
    assert [(e.kind, e.label, e.start) for e in events] == [(Kind.MISTAKEN, "pulse", 100), (Kind.CORRECT, "sine", 300), (Kind.CORRECT, "pulse", 500)]
    assert parse_annotation_name(written[0].name).kind is Kind.MISTAKEN


@pytest.mark.parametrize(
    "args, message",
    [
        ((["a.wav"], [1, 2], [0], [[1, 0, 0]]), "do not match"),
        ((["a.wav"], [1], [3], [[1, 0, 0]]), "outside 0..2"),
        ((["a.wav"], [1], [[1, 0, 0]], [[1, 0, 0]]), "exclusive classes"),
        ((["a,b.wav"], [1], [0], [[1, 0, 0]]), "cannot be written"),
    ],
)
def test_bad_mistakes_inputs_are_one_line_errors(tmp_path, args, message):
    with pytest.raises(HarkError) as err:
        write_mistakes(tmp_path, *args, LABELS)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_the_best_checkpoint_has_the_highest_macro_f1_and_ties_go_to_the_earliest():
    worse = compute_metrics(P, Y, LABELS)
    better = compute_metrics(np.eye(3)[Y] * 0.8 + 0.05, Y, LABELS)
    assert best_checkpoint({100: worse, 200: better, 300: worse}) == 200
    assert best_checkpoint({100: better, 200: better}) == 100
    undefined = compute_metrics([[0.9, 0.1, 0.0]], [0], LABELS)
    assert best_checkpoint({"a": undefined, "b": worse}) == "a"  # macro F1 1.0 over the one defined label
    with pytest.raises(HarkError, match="no checkpoints"):
        best_checkpoint({})
