"""Nested generalization: tune on the remaining recordings, score the withheld one once.

A model of a nested ``hark generalize`` fold never trains on, validates on, or tunes anything
on its withheld recordings: they are its ``test_recordings``, and its own validation set is
held out of the *remaining* recordings by the default split (whole recordings with three or
more, else blocks of each). Everything that is chosen is chosen on that inner validation set,
from the probabilities the trainer saved there:

- the checkpoint (``best``: highest macro F1 there; ``last``: the last);
- the threshold of every label at every ratio of :data:`RATIOS` (the sensitivity presets'
  precision/recall ratios, as ``hark accuracy`` computes them).

Only then is the withheld recording read, run through the chosen checkpoint once, and scored:
with the classes the model gives (argmax, as ``hark accuracy`` scores) and at each ratio's
thresholds. :func:`tuned_settings` holds everything chosen, so a test can change the withheld
labels and check that nothing chosen moves.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hark.errors import HarkError
from hark.evaluate.metrics import compute_metrics, ratio_thresholds
from hark.evaluate.model_accuracy import PRESET_RATIOS
from hark.evaluate.report import best_checkpoint
from hark.fileio import atomic_write_text

RATIOS = PRESET_RATIOS
"""Precision/recall ratios tuned: those of the sensitivity presets high-recall, balanced, high-precision."""
TUNED_NAME = "tuned.json"


def _load(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path) as arrays:
            return {name: arrays[name] for name in arrays.files}
    except (OSError, ValueError) as err:
        raise HarkError(f"{path}: unreadable validation results ({err})") from None


def tuned_settings(folder: str | Path, checkpoint: str = "best", ratios: Sequence[float] = RATIOS) -> dict:
    """What a model folder's own validation set chooses: the checkpoint step and every label's
    threshold at each ratio, JSON-able (floats as Python floats, NaN where undefined)."""
    from hark.evaluate.model_accuracy import validation_results
    from hark.models.store import load_config

    folder = Path(folder)
    config = load_config(folder)
    results = validation_results(folder)
    if not results:
        raise HarkError(f"{folder}: holds no validation results (validation-<step>.npz); was it trained?")
    saved = {step: _load(path) for step, path in results.items()}
    if checkpoint == "last":
        step = max(saved)
    else:
        by_step = {s: compute_metrics(d["probabilities"], d["targets"], config.output_names, mask=d.get("mask")) for s, d in saved.items()}
        step = best_checkpoint(by_step)
    chosen = saved[step]
    rows = ratio_thresholds(chosen["probabilities"], chosen["targets"], config.output_names, ratios, mask=chosen.get("mask"))
    thresholds: dict[str, dict[str, float]] = {}
    for row in rows:
        if row.label in config.labels:
            thresholds.setdefault(row.label, {})[_ratio_key(row.ratio)] = float(row.threshold)
    return {"checkpoint": checkpoint, "step": int(step), "ratios": [float(r) for r in ratios], "thresholds": thresholds}


def _ratio_key(ratio: float) -> str:
    return f"{float(ratio):g}"


def withheld_probabilities(folder: str | Path, data_root: str | Path, data_params, step: int, withheld: Sequence[str]) -> dict:
    """The chosen checkpoint's probabilities on the withheld recordings, as the trainer's
    validation would give them: ``{"probabilities", "targets", "mask"?}``."""
    from hark.models.base import FrameModel
    from hark.models.store import load_config, load_model
    from hark.params import validate_params
    from hark.train.data import DataParams, TrainingData, Window
    from hark.train.params import TrainParams
    from hark.train.supervisions import supervision_of
    from hark.train.trainer import Objective, Trainer

    folder = Path(folder)
    config = load_config(folder)
    # the same data, the withheld recordings now the validation set (nothing of it trains here)
    values = {**data_params.model_dump(), "validation_recordings": list(withheld), "test_recordings": None, "test_percent": 0.0, "folds": 0}
    data = TrainingData.from_folder(data_root, validate_params(DataParams, values, "withheld recordings"))
    loaded = load_model(folder, step)
    training = validate_params(TrainParams, config.training, f"{folder} training settings")
    supervision = supervision_of(config.supervision)
    if isinstance(loaded.module, FrameModel):
        window = Window(loaded.module.context, loaded.module.stride, supervision.frames(training.frames))
    else:
        window = Window(0, 1, 1)
    objective = Objective(overlapped=config.overlapped, dense=supervision.dense)
    trainer = Trainer(loaded.module, data, window, training, folder, objective, [])
    trainer.step = step
    result = trainer.validate()
    arrays = {"probabilities": result.probabilities, "targets": result.targets}
    if result.mask is not None:
        arrays["mask"] = result.mask
    return arrays


def counts_at_thresholds(arrays: dict, output_names: Sequence[str], thresholds: dict[str, float]) -> dict[str, list[int]]:
    """Per label ``[tp, fp, fn, tn]`` of "probability >= the label's threshold" (one-vs-rest;
    a NaN threshold, undefined on the inner validation set, detects nothing)."""
    p, targets, mask = arrays["probabilities"], arrays["targets"], arrays.get("mask")
    counts = {}
    for label, threshold in thresholds.items():
        c = list(output_names).index(label)
        if targets.ndim == 1:
            known, truth = np.ones(len(p), bool), targets == c
        else:
            known = np.ones(len(p), bool) if mask is None else mask[:, c] > 0
            truth = targets[:, c] > 0.5
        found = p[:, c] >= threshold if not math.isnan(threshold) else np.zeros(len(p), bool)
        found, truth = found[known], truth[known]
        counts[label] = [int(np.sum(found & truth)), int(np.sum(found & ~truth)), int(np.sum(~found & truth)), int(np.sum(~found & ~truth))]
    return counts


def score_withheld(folder: str | Path, data_root: str | Path, data_params, withheld: Sequence[str], checkpoint: str = "best") -> dict:
    """Tune on the model's own (inner) validation set, then score the withheld recordings once.

    Returns :func:`hark.validate.scores.score_model`'s keys for the withheld recordings at the
    chosen step, plus ``tuned`` (:func:`tuned_settings`) and ``at_ratio``: per ratio, per label,
    ``[tp, fp, fn, tn]`` at the tuned thresholds. Writes ``tuned.json`` and
    ``withheld-<step>.npz`` into the model folder.
    """
    from hark.fileio import atomic_path
    from hark.models.store import load_config
    from hark.validate.scores import scores_record

    folder = Path(folder)
    config = load_config(folder)
    tuned = tuned_settings(folder, checkpoint)
    atomic_write_text(folder / TUNED_NAME, json.dumps(tuned, indent=1, allow_nan=True) + "\n")
    arrays = withheld_probabilities(folder, data_root, data_params, tuned["step"], withheld)
    with atomic_path(folder / f"withheld-{tuned['step']:06d}.npz") as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **arrays)
    metrics = compute_metrics(arrays["probabilities"], arrays["targets"], config.output_names, mask=arrays.get("mask"))
    at_ratio = {
        key: counts_at_thresholds(arrays, config.output_names, {label: t[key] for label, t in tuned["thresholds"].items()})
        for key in (_ratio_key(r) for r in tuned["ratios"])
    }
    return {
        **scores_record(folder, tuned["step"], metrics),
        "tuned": tuned,
        "at_ratio": at_ratio,
    }
