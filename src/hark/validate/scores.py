"""Scoring the models of a cross-validation, and summing them into one summary.

Each model is scored on its own validation set from the probabilities the trainer saved
(``validation-<step>.npz``), so no audio is read and no model runs. ``checkpoint``:
``last`` (the default) scores the last checkpoint, an honest estimate since nothing was
chosen on the validation data; ``best`` the one with the highest macro F1 on it, as
``hark accuracy`` picks, which flatters every model a little.

The summary adds up the models' counts: per label the true and false positives and
negatives (and for exclusive classes the confusion matrix), over every fold and replicate.
With positive k each annotation is validated once per replicate, so the summed counts are
replicates times those of one pass over the data; precision, recall and F1 are ratios and
do not change with that.
"""

from __future__ import annotations

import csv
import json
import math
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from hark.errors import HarkError
from hark.evaluate.metrics import LabelMetrics, Metrics, compute_metrics
from hark.evaluate.report import best_checkpoint, write_table
from hark.fileio import atomic_write_text

Checkpoint = Literal["last", "best"]
SUMMARY_NAME = "summary.json"
PLAN_NAME = "cross-validation.json"


def score_model(folder: str | Path, checkpoint: Checkpoint = "last") -> dict:
    """A trained model's scores on its validation set, JSON-able (see :func:`summed_metrics`)."""
    from hark.evaluate.model_accuracy import validation_results
    from hark.models.store import load_config

    folder = Path(folder)
    config = load_config(folder)
    results = validation_results(folder)
    if not results:
        raise HarkError(f"{folder}: holds no validation results (validation-<step>.npz); was it trained?")
    if checkpoint == "last":
        step = max(results)
        metrics = _metrics_of(results[step], config)
    else:
        by_step = {s: _metrics_of(path, config) for s, path in results.items()}
        step = best_checkpoint(by_step)
        metrics = by_step[step]
    return scores_record(folder, step, metrics)


def scores_record(folder: Path, step: int, metrics) -> dict:
    """The JSON-able scores of one checkpoint's ``metrics`` (:class:`hark.evaluate.metrics.Metrics`), with its size and training time."""
    return {
        "step": step,
        "labels": list(metrics.labels),
        "examples": metrics.examples,
        "accuracy": metrics.accuracy,
        "macro_precision": metrics.macro_precision,
        "macro_recall": metrics.macro_recall,
        "macro_f1": metrics.macro_f1,
        "counts": {m.label: [m.true_positives, m.false_positives, m.false_negatives, m.true_negatives] for m in metrics.per_label},
        "confusion": None if metrics.confusion is None else metrics.confusion.tolist(),
        "parameters": _parameter_count(folder, step),
        "seconds": _training_seconds(folder / "log.csv"),
    }


def _metrics_of(path: Path, config) -> Metrics:
    from hark.evaluate.model_accuracy import per_clip

    try:
        with np.load(path) as arrays:
            data = {name: arrays[name] for name in arrays.files}
        per_clip(data, config)  # a windowed clip model is scored per clip, as hark accuracy scores it
        return compute_metrics(data["probabilities"], data["targets"], config.output_names, mask=data.get("mask"))
    except (OSError, ValueError, KeyError) as err:
        raise HarkError(f"{path}: unreadable validation results ({err})") from None


def _parameter_count(folder: Path, step: int) -> int:
    """The model's parameters (weights and biases; not buffers such as batch-norm statistics)."""
    from hark.models.store import load_model

    return int(sum(p.numel() for p in load_model(folder, step).module.parameters()))


