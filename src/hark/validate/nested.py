"""Nested generalization: tune on the remaining recordings, score the withheld one once.

A model of a nested ``hark generalize`` fold never trains on, validates on, or tunes anything
on its withheld recordings: they are its ``test_recordings``, and its own validation set is
held out of the *remaining* recordings by the default split (whole recordings with three or
more, else blocks of each). Everything that is chosen is chosen on that inner validation set,
from the probabilities the trainer saved there:

- the checkpoint (``best``: highest macro F1 there; ``last``: the last);
- the threshold of every label at every ratio of :data:`RATIOS` (the sensitivity presets'
  precision/recall ratios, as ``hark accuracy`` computes them), and for a dense model the
  sound threshold ``hark ethogram`` segments at for each ratio;
- for a dense model, ``hark ethogram``'s minimum duration and gap filling at each ratio, by
  event F1 (:mod:`hark.validate.post_processing`).

Every threshold is one of the *calibrated* probabilities: the chosen checkpoint's
temperature (``calibration.json``, which training fitted on this same inner validation set)
is applied first, as ``hark classify`` applies it before ``hark ethogram`` compares anything
with a threshold, so ``tuned.json``'s thresholds are on the scale ethogram uses.

Only then is the withheld recording read, run through the chosen checkpoint once, calibrated
by the same temperature, and scored: with the classes the model gives (argmax, as ``hark
accuracy`` scores), at each ratio's thresholds, and (dense) as events segmented with each
ratio's chosen settings. :func:`tuned_settings` holds everything chosen, so a test can change
the withheld labels and check that nothing chosen moves.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hark.errors import HarkError
from hark.evaluate.calibration import apply_temperature
from hark.evaluate.metrics import compute_metrics, ratio_thresholds
from hark.evaluate.model_accuracy import PRESET_RATIOS
from hark.evaluate.report import best_checkpoint
from hark.fileio import atomic_write_text
from hark.validate.post_processing import event_counts, frame_stretches, reference_events, segmented, tune_segmentation

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
    """What a model folder's own validation set chooses, JSON-able (floats as Python floats,
    NaN where undefined): the checkpoint ``step`` and its ``temperature``; every label's
    ``thresholds`` at each ratio (of the calibrated probabilities); for a dense model the
    ``sound_thresholds`` ``hark ethogram --ratio R`` segments at (``1 -`` the background's
    threshold at ``1 / R``; also of the presets a lower ratio keeps events of, see
    :func:`stricter_ratios`) and the ``segmentation`` chosen at each ratio
    (``min_duration_ms``, ``fill_gap_ms`` and the validation's macro ``event_f1`` with them);
    ``segmentation`` is None for other models, whose events ethogram does not post-process."""
    from hark.evaluate.model_accuracy import per_clip, validation_results
    from hark.models.store import load_config, temperature_of
    from hark.train.supervisions import supervision_of

    folder = Path(folder)
    config = load_config(folder)
    results = validation_results(folder)
    if not results:
        raise HarkError(f"{folder}: holds no validation results (validation-<step>.npz); was it trained?")
    saved = {step: _load(path) for step, path in results.items()}
    if checkpoint == "last":
        step = max(saved)
    else:
        # calibration never changes the classes given, so the best checkpoint is the same either way
        by_step = {s: _metrics(per_clip(dict(d), config), config) for s, d in saved.items()}
        step = best_checkpoint(by_step)
    temperature = temperature_of(folder, step)
    chosen = per_clip(calibrated(saved[step], temperature, config.overlapped), config)  # a windowed clip model: per clip
    dense = supervision_of(config.supervision).dense
    harder = stricter_ratios(ratios) if dense else {}
    segmenting = list(dict.fromkeys([float(r) for r in ratios] + [s for each in harder.values() for s in each]))
    inverse = [1.0 / r for r in segmenting] if dense else []
    searched = list(dict.fromkeys([float(r) for r in ratios] + inverse))
    rows = ratio_thresholds(chosen["probabilities"], chosen["targets"], config.output_names, searched, mask=chosen.get("mask"))
    thresholds: dict[str, dict[str, float]] = {}
    every: dict[str, dict[str, float]] = {}
    for row in rows:
        every.setdefault(row.label, {})[_ratio_key(row.ratio)] = float(row.threshold)
        if row.label in config.labels and any(math.isclose(row.ratio, r) for r in ratios):
            thresholds.setdefault(row.label, {})[_ratio_key(row.ratio)] = float(row.threshold)
    tuned = {"checkpoint": checkpoint, "step": int(step), "temperature": float(temperature), "ratios": [float(r) for r in ratios], "thresholds": thresholds}
    tuned["sound_thresholds"] = None
    tuned["segmentation"] = None
    if dense:
        background = config.output_names[0]
        sound = {_ratio_key(r): 1.0 - every[background][_ratio_key(1.0 / r)] for r in segmenting}
        stretches = _validation_stretches(folder, config, len(chosen["probabilities"]))
        tuned["sound_thresholds"] = sound
        tuned["segmentation"] = tune_segmentation(
            chosen["probabilities"], chosen["targets"], stretches, config.output_names,
            {_ratio_key(r): sound[_ratio_key(r)] for r in ratios}, config.samplerate, config.stride,
            _stricter_sounds(sound, harder), config.overlapped,
        )  # fmt: skip
    return tuned


def stricter_ratios(ratios: Sequence[float]) -> dict[str, list[float]]:
    """Per ratio key, the preset ratios whose events ``hark ethogram`` keeps where that ratio's
    would be fewer: those above it up to 1 (balanced), strictest first (see
    :mod:`hark.infer.ethogram`)."""
    return {_ratio_key(r): sorted((s for s in RATIOS if float(r) < s <= 1.0), reverse=True) for r in ratios}


def _stricter_sounds(sound: dict[str, float], harder: dict[str, list[float]]) -> dict[str, list[float]]:
    return {key: [sound[_ratio_key(s)] for s in each] for key, each in harder.items()}


def _metrics(d: dict, config):
    """The metrics of validation arrays (a windowed clip model's already aggregated per clip, :func:`per_clip`)."""
    return compute_metrics(d["probabilities"], d["targets"], config.output_names, mask=d.get("mask"))


def calibrated(arrays: dict, temperature: float, overlapped: bool) -> dict:
    """``arrays`` with the probabilities at ``temperature`` (as classify gives them to ethogram)."""
    return {**arrays, "probabilities": apply_temperature(arrays["probabilities"], temperature, overlapped)}


def _validation_stretches(folder: Path, config, rows: int) -> list:
    """Where the frames of the model's saved validation results lie (its split's validation regions, tiled as validation tiles them)."""
    regions = _split_regions(folder)
    return _stretches_of(regions, config, rows)


def _split_regions(folder: Path) -> list[tuple[str, int, int]]:
    path = folder / "split.json"
    try:
        split = json.loads(path.read_text(encoding="utf-8"))
        return [(str(r["recording"]), int(r["start"]), int(r["stop"])) for r in split["validation"]]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise HarkError(f"{path}: unreadable validation regions of a dense model ({err}); train the model again") from None


def _stretches_of(regions: Sequence[tuple[str, int, int]], config, rows: int) -> list:
    from hark.params import validate_params
    from hark.train.data_dense import tile_regions
    from hark.train.data_types import Window
    from hark.train.params import TrainParams
    from hark.train.supervisions import supervision_of

    training = validate_params(TrainParams, config.training, "training settings")
    window = Window(config.context, config.stride, supervision_of(config.supervision).frames(training.frames))
    return frame_stretches(tile_regions(regions, window), config.context, config.stride, rows)


def _ratio_key(ratio: float) -> str:
    return f"{float(ratio):g}"


def withheld_probabilities(folder: str | Path, data_root: str | Path, data_params, step: int, withheld: Sequence[str]) -> dict:
    """The chosen checkpoint's probabilities on the withheld recordings, as the trainer's
    validation would give them (uncalibrated): ``{"probabilities", "targets", "mask"?}``, and
    for a dense model the regions whose tiling gave the frames (``region_recordings``,
    ``region_bounds``: start and stop samples)."""
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
    if result.recordings:  # a windowed clip model's windows, aggregated per clip once calibrated
        arrays["recordings"] = np.array(result.recordings)
    if supervision.dense:  # where the frames lie: the regions validation tiled, in its order
        regions = [(str(r["recording"]), int(r["start"]), int(r["stop"])) for r in data.split_manifest()["validation"]]
        arrays["region_recordings"] = np.array([r[0] for r in regions], dtype=str)
        arrays["region_bounds"] = np.array([r[1:] for r in regions], dtype=np.int64).reshape(-1, 2)
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
    chosen step, plus ``tuned`` (:func:`tuned_settings`), ``at_ratio``: per ratio, per label,
    ``[tp, fp, fn, tn]`` of the frames at the tuned thresholds, and ``events_at_ratio`` (dense
    models; else None): per ratio, per label, ``[tp, fp, fn]`` of the events segmented at the
    ratio's sound threshold with its tuned minimum duration and gap filling. Writes
    ``tuned.json`` and ``withheld-<step>.npz`` (the calibrated probabilities, as ethogram
    would see them, and ``temperature``) into the model folder.
    """
    from hark.evaluate.model_accuracy import per_clip
    from hark.fileio import atomic_path
    from hark.models.store import load_config
    from hark.validate.scores import scores_record

    folder = Path(folder)
    config = load_config(folder)
    tuned = tuned_settings(folder, checkpoint)
    atomic_write_text(folder / TUNED_NAME, json.dumps(tuned, indent=1, allow_nan=True) + "\n")
    arrays = withheld_probabilities(folder, data_root, data_params, tuned["step"], withheld)
    arrays = {**per_clip(calibrated(arrays, tuned["temperature"], config.overlapped), config), "temperature": np.float64(tuned["temperature"])}
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
        "events_at_ratio": withheld_events(arrays, config, tuned),
    }


def withheld_events(arrays: dict, config, tuned: dict) -> dict[str, dict[str, list[int]]] | None:
    """Per ratio key, per label, ``[tp, fp, fn]`` of the syllables segmented from the withheld
    (calibrated) probabilities with the ratio's tuned sound threshold, minimum duration and gap
    filling, against the runs of the frames' targets (a ratio below 1 keeping the stricter presets'
    syllables where its own are fewer, as ethogram does); None for a model that is not dense."""
    if tuned.get("segmentation") is None:
        return None
    regions = [(str(name), int(lo), int(hi)) for name, (lo, hi) in zip(arrays["region_recordings"].tolist(), arrays["region_bounds"].tolist())]
    stretches = _stretches_of(regions, config, len(arrays["probabilities"]))
    reference = reference_events(arrays["targets"], stretches, config.output_names, config.stride)
    harder = _stricter_sounds(tuned["sound_thresholds"], stricter_ratios(tuned["ratios"]))
    counts = {}
    for key, chosen in tuned["segmentation"].items():
        found = segmented(
            arrays["probabilities"], stretches, config.output_names, tuned["sound_thresholds"][key], config.samplerate,
            config.stride, chosen["min_duration_ms"], chosen["fill_gap_ms"], harder[key], config.overlapped,
        )  # fmt: skip
        counts[key] = event_counts(reference, found, config.output_names[1:], config.samplerate)
    return counts
