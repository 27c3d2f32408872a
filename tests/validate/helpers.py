"""Hand-made model scores and run folders, for the summary and compare tests (no training)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hark.validate.scores import PLAN_NAME, write_summary


def exclusive_score(labels: list[str], confusion, fold: int = 1, replicate: int = 1, seconds: float = 2.0, parameters: int = 100) -> dict:
    """What score_model returns for a model with this confusion matrix (rows: true)."""
    c = np.array(confusion, dtype=np.int64)
    total = int(c.sum())
    counts = {}
    for i, label in enumerate(labels):
        tp = int(c[i, i])
        fp, fn = int(c[:, i].sum()) - tp, int(c[i, :].sum()) - tp
        counts[label] = [tp, fp, fn, total - tp - fp - fn]
    f1s = [2 * tp / (2 * tp + fp + fn) for tp, fp, fn, _ in counts.values() if 2 * tp + fp + fn]
    return {
        "name": f"{fold}k_{replicate}r", "fold": fold, "replicate": replicate, "withheld": [], "worker": None,
        "step": 20, "labels": list(labels), "examples": total, "accuracy": float(np.trace(c) / total),
        "macro_precision": float("nan"), "macro_recall": float("nan"), "macro_f1": sum(f1s) / len(f1s),
        "counts": counts, "confusion": c.tolist(), "parameters": parameters, "seconds": seconds,
    }  # fmt: skip


def write_run(folder: Path, labels: list[str], confusions: list, training: dict | None = None, parameters: int = 100) -> dict:
    """A run folder as hark xvalidate leaves it: the plan and the summary of these models."""
    folder.mkdir(parents=True, exist_ok=True)
    plan = {
        "kind": "xvalidate", "folds": len(confusions), "replicates": 1, "labels": labels,
        "data": {"labels": labels, "split_seed": 1}, "training": {"batch_size": 32, "architecture_params": {"kernel_size": 3}, **(training or {})},
    }  # fmt: skip
    (folder / PLAN_NAME).write_text(json.dumps(plan))
    models = [exclusive_score(labels, c, fold=i + 1, parameters=parameters) for i, c in enumerate(confusions)]
    return write_summary(folder, plan, models, draw=False)
