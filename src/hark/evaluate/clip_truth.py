"""Scoring a clip model's file-level predictions against a clip-label table.

``hark classify`` writes ``DIR/predictions.csv`` (``file``, one probability column per label,
``label``); ``hark accuracy --truth TABLE.csv --predictions DIR`` scores it against the table's
labels (:mod:`hark.annotations.clip_table`): accuracy, per-label precision, recall and F1 and
their macro averages, the confusion matrix, ROC and precision-recall curves, as ``hark
accuracy MODEL`` reports a model's validation (:func:`hark.evaluate.report.write_accuracy_report`).

A prediction's ``file`` is the path ``hark classify`` was given; it is matched to the table's
row of the same file (paths resolved from the current folder), else to the one row whose file
has the same name. Every table row (of the chosen labels) must have a prediction and every
label a probability column; a prediction of a file not in the table is left out.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hark.annotations.clip_table import read_clip_table
from hark.errors import HarkError
from hark.evaluate.metrics import Evaluation, evaluate
from hark.evaluate.report import write_accuracy_report

PREDICTIONS_NAME = "predictions.csv"  # as hark.infer.clip_windows writes it


@dataclass(frozen=True)
class ClipTruthResult:
    evaluation: Evaluation
    files: tuple[str, ...]  # the table's files scored, in its order
    left_out: int  # predictions of files the table does not list
    out: Path


def clip_truth_accuracy(
    table: str | Path, predictions: str | Path, out: str | Path | None = None, labels: Sequence[str] | None = None, draw: bool = True
) -> ClipTruthResult:
    """Score ``predictions`` (a folder holding predictions.csv, or the file) against ``table``; writes the report to ``out``."""
    clips = read_clip_table(table)
    path = Path(predictions)
    path = path / PREDICTIONS_NAME if path.is_dir() else path
    if not path.is_file():
        raise HarkError(f"{path}: no such file (hark classify writes {PREDICTIONS_NAME} into its --out folder for a clip model)")
    header, rows = _read_predictions(path)
    outputs = header[1:-1] if header[-1] == "label" else header[1:]
    rows_of = [row for row in clips.rows if labels is None or row.label in labels]
    missing = sorted({row.label for row in rows_of} - set(outputs))
    if missing:
        raise HarkError(f"{path}: has no probability column for label {missing[0]!r} of {clips.path} (its columns: {', '.join(outputs)})")
    index = _match(clips.folder, [row.file for row in rows_of], [r[0] for r in rows], path)
    absent = [row.file for row, i in zip(rows_of, index) if i is None]
    if absent:
        raise HarkError(f"{path}: no prediction for {absent[0]} of {clips.path} ({len(absent)} of its {len(rows_of)} files have none)")
    try:
        probabilities = np.array([[float(rows[i][1 + c]) for c in range(len(outputs))] for i in index], dtype=np.float64)
    except (ValueError, IndexError):
        raise HarkError(f"{path}: a probability is missing or not a number") from None
    truth = np.array([outputs.index(row.label) for row in rows_of], dtype=np.int64)
    evaluation = evaluate(probabilities, truth, outputs, ratios=(1.0,))
    out = Path(out) if out is not None else path.parent / "accuracy"
    write_accuracy_report(out, evaluation, draw=draw)
    return ClipTruthResult(evaluation, tuple(row.file for row in rows_of), len(rows) - len(set(index)), out)


def _read_predictions(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8") as f:
        records = [record for record in csv.reader(f) if record]
    if not records or records[0][0] != "file" or len(records[0]) < 2:
        raise HarkError(f"{path}: not hark classify's {PREDICTIONS_NAME} (a header file,<label>...,label)")
    return records[0], records[1:]


def _match(folder: Path, files: Sequence[str], predicted: Sequence[str], path: Path) -> list[int | None]:
    """For each table file, the row of ``predicted`` naming it: the same file on disk, else the only one of its name."""
    by_path: dict[str, int] = {}
    by_name: dict[str, list[int]] = {}
    for i, name in enumerate(predicted):
        by_path[str(Path(name).resolve())] = i
        by_name.setdefault(Path(name).name, []).append(i)
    found: list[int | None] = []
    for file in files:
        i = by_path.get(str((folder / file).resolve()))
        if i is None:
            same = by_name.get(Path(file).name, [])
            if len(same) > 1:
                raise HarkError(f"{path}: {len(same)} predictions are of files named {Path(file).name}; classify with the paths the table gives")
            i = same[0] if same else None
        found.append(i)
    return found
