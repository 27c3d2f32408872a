"""``hark accuracy`` of an autoencoder: how well each checkpoint reconstructs audio it never trained on.

An autoencoder (``--supervision unsupervised``) has no labels, so there is nothing for a
confusion matrix, thresholds or curves. What its validation measures instead is written by
training into ``log.csv`` at every checkpoint: the reconstruction error on the validation
windows (the mean squared error of the standardised input, ``validation_loss``) and the share
of the input's variance the reconstruction explains (R², ``validation_accuracy``). This module
reads them, chooses the checkpoint with the lowest reconstruction error as the best one (the
one ``load_model`` and ``--transfer`` then use), and writes ``accuracy/reconstruction.csv``
(one row per checkpoint) and ``accuracy/best.json``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

from hark.errors import HarkError
from hark.fileio import atomic_write_text
from hark.models.store import list_checkpoints


@dataclass(frozen=True)
class CheckpointReconstruction:
    step: int
    error: float  # mean squared error of the standardised input, on the validation windows
    variance_explained: float


@dataclass(frozen=True)
class ReconstructionAccuracy:
    checkpoints: tuple[CheckpointReconstruction, ...]
    best: CheckpointReconstruction
    folder: Path  # where the tables went


def reconstruction_accuracy(folder: str | Path) -> ReconstructionAccuracy:
    """Every checkpoint's validation reconstruction error from ``log.csv``; the lowest is the best."""
    folder = Path(folder)
    log = folder / "log.csv"
    if not log.is_file():
        raise HarkError(f"{folder}: has no log.csv; train the autoencoder first")
    saved = {step for step, _ in list_checkpoints(folder)}
    rows = []
    with open(log, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            try:
                step, error, explained = int(row["step"]), float(row["validation_loss"]), float(row["validation_accuracy"])
            except (KeyError, TypeError, ValueError):
                continue  # a row without validation figures
            if step in saved and math.isfinite(error):
                rows.append(CheckpointReconstruction(step, error, explained))
    if not rows:
        raise HarkError(f"{log}: holds no validation figures of a saved checkpoint (was the validation set empty?)")
    best = min(rows, key=lambda r: (r.error, -r.step))
    out = folder / "accuracy"
    out.mkdir(exist_ok=True)
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(["step", "reconstruction_error", "variance_explained"])
    writer.writerows([r.step, f"{r.error:.6g}", f"{r.variance_explained:.6g}"] for r in rows)
    atomic_write_text(out / "reconstruction.csv", table.getvalue())
    best_json = {"step": best.step, "reconstruction_error": best.error, "variance_explained": best.variance_explained}
    atomic_write_text(out / "best.json", json.dumps(best_json) + "\n")
    return ReconstructionAccuracy(tuple(rows), best, out)
