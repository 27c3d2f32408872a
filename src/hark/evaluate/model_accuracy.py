"""``model_accuracy``: score every checkpoint of a model folder on its validation set.

The trainer saved each checkpoint's validation probabilities (``validation-<step>.npz``),
so this reads no audio and runs no model. Results go to ``MODEL/accuracy/``: per
checkpoint, tables in ``step-<N>/``; for the best checkpoint (highest macro F1), tables,
figures, ``thresholds.csv`` and the mistakes lists at the top; ``checkpoints.csv``
compares them all; ``best.json`` names the best, which later commands use by default.

Each checkpoint's probabilities are calibrated first (:mod:`hark.evaluate.calibration`: a
temperature fitted on its own validation results, saved in ``MODEL/calibration.json`` and
applied by classify, ethogram, stream and the ONNX export), so the thresholds are those of
the probabilities every later command sees. Calibration changes no accuracy, precision or
recall at the decision rule (the largest output, or 0.5 for sigmoids), so not the best
checkpoint either; it moves the thresholds of the ratios.

:func:`write_training_thresholds` is the part of this that ``hark train`` runs at its end:
calibration, and ``thresholds.csv`` at the sensitivity presets' ratios for the checkpoint
later commands load by default, so ``hark ethogram`` works right after training.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from hark.dsp.clip_windows import aggregate_by
from hark.errors import HarkError
from hark.evaluate.calibration import apply_temperature, fit_temperature
from hark.evaluate.metrics import Evaluation, evaluate, ratio_thresholds
from hark.evaluate.report import best_checkpoint, write_accuracy_report, write_mistakes, write_table, write_thresholds
from hark.evaluate.top_losses import top_losses, write_top_losses_report
from hark.fileio import atomic_write_text
from hark.models.store import Calibration, ModelConfig, best_step, list_checkpoints, load_config, save_calibration

CalibrationMethod = Literal["temperature", "none"]

PRESET_RATIOS = (0.5, 1.0, 2.0)
"""The ratios of the sensitivity presets (high-recall, balanced, high-precision): the ones ``hark train`` writes."""

VALIDATION_PATTERN = re.compile(r"validation-(\d+)\.npz")


@dataclass(frozen=True)
class ModelAccuracy:
    folder: Path
    best_step: int
    evaluations: dict[int, Evaluation]
    temperatures: dict[int, float] = field(default_factory=dict)  # each checkpoint's calibration

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


def model_accuracy(
    folder: str | Path, ratios: Sequence[float] = (1.0,), draw: bool = True, calibration: CalibrationMethod = "temperature"
) -> ModelAccuracy:
    """Evaluate every checkpoint's validation results; write tables and figures; pick the best.

    ``calibration`` "temperature" fits each checkpoint's temperature first (the module doc);
    "none" keeps the probabilities as the network gives them (every temperature 1).
    """
    folder = Path(folder)
    config = load_config(folder)
    results = validation_results(folder)
    if not results:
        raise HarkError(f"{folder}: holds no validation results (validation-<step>.npz); train the model first")
    out = folder / "accuracy"
    evaluations: dict[int, Evaluation] = {}
    saved: dict[int, dict] = {}
    temperatures: dict[int, float] = {}
    for step, path in results.items():
        saved[step] = data = _read_validation(path)
        temperatures[step] = _calibrate(data, config, calibration)
        per_clip(data, config)
        evaluations[step] = evaluate(
            data["probabilities"], data["targets"], config.output_names, mask=data.get("mask"), ratios=ratios
        )
        write_accuracy_report(out / f"step-{step:06d}", evaluations[step], draw=False)
    save_calibration(folder, Calibration(temperatures={s: t for s, t in temperatures.items() if t != 1.0}))
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
        if config.kind == "clip" and not config.overlapped:  # the clips (or events' crops) the model got most wrong
            rows = top_losses([str(r) for r in best_data["recordings"]], best_data["targets"], best_data["probabilities"], config.output_names)
            write_top_losses_report(out, config.data_root, int(config.data.get("channel", 0)), rows, draw=draw and config.kind == "clip")
    atomic_write_text(out / "best.json", json.dumps({"step": best, "macro_f1": evaluations[best].metrics.macro_f1}) + "\n")
    return ModelAccuracy(folder, best, evaluations, temperatures)


@dataclass(frozen=True)
class TrainingThresholds:
    """What :func:`write_training_thresholds` did: the thresholds' file (None: none written),
    the checkpoint they belong to, its temperature, and why there are none."""

    path: Path | None
    step: int | None
    temperature: float = 1.0
    reason: str = ""


def write_training_thresholds(
    folder: str | Path, ratios: Sequence[float] = PRESET_RATIOS, calibration: CalibrationMethod = "temperature"
) -> TrainingThresholds:
    """Calibrate every checkpoint and write ``accuracy/thresholds.csv`` at ``ratios`` for the
    checkpoint that later commands load by default (the best by ``hark accuracy`` when it has
    run, else the last), from the validation results training saved. No tables, figures
    or choice of a best checkpoint: ``hark accuracy`` makes those, and rewrites both files.
    """
    folder = Path(folder)
    config = load_config(folder)
    results = validation_results(folder)
    if not results:
        return TrainingThresholds(None, None, reason=f"{folder} holds no validation results (was the validation set empty?)")
    steps = [step for step, _ in list_checkpoints(folder)]
    best = best_step(folder)
    step = best if best in steps else (steps[-1] if steps else None)
    temperatures: dict[int, float] = {}
    chosen = None
    for validated, path in results.items():
        data = _read_validation(path)
        temperatures[validated] = _calibrate(data, config, calibration)
        per_clip(data, config)
        if validated == step:
            chosen = data  # calibrated in place
    save_calibration(folder, Calibration(temperatures={s: t for s, t in temperatures.items() if t != 1.0}))
    if chosen is None:
        return TrainingThresholds(None, step, reason=f"the checkpoint of step {step} has no validation results")
    data = chosen
    rows = ratio_thresholds(data["probabilities"], data["targets"], config.output_names, ratios, mask=data.get("mask"))
    path = write_thresholds(folder / "accuracy" / "thresholds.csv", rows)
    return TrainingThresholds(path, step, temperatures[step])


def per_clip(data: dict, config: ModelConfig) -> dict:
    """A windowed clip model's validation rows (one per window) as one row per clip, in place.

    Clip supervision validates every window of each validation clip (its configuration's
    ``context`` is the window); the clip's probabilities are its windows' mean or maximum
    (``clip_aggregation``), as ``hark classify`` makes a file's, and its target and mask are
    its windows' (all the same). Anything else is left as it is. Calibrate before this: the
    temperature applies to each window, as it does in ``hark classify``.
    """
    if config.kind != "clip" or config.context <= 0 or "recordings" not in data:
        return data
    recordings = [str(r) for r in data["recordings"]]
    if len(set(recordings)) == len(recordings):
        return data  # one window per clip: nothing to aggregate
    how = str(config.data.get("clip_aggregation", "mean"))
    data["probabilities"], names, firsts = aggregate_by(data["probabilities"], recordings, how)  # type: ignore[arg-type]
    data["recordings"] = np.array(names)
    for name in ("targets", "mask", "positions"):
        if name in data:
            data[name] = data[name][firsts]
    return data


def _read_validation(path: Path) -> dict:
    try:
        with np.load(path) as arrays:
            return {name: arrays[name] for name in arrays.files}
    except (OSError, ValueError) as err:
        raise HarkError(f"{path}: unreadable validation results ({err})") from None


def _calibrate(data: dict, config: ModelConfig, method: CalibrationMethod) -> float:
    """Fit the temperature of one checkpoint's validation results and calibrate them in ``data``; returns it."""
    if method == "none":
        return 1.0
    if method != "temperature":
        raise HarkError(f"calibration {method!r}: expected temperature or none")
    p = data["probabilities"]
    if p.ndim != 2 or len(p) == 0:
        return 1.0  # the evaluation says what is wrong with them
    temperature = fit_temperature(p, data["targets"], config.overlapped, mask=data.get("mask"))
    data["probabilities"] = apply_temperature(p, temperature, config.overlapped)
    return temperature


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
