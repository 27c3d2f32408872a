"""``model_accuracy``: score every checkpoint of a model folder on its validation set.

The trainer saved each checkpoint's validation probabilities (``validation-<step>.npz``),
so this reads no audio and runs no model. Results go to ``MODEL/accuracy/``: per
checkpoint, tables in ``step-<N>/``; for the best checkpoint (highest macro F1), tables,
figures, ``thresholds.csv`` and the mistakes lists at the top; ``checkpoints.csv``
compares them all; ``best.json`` names the best, which later commands use by default.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hark.errors import HarkError
from hark.evaluate.metrics import Evaluation, evaluate
from hark.evaluate.report import best_checkpoint, write_accuracy_report, write_mistakes, write_table
from hark.fileio import atomic_write_text
from hark.models.store import load_config

VALIDATION_PATTERN = re.compile(r"validation-(\d+)\.npz")


@dataclass(frozen=True)
class ModelAccuracy:
    folder: Path
    best_step: int
    evaluations: dict[int, Evaluation]

    @property
    def best(self) -> Evaluation:
        return self.evaluations[self.best_step]


def validation_results(folder: Path) -> dict[int, Path]:
    found = {}
    for path in folder.glob("validation-*.npz"):
        match = VALIDATION_PATTERN.fullmatch(path.name)
        if match:
            found[int(match[1])] = path
    return dict(sorted(found.items()))


def model_accuracy(folder: str | Path, ratios: Sequence[float] = (1.0,), draw: bool = True) -> ModelAccuracy:
    """Evaluate every checkpoint's validation results; write tables and figures; pick the best."""
    folder = Path(folder)
    config = load_config(folder)
    results = validation_results(folder)
    if not results:
        raise HarkError(f"{folder}: holds no validation results (validation-<step>.npz); train the model first")
    out = folder / "accuracy"
    evaluations: dict[int, Evaluation] = {}
    saved: dict[int, dict] = {}
    for step, path in results.items():
        try:
            with np.load(path) as arrays:
                saved[step] = {name: arrays[name] for name in arrays.files}
        except (OSError, ValueError) as err:
            raise HarkError(f"{path}: unreadable validation results ({err})") from None
        data = saved[step]
        evaluations[step] = evaluate(
            data["probabilities"], data["targets"], config.output_names, mask=data.get("mask"), ratios=ratios
        )
        write_accuracy_report(out / f"step-{step:06d}", evaluations[step], draw=False)
    best = best_checkpoint({step: e.metrics for step, e in evaluations.items()})
    write_accuracy_report(out, evaluations[best], training_log=folder / "log.csv" if (folder / "log.csv").is_file() else None, draw=draw)
    _write_checkpoint_table(out / "checkpoints.csv", evaluations)
    best_data = saved[best]
    if "recordings" in best_data and best_data["targets"].ndim == 1:
        write_mistakes(
            out / "mistakes",
            [str(r) for r in best_data["recordings"]],
            best_data["positions"].tolist(),
            best_data["targets"],
            best_data["probabilities"],
            config.output_names,
        )
    atomic_write_text(out / "best.json", json.dumps({"step": best, "macro_f1": evaluations[best].metrics.macro_f1}) + "\n")
    return ModelAccuracy(folder, best, evaluations)


def _write_checkpoint_table(path: Path, evaluations: dict[int, Evaluation]) -> None:
    labels = evaluations[next(iter(evaluations))].metrics.labels
    header = ["step", "accuracy", "macro_precision", "macro_recall", "macro_f1"]
    for label in labels:
        header += [f"{label}_precision", f"{label}_recall", f"{label}_f1"]
    rows = []
    for step, evaluation in evaluations.items():
        m = evaluation.metrics
        row = [step, m.accuracy, m.macro_precision, m.macro_recall, m.macro_f1]
        for per_label in m.per_label:
            row += [per_label.precision, per_label.recall, per_label.f1]
        rows.append(row)
    write_table(path, header, rows)
