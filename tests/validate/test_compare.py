"""Comparing runs: parameters from settings and names, the tables, label checks; and declared grids."""

from __future__ import annotations

import csv

import pytest

from hark.errors import HarkError
from hark.train.data import DataParams
from hark.train.params import TrainParams
from hark.validate.compare import compare_runs, name_parameters
from hark.validate.grid import grid_points, parse_grid
from tests.validate.helpers import write_run

LABELS = ["a", "b"]


@pytest.mark.parametrize(
    "name, expected",
    [
        ("mb64_ks129_fm64", {"mb": "64", "ks": "129", "fm": "64"}),
        ("lr1e-3_mb-64", {"lr": "1e-3", "mb": "64"}),
        ("arch-tcn_lr0.001", {"arch": "tcn", "lr": "0.001"}),
        ("withhold_2024_final", {}),
    ],
)
def test_run_names_are_read_as_parameters(name, expected):
    assert name_parameters(name) == expected


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_compare_tabulates_the_runs_and_the_parameters_that_differ(tmp_path):
    write_run(tmp_path / "xval" / "mb32_ks3", LABELS, [[[3, 1], [0, 2]], [[1, 0], [2, 4]]], {"batch_size": 32}, parameters=100)
    write_run(tmp_path / "xval" / "mb128_ks3", LABELS, [[[4, 0], [0, 2]], [[1, 0], [0, 6]]], {"batch_size": 128}, parameters=100)
    write_run(tmp_path / "xval" / "mb64_ks3", LABELS, [[[2, 2], [1, 1]], [[1, 0], [3, 3]]], {"batch_size": 64}, parameters=300)
    comparison = compare_runs([tmp_path / "xval"], draw=True)
    assert comparison.folder == (tmp_path / "xval" / "compare").resolve()
    assert comparison.parameters == ["training.batch_size", "mb"]  # ks is the same everywhere
    rows = _rows(comparison.folder / "compare.csv")
    assert [r["run"] for r in rows] == ["mb32_ks3", "mb64_ks3", "mb128_ks3"]  # numbers sorted by value
    assert [r["training.batch_size"] for r in rows] == ["32", "64", "128"] and [r["mb"] for r in rows] == ["32", "64", "128"]
    assert float(rows[2]["accuracy"]) == 1.0 and rows[1]["parameters"] == "300"
    labels = _rows(comparison.folder / "labels.csv")
    assert [(r["run"], r["label"]) for r in labels][:2] == [("mb32_ks3", "a"), ("mb32_ks3", "b")]
    assert float(labels[0]["recall"]) == pytest.approx(4 / 5)
    confusions = _rows(comparison.folder / "confusion-matrices.csv")
    assert {(r["true"], r["predicted"]): int(r["count"]) for r in confusions if r["run"] == "mb32_ks3"} == {
        ("a", "a"): 4, ("a", "b"): 1, ("b", "a"): 2, ("b", "b"): 6,
    }  # fmt: skip
    for name in ("compare-overview", "compare-confusion-matrices", "compare-precision-recall"):
        assert (comparison.folder / f"{name}.png").is_file() and (comparison.folder / f"{name}.pdf").is_file()


def test_runs_over_other_labels_are_refused_and_label_order_does_not_matter(tmp_path):
    write_run(tmp_path / "one", LABELS, [[[3, 1], [0, 2]]])
    write_run(tmp_path / "two", ["b", "a"], [[[2, 0], [1, 3]]])
    write_run(tmp_path / "three", ["a", "c"], [[[1, 0], [0, 1]]])
    comparison = compare_runs([tmp_path / "one", tmp_path / "two"], tmp_path / "out", draw=False)
    confusions = _rows(comparison.folder / "confusion-matrices.csv")
    assert {(r["true"], r["predicted"]): int(r["count"]) for r in confusions if r["run"] == "two"} == {
        ("a", "a"): 3, ("a", "b"): 1, ("b", "a"): 0, ("b", "b"): 2,
    }  # fmt: skip
    with pytest.raises(HarkError, match="runs one and three have different labels"):
        compare_runs([tmp_path / "one", tmp_path / "three"], tmp_path / "out", draw=False)
    with pytest.raises(HarkError, match="neither a cross-validation run nor a folder of runs"):
        compare_runs([tmp_path / "out"], draw=False)


def test_a_grid_makes_one_named_setting_per_combination():
    axes = parse_grid(["batch_size=16,32", "architecture_params.kernel_size=3,5", "optimizer=adam,sgd"])
    points = grid_points(axes, DataParams(labels="a,b"), TrainParams(architecture_params={"feature_maps": 8}))
    assert [name for name, _, _ in points][:3] == ["mb16_ks3_opt-adam", "mb16_ks3_opt-sgd", "mb16_ks5_opt-adam"]
    assert len(points) == 8
    name, data, training = points[-1]
    assert name == "mb32_ks5_opt-sgd" and training.batch_size == 32 and training.optimizer == "sgd"
    assert training.architecture_params == {"feature_maps": 8, "kernel_size": "5"}
    assert name_parameters(name) == {"mb": "32", "ks": "5", "opt": "sgd"}
    (_, data, _), *_ = grid_points(parse_grid(["point_width_ms=5,8"]), DataParams(labels="a,b"), TrainParams())
    assert data.point_width_ms == 5.0


@pytest.mark.parametrize(
    "specs, message",
    [
        (["nonsense=1,2"], "not a training parameter"),
        (["batch_size"], "expected NAME=VALUE"),
        (["batch_size=8,8"], "listed twice"),
        (["a.kernel_size=3", "architecture_params.kernel_size=5"], "given twice"),
    ],
)
def test_bad_grids_are_refused(specs, message):
    with pytest.raises(HarkError, match=message) as caught:
        parse_grid(specs)
    assert caught.value.param == "grid" and str(caught.value).startswith("grid ")  # a Python caller's name, not --grid


def test_a_bad_grid_value_names_the_run():
    with pytest.raises(HarkError, match="mb-many"):
        grid_points(parse_grid(["batch_size=many"]), DataParams(labels="a,b"), TrainParams())
