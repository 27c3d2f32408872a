"""Summing models' validation counts into one summary: known answers from hand-made confusion matrices."""

from __future__ import annotations

import csv
import math

import pytest

from hark.errors import HarkError
from hark.validate.scores import read_run, summed_metrics, write_summary
from tests.validate.helpers import exclusive_score, write_run


def test_summed_metrics_add_up_the_models_counts():
    labels = ["a", "b"]
    models = [exclusive_score(labels, [[3, 1], [0, 2]]), exclusive_score(labels, [[1, 0], [2, 4]], fold=2)]
    summed = summed_metrics(models)
    assert summed.confusion.tolist() == [[4, 1], [2, 6]]
    assert summed.accuracy == pytest.approx(10 / 13) and summed.examples == 13
    a = summed.label("a")
    assert (a.true_positives, a.false_positives, a.false_negatives, a.true_negatives) == (4, 2, 1, 6)
    assert a.precision == pytest.approx(4 / 6) and a.recall == pytest.approx(4 / 5)
    with pytest.raises(HarkError, match="different labels"):
        summed_metrics([models[0], exclusive_score(["a", "c"], [[1, 0], [0, 1]])])


def test_summed_metrics_of_overlapped_classes_count_known_entries():
    model = {"labels": ["a", "b"], "counts": {"a": [2, 1, 1, 6], "b": [3, 0, 1, 4]}, "confusion": None, "examples": 10}
    summed = summed_metrics([model, model])
    assert summed.confusion is None and not summed.exclusive
    assert summed.accuracy == pytest.approx((2 * (2 + 6 + 3 + 4)) / (2 * 18))
    assert summed.label("b").recall == pytest.approx(3 / 4)


def test_the_summary_tables_hold_the_summed_and_the_per_model_scores(tmp_path):
    summary = write_run(tmp_path / "run", ["a", "b"], [[[3, 1], [0, 2]], [[1, 0], [2, 4]]])
    assert summary["overall"]["confusion"] == [[4, 1], [2, 6]]
    assert summary["overall"]["per_label"]["b"]["recall"] == pytest.approx(6 / 8)
    assert summary["macro_f1_sd"] > 0 and summary["seconds_median"] == 2.0 and summary["parameters"] == 100
    with open(tmp_path / "run" / "labels.csv", newline="") as f:
        rows = {row["label"]: row for row in csv.DictReader(f)}
    assert float(rows["a"]["precision"]) == pytest.approx(4 / 6) and int(rows["a"]["support"]) == 5
    with open(tmp_path / "run" / "models.csv", newline="") as f:
        models = list(csv.DictReader(f))
    assert [m["name"] for m in models] == ["1k_1r", "2k_1r"]
    assert float(models[1]["b_recall"]) == pytest.approx(4 / 6) and math.isclose(float(models[0]["a_precision"]), 1.0)
    assert (tmp_path / "run" / "confusion-matrix.csv").read_text().splitlines()[1:] == ["a,4,1", "b,2,6"]
    plan, again = read_run(tmp_path / "run")
    assert again["overall"]["confusion"] == [[4, 1], [2, 6]] and plan["kind"] == "xvalidate"


def test_the_summary_figures_are_drawn(tmp_path):
    models = [exclusive_score(["a", "b"], [[3, 1], [0, 2]]), exclusive_score(["a", "b"], [[1, 0], [2, 4]], fold=2)]
    write_summary(tmp_path, {"kind": "xvalidate", "folds": 2, "replicates": 1}, models, draw=True)
    for name in ("confusion-matrix", "precision-recall"):
        assert (tmp_path / f"{name}.png").stat().st_size > 1000 and (tmp_path / f"{name}.pdf").is_file()


def test_reading_a_folder_that_is_not_a_finished_run_says_why(tmp_path):
    with pytest.raises(HarkError, match="not a cross-validation run"):
        read_run(tmp_path)
    (tmp_path / "cross-validation.json").write_text("{}")
    with pytest.raises(HarkError, match="has no summary.json yet"):
        read_run(tmp_path)