def _training_seconds(log: Path) -> float:
    """Seconds of training to the last validation, as the training log says (NaN without one)."""
    try:
        with open(log, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        return float(rows[-1]["seconds"]) if rows else math.nan
    except (OSError, KeyError, ValueError):
        return math.nan


def summed_metrics(scores: Sequence[dict]) -> Metrics:
    """One :class:`Metrics` of the models' counts added up (labels must agree)."""
    if not scores:
        raise HarkError("no scored models to sum")
    labels = tuple(scores[0]["labels"])
    for score in scores:
        if tuple(score["labels"]) != labels:
            raise HarkError(f"models with different labels cannot be summed: {','.join(labels)} and {','.join(score['labels'])}")
    totals = np.zeros((len(labels), 4), dtype=np.int64)
    for score in scores:
        totals += np.array([score["counts"][label] for label in labels], dtype=np.int64)
    per_label = tuple(LabelMetrics(int(tp), int(fp), int(fn), label, int(tn)) for label, (tp, fp, fn, tn) in zip(labels, totals))
    exclusive = scores[0]["confusion"] is not None
    examples = sum(int(score["examples"]) for score in scores)
    if exclusive:
        confusion = np.sum([np.array(score["confusion"], dtype=np.int64) for score in scores], axis=0)
        accuracy = float(np.trace(confusion) / confusion.sum()) if confusion.sum() else math.nan
    else:
        confusion = None
        known = totals.sum()
        accuracy = float((totals[:, 0].sum() + totals[:, 3].sum()) / known) if known else math.nan
    return Metrics(labels, exclusive, examples, per_label, accuracy, confusion)


def write_summary(folder: str | Path, plan: dict, models: Sequence[dict], draw: bool = True) -> dict:
    """``summary.json``, ``models.csv``, ``labels.csv``, ``confusion-matrix.csv`` and, with
    ``draw``, the figures ``confusion-matrix`` and ``precision-recall`` in ``folder``.

    ``models``: one entry per model: its name, fold, replicate and :func:`score_model`'s scores.
    """
    folder = Path(folder)
    metrics = summed_metrics(models)
    f1s = [m["macro_f1"] for m in models if not math.isnan(m["macro_f1"])]
    seconds = [m["seconds"] for m in models if not math.isnan(m["seconds"])]
    summary = {
        "kind": plan["kind"],
        "folds": plan["folds"],
        "replicates": plan["replicates"],
        "labels": list(metrics.labels),
        "overall": metrics_dict(metrics),
        "macro_f1_mean": statistics.fmean(f1s) if f1s else math.nan,
        "macro_f1_sd": statistics.stdev(f1s) if len(f1s) > 1 else math.nan,
        "parameters": int(models[0]["parameters"]),
        "seconds_median": statistics.median(seconds) if seconds else math.nan,
        "steps": max(int(m["step"]) for m in models),
        "models": list(models),
    }
    atomic_write_text(folder / SUMMARY_NAME, json.dumps(summary, indent=1, allow_nan=True) + "\n")
    header = ["name", "fold", "replicate", "step", "examples", "accuracy", "macro_precision", "macro_recall", "macro_f1", "parameters", "seconds"]
    header += [f"{label}_{measure}" for label in metrics.labels for measure in ("precision", "recall", "f1")]
    rows = []
    for model in models:
        per_label = [LabelMetrics(*model["counts"][label][:3], label, model["counts"][label][3]) for label in metrics.labels]
        row = [model[c] for c in header[:11]]
        row += [value for m in per_label for value in (m.precision, m.recall, m.f1)]
        rows.append(row)
    write_table(folder / "models.csv", header, rows)
    write_table(
        folder / "labels.csv",
        ["label", "precision", "recall", "f1", "support", "true_positives", "false_positives", "false_negatives", "true_negatives"],
        [(m.label, m.precision, m.recall, m.f1, m.support, m.true_positives, m.false_positives, m.false_negatives, m.true_negatives) for m in metrics.per_label],
    )
    if metrics.confusion is not None:
        confusion_rows = [(label, *counts) for label, counts in zip(metrics.labels, metrics.confusion.tolist())]
        write_table(folder / "confusion-matrix.csv", ("true\\predicted", *metrics.labels), confusion_rows)
    if draw:
        from hark.evaluate import figures
        from hark.validate.figures import models_precision_recall_figure

        if metrics.confusion is not None:
            figures.save_figure(figures.confusion_figure(metrics.confusion, metrics.labels, metrics.accuracy), folder, "confusion-matrix")
        figures.save_figure(models_precision_recall_figure(models, metrics), folder, "precision-recall")
    return summary


def metrics_dict(metrics: Metrics) -> dict:
    micro = metrics.micro
    return {
        "accuracy": metrics.accuracy,
        "macro_precision": metrics.macro_precision,
        "macro_recall": metrics.macro_recall,
        "macro_f1": metrics.macro_f1,
        "micro_f1": micro.f1,
        "examples": metrics.examples,
        "per_label": {
            m.label: {"precision": m.precision, "recall": m.recall, "f1": m.f1, "support": m.support,
                      "counts": [m.true_positives, m.false_positives, m.false_negatives, m.true_negatives]}
            for m in metrics.per_label
        },  # fmt: skip
        "confusion": None if metrics.confusion is None else metrics.confusion.tolist(),
    }


def read_run(folder: str | Path) -> tuple[dict, dict]:
    """A cross-validation run's plan and summary, as ``hark xvalidate`` or ``hark generalize`` wrote them."""
    folder = Path(folder)
    plan_path, summary_path = folder / PLAN_NAME, folder / SUMMARY_NAME
    if not plan_path.is_file():
        raise HarkError(f"{folder}: not a cross-validation run (no {PLAN_NAME}; made by hark xvalidate or hark generalize)")
    if not summary_path.is_file():
        raise HarkError(f"{folder}: the run has no {SUMMARY_NAME} yet (did some of its models fail?); run its command again to finish it")
    try:
        return json.loads(plan_path.read_text(encoding="utf-8")), json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise HarkError(f"{folder}: unreadable {PLAN_NAME} or {SUMMARY_NAME} ({err})") from None
