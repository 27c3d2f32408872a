"""``continue_training`` (``hark train --continue MODEL``): one more round of an annotate-train loop.

A round fine-tunes an existing model on the annotations of a folder as they now stand:

- it starts from MODEL's weights (its best checkpoint by ``hark accuracy``, else its last) and
  its configuration: architecture and its parameters, front end, sample rate, window,
  supervision, data settings (the split, kinds, augmentations, ...);
- labels may be added: the output layer grows, the rows of MODEL's outputs are copied by name
  and the new rows keep the fresh initialisation of the model's weight seed;
- it trains :data:`DEFAULT_CONTINUE_STEPS` steps by default (MODEL's learning rate and
  schedule), validating and checkpointing every quarter of them, so a killed round resumes
  as ``hark train`` does (run the same command again);
- it writes a NEW model folder, never MODEL, with ``rounds.json``: MODEL's rounds (a model
  trained by plain ``hark train`` is round 0) and this one, each with its number, the model
  it started from, its steps, the annotation counts per label and the validation figures
  (accuracy, macro F1 and each label's F1 at the last checkpoint).

Refused before anything is written (one line): MODEL missing or not a model folder, a model
without checkpoints or one that learns without labels, a supervision other than MODEL's, and
a recording whose sample rate differs from MODEL's.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from pydantic import Field

from hark.errors import HarkError, ParameterError
from hark.fileio import atomic_write_text
from hark.models.store import ModelConfig, best_step, list_checkpoints, load_config, read_checkpoint
from hark.params import Params, validate_request
from hark.train.data import DataParams
from hark.train.params import TrainParams
from hark.train.run import TrainResult, train_model
from hark.train.supervisions import supervision_of

DEFAULT_CONTINUE_STEPS = 100
"""Steps of a round by default: a round adding mel-sine to a model of the real fly recordings took
21.8 s in a fresh process on 2 busy cores (``python -m benchmarks.continue_round``, docs/annotate-less.md):
seconds to a minute, not a full training."""

ROUNDS_NAME = "rounds.json"


class ContinueParams(Params):
    """What a round of ``hark train --continue`` changes of the model it starts from."""

    steps: int = Field(DEFAULT_CONTINUE_STEPS, ge=1, le=10_000_000, description="mini-batches of this round")
    learning_rate: float | None = Field(None, gt=0, le=10, description="step size of the optimiser (none: the model's)")
    labels: list[str] = Field(default_factory=list, description="labels to learn besides the model's (each adds an output)")
    validation_period: int | None = Field(
        None, ge=1, description="steps between validations and checkpoints (none: a quarter of the steps, so a killed round resumes)"
    )
    batch_size: int | str | None = Field(None, description="examples per mini-batch, or auto (none: the model's; checked as hark train checks it)")
    device: str | None = Field(None, description="where to train (none: the model's setting)")


@dataclass(frozen=True)
class ContinueResult:
    train: TrainResult
    round: int
    rounds: list[dict]
    new_labels: list[str]


def continue_training(
    model: str | Path,
    data_root: str | Path,
    out: str | Path,
    params: ContinueParams | None = None,
    *,
    supervision: str | None = None,
    data_overrides: dict | None = None,
    progress: bool | None = None,
    report: Callable[[str], None] = lambda message: None,
    log: Callable[[str], None] | None = None,
    watchers: tuple = (),
) -> ContinueResult:
    """Fine-tune ``model`` on the annotations of ``data_root`` into the new folder ``out``.

    ``supervision``: the supervision asked for (None: MODEL's); another than MODEL's is
    refused. ``data_overrides``: data settings that replace MODEL's (e.g. ``kinds``). ``watchers``:
    training callbacks (the ``train-continue`` job's step progress).
    """
    params = params or ContinueParams()
    model = Path(model)
    config = load_config(model)  # a missing folder or one without config.json: one line
    checkpoints = dict(list_checkpoints(model))
    if not checkpoints:
        raise HarkError(f"{model}: holds no checkpoints to continue from (was its training stopped before the first?)")
    plugin = supervision_of(config.supervision)
    if supervision is not None and supervision != config.supervision:
        raise ParameterError(
            "supervision", f"{{param}} {supervision}: {model} was trained with {config.supervision} supervision; a round continues with the same"
        )
    if not plugin.labelled:
        raise HarkError(f"{model}: a model of {config.supervision} supervision learns no labels; a round of fine-tuning needs a labelled model")
    if Path(out).resolve() == model.resolve():
        raise ParameterError("out_dir", f"{{param}} {out}: a round writes a new model folder, not {model} itself")
    step = best_step(model)
    step = step if step in checkpoints else max(checkpoints)
    start_checkpoint = checkpoints[step]
    state = read_checkpoint(start_checkpoint)

    new_labels = [label for label in dict.fromkeys(params.labels) if label not in config.labels]
    data_params = validate_request(DataParams, {**config.data, **(data_overrides or {}), "labels": [*config.labels, *new_labels]})
    _check_samplerates(data_root, data_params, config, model)
    train_params = _round_training(config, params)

    previous = read_rounds(model)
    number = previous[-1]["round"] + 1

    def start(module: torch.nn.Module, output_names: list[str]) -> str:
        grown = grow_output_rows(module, state["model"], config.output_names, output_names, start_checkpoint)
        added = [name for name in output_names if name not in config.output_names]
        return f"round {number}: starting from {start_checkpoint}" + (f"; new outputs {', '.join(added)}" if added else "") + (f" ({grown})" if grown else "")

    result = train_model(data_root, data_params, train_params, out, progress=progress, report=report, log=log, start=start, watchers=watchers)
    this_round = {
        "round": number,
        "model": str(Path(out).resolve()),
        "from": str(model.resolve()),
        "from_step": step,
        "data_root": str(Path(data_root).resolve()),
        "steps": result.steps,
        "labels": list(data_params.labels),
        "new_labels": new_labels,
        "annotations": annotation_counts(result.summary),
        "scores": validation_scores(Path(out)),
    }
    rounds = [*previous, this_round]
    atomic_write_text(Path(out) / ROUNDS_NAME, json.dumps({"rounds": rounds}, indent=1, allow_nan=True) + "\n")
    return ContinueResult(result, number, rounds, new_labels)


def read_rounds(model: str | Path) -> list[dict]:
    """The rounds of ``model``: its ``rounds.json``, else round 0 (a model of plain ``hark train``) made up from the folder."""
    model = Path(model)
    path = model / ROUNDS_NAME
    if path.is_file():
        try:
            rounds = json.loads(path.read_text(encoding="utf-8"))["rounds"]
            if isinstance(rounds, list) and rounds and all(isinstance(r, dict) and isinstance(r.get("round"), int) for r in rounds):
                return rounds
        except (OSError, ValueError, KeyError, TypeError):
            pass
        raise HarkError(f"{path}: not a valid rounds file (expected {{\"rounds\": [{{\"round\": 0, ...}}, ...]}})")
    config = load_config(model)
    checkpoints = list_checkpoints(model)
    return [{
        "round": 0, "model": str(model.resolve()), "from": None, "from_step": None, "data_root": config.data_root,
        "steps": checkpoints[-1][0] if checkpoints else 0, "labels": list(config.labels), "new_labels": list(config.labels),
        "annotations": _annotation_counts_of_split(model), "scores": validation_scores(model),
    }]  # fmt: skip


def grow_output_rows(
    module: torch.nn.Module, old_state: dict, old_names: list[str], new_names: list[str], source: str | Path
) -> str:
    """Load ``old_state`` into ``module`` whose outputs are ``new_names`` (MODEL's were ``old_names``).

    A tensor of the same shape is copied; one whose first dimension counts the outputs (the
    output layer's weights and bias) gets MODEL's rows by output name, the others keeping the
    module's fresh initialisation. Anything else that differs means another architecture.
    """
    missing = [name for name in old_names if name not in new_names]
    if missing:
        raise HarkError(f"{source}: the new model lacks the outputs {', '.join(missing)} of the model it continues")
    fresh = module.state_dict()
    if set(fresh) != set(old_state):
        raise HarkError(f"{source}: the checkpoint does not fit the continued model's architecture (its layers differ)")
    rows = [new_names.index(name) for name in old_names]
    merged, grown = {}, []
    for key, new in fresh.items():
        old = old_state[key]
        if old.shape == new.shape:
            merged[key] = old
        elif old.dim() >= 1 and old.shape[0] == len(old_names) and new.shape[0] == len(new_names) and old.shape[1:] == new.shape[1:]:
            tensor = new.clone()
            tensor[rows] = old.to(tensor.dtype)
            merged[key] = tensor
            grown.append(key)
        else:
            raise HarkError(f"{source}: {key} has shape {tuple(old.shape)}, the continued model's {tuple(new.shape)}: another architecture")
    if new_names != old_names and len(new_names) == len(old_names) and not grown:
        raise HarkError(f"{source}: the outputs changed order ({', '.join(old_names)} -> {', '.join(new_names)}); list the model's labels first")
    module.load_state_dict(merged)
    return f"grew {', '.join(grown)}" if grown else ""


def annotation_counts(summary: dict) -> dict[str, int | float]:
    """Annotations per label that trained and validated this round, from the data's summary
    (sparse and clip: examples; dense: annotations, as :meth:`TrainingData.summary` counts them)."""
    table = summary.get("annotations") or summary.get("examples") or {}
    counts: dict[str, int | float] = {}
    for split in ("training", "validation"):
        for label, n in (table.get(split) or {}).items():
            counts[label] = counts.get(label, 0) + n
    return counts


def validation_scores(folder: Path) -> dict:
    """Accuracy, macro F1 and each label's F1 of the last checkpoint's validation (empty without one)."""
    from hark.evaluate.metrics import compute_metrics
    from hark.evaluate.model_accuracy import per_clip, validation_results

    results = validation_results(Path(folder))
    if not results:
        return {}
    step = max(results)
    try:
        with np.load(results[step]) as arrays:
            data = {name: arrays[name] for name in arrays.files}
        config = load_config(folder)
        per_clip(data, config)
        metrics = compute_metrics(data["probabilities"], data["targets"], config.output_names, mask=data.get("mask"))
    except (OSError, ValueError, KeyError, HarkError):
        return {}

    def number(value: float) -> float | None:
        return None if value is None or not math.isfinite(value) else round(float(value), 4)

    return {
        "step": step,
        "examples": int(metrics.examples),
        "accuracy": number(metrics.accuracy),
        "macro_f1": number(metrics.macro_f1),
        "f1": {m.label: number(m.f1) for m in metrics.per_label},
    }


def _annotation_counts_of_split(model: Path) -> dict:
    """Round 0's counts per label: the training and validation annotations of the ``split.json``
    hark train wrote (a list of annotations, or dense supervision's counts; empty when unreadable)."""
    try:
        split = json.loads((model / "split.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(split, dict):
        return {}
    counted = split.get("annotation_counts")
    totals: dict[str, int | float] = {}
    for side in ("training", "validation"):
        items = (counted or {}).get(side) if isinstance(counted, dict) else split.get(side)
        if isinstance(items, dict):
            pairs = [(label, n) for label, n in items.items() if isinstance(n, (int, float))]
        elif isinstance(items, list):
            pairs = [(item["label"], 1) for item in items if isinstance(item, dict) and isinstance(item.get("label"), str)]
        else:
            pairs = []
        for label, n in pairs:
            totals[label] = totals.get(label, 0) + n
    return totals


def _round_training(config: ModelConfig, params: ContinueParams) -> TrainParams:
    """MODEL's training settings for a round: its architecture as built, fewer steps, validations within them."""
    training = dict(config.training)
    steps = params.steps
    period = params.validation_period or max(1, math.ceil(steps / 4))
    round_batch_seed = training.get("batch_seed")
    updates = {
        "architecture": config.architecture,
        "architecture_params": dict(config.architecture_params),
        "steps": steps,
        "validation_period": min(period, steps),
        "warmup_steps": min(int(training.get("warmup_steps") or 0), steps - 1),
        "early_stopping_patience": None,
        # another order of examples each round (a new model folder, so resuming is unaffected)
        "batch_seed": None if round_batch_seed is None else int(round_batch_seed) + 1,
    }
    if training.get("transfer"):
        # planned again from the pretrained models (which must still be there) and the new layers;
        # every weight then comes from MODEL's checkpoint
        from hark.models.transfer import NewLayersParams

        updates["architecture_params"] = {k: v for k, v in config.architecture_params.items() if k in NewLayersParams.model_fields}
    if params.learning_rate is not None:
        updates["learning_rate"] = params.learning_rate
    if params.batch_size is not None:
        updates["batch_size"] = params.batch_size
    if params.device is not None:
        updates["device"] = params.device
    # a bad value given for the round is a ParameterError naming it (the command line: its flag)
    return validate_request(TrainParams, {**training, **updates})


def _check_samplerates(data_root: str | Path, data_params: DataParams, config: ModelConfig, model: Path) -> None:
    """Every recording of ``data_root`` at MODEL's sample rate (read from the headers only)."""
    from hark.annotations.folder import scan_folder
    from hark.audio.recording import open_recording

    folder = scan_folder(Path(data_root))
    if not folder.entries:
        raise HarkError(f"{data_root}: no recordings to continue training on")
    for entry in folder.entries:
        rate = open_recording(entry.recording, channel=data_params.channel, reader=data_params.reader, reader_params=data_params.reader_params).samplerate
        if int(round(rate)) != int(config.samplerate):
            raise HarkError(
                f"{entry.recording}: sample rate {rate:g} Hz, but {model} was trained at {config.samplerate} Hz; "
                "resample the recordings (hark resample) or continue a model of their rate"
            )
