"""Model folders as runs of ``hark compare``: the rounds of ``hark train --continue`` side by side.

A model folder (``config.json``: written by ``hark train``, or by ``hark train --continue`` with
its ``rounds.json``) is read as a run of one model: its settings are its data and training
settings, its scores those of its last checkpoint's validation (:func:`hark.validate.scores.score_model`),
so ``hark compare round0 round1 round2`` shows what each round of annotation and retraining
changed. Rounds that added labels have other labels than the rounds before them, and compare
refuses runs over different labels; compare those from the round that added them on.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from hark.errors import HarkError

ROUNDS_NAME = "rounds.json"  # as hark.train.continue_run writes it


def is_model_folder(folder: Path) -> bool:
    return (folder / "config.json").is_file()


def read_round(folder: str | Path) -> tuple[dict, dict]:
    """``(plan, summary)`` of a model folder, shaped as :func:`hark.validate.scores.read_run` returns a run's."""
    from hark.models.store import load_config
    from hark.validate.scores import metrics_dict, score_model, summed_metrics

    folder = Path(folder)
    config = load_config(folder)
    score = score_model(folder, "last")
    model = {"name": folder.name, "fold": 1, "replicate": 1, **score}
    number = _round_number(folder)
    plan = {"kind": "round", "folds": 1, "replicates": 1, "round": number, "data": config.data, "training": config.training}
    summary = {
        "kind": "round",
        "folds": 1,
        "replicates": 1,
        "labels": list(score["labels"]),
        "overall": metrics_dict(summed_metrics([model])),
        "macro_f1_mean": score["macro_f1"],
        "macro_f1_sd": math.nan,
        "parameters": int(score["parameters"]),
        "seconds_median": score["seconds"],
        "steps": int(score["step"]),
        "models": [model],
    }
    return plan, summary


def _round_number(folder: Path) -> int:
    """The folder's round by its ``rounds.json`` (0: a model of plain hark train)."""
    path = folder / ROUNDS_NAME
    if not path.is_file():
        return 0
    try:
        return int(json.loads(path.read_text(encoding="utf-8"))["rounds"][-1]["round"])
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        raise HarkError(f"{path}: not a valid rounds file") from None
