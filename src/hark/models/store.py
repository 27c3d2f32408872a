"""A model folder: everything needed to use a trained model later, on another machine.

::

    MODEL/
      config.json            what the model is: architecture and parameters, sample rate,
                             output names, supervision, the data and training settings
      ckpt-000300.pt         checkpoints: weights, optimizer and random-generator states
      log.csv                the training log (step, loss, accuracies, seconds)
      split.json             which recordings and annotations trained and validated
      validation-000300.npz  validation probabilities per checkpoint (for hark accuracy)
      calibration.json       each checkpoint's temperature, fitted on its validation results
      accuracy/              hark accuracy's tables and figures; thresholds.csv (hark train
                             writes a first thresholds.csv, hark accuracy rewrites it)
      frozen.onnx            hark freeze's export

Checkpoints are written atomically, so a crash or Ctrl-C never leaves a broken one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from pydantic import Field, ValidationError
from torch import nn

from hark import __version__
from hark.errors import HarkError
from hark.fileio import atomic_path, atomic_write_text
from hark.params import Params

CONFIG_NAME = "config.json"
CALIBRATION_NAME = "calibration.json"
CHECKPOINT_PATTERN = re.compile(r"ckpt-(\d+)\.pt")


class ModelConfig(Params):
    """What a trained model is; saved as ``config.json`` beside its checkpoints."""

    hark_version: str = __version__
    architecture: str
    architecture_params: dict[str, Any]
    kind: Literal["frame", "clip"]
    samplerate: int
    output_names: list[str]
    labels: list[str]
    overlapped: bool = False
    supervision: str = Field("sparse", min_length=1)  # a supervision plugin's name (hark.train.supervisions)
    context: int = 0
    stride: int = 0
    data_root: str = ""
    data: dict[str, Any] = {}
    training: dict[str, Any] = {}


class Calibration(Params):
    """``calibration.json``: the temperature that divides each checkpoint's logits (see
    :mod:`hark.evaluate.calibration`). A checkpoint without one (a folder trained before
    calibration existed) keeps its probabilities as they are: temperature 1."""

    method: Literal["temperature"] = "temperature"
    temperatures: dict[int, float] = {}

    def temperature(self, step: int) -> float:
        return float(self.temperatures.get(int(step), 1.0))


def save_calibration(folder: str | Path, calibration: Calibration) -> Path:
    path = Path(folder) / CALIBRATION_NAME
    atomic_write_text(path, json.dumps(calibration.model_dump(mode="json"), indent=1) + "\n")
    return path


def read_calibration(folder: str | Path) -> Calibration:
    """The folder's calibration; an empty one (every temperature 1) when it has none."""
    path = Path(folder) / CALIBRATION_NAME
    if not path.is_file():
        return Calibration()
    try:
        calibration = Calibration.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, ValidationError) as err:
        first = str(err).splitlines()[0]
        raise HarkError(f"{path}: not a valid calibration ({first}); run hark accuracy {folder} to write it again") from None
    if not all(0 < t < float("inf") for t in calibration.temperatures.values()):
        raise HarkError(f"{path}: temperatures must be positive numbers; run hark accuracy {folder} to write it again")
    return calibration


def temperature_of(folder: str | Path, step: int) -> float:
    """The temperature of the checkpoint of ``step`` (1.0 when it has none)."""
    return read_calibration(folder).temperature(step)


def save_config(folder: str | Path, config: ModelConfig) -> Path:
    path = Path(folder) / CONFIG_NAME
    atomic_write_text(path, json.dumps(config.model_dump(mode="json"), indent=2) + "\n")
    return path


def load_config(folder: str | Path) -> ModelConfig:
    folder = Path(folder)
    path = folder / CONFIG_NAME
    if not folder.is_dir():
        raise HarkError(f"{folder}: no such model folder")
    if not path.is_file():
        raise HarkError(f"{folder}: not a hark model folder (no {CONFIG_NAME})")
    try:
        return ModelConfig.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, ValidationError) as err:
        first = str(err).splitlines()[0]
        raise HarkError(f"{path}: not a valid hark model configuration ({first})") from None


def checkpoint_path(folder: str | Path, step: int) -> Path:
    return Path(folder) / f"ckpt-{step:06d}.pt"


def list_checkpoints(folder: str | Path) -> list[tuple[int, Path]]:
    """``(step, path)`` of every checkpoint, by step."""
    found = []
    for path in Path(folder).glob("ckpt-*.pt"):
        match = CHECKPOINT_PATTERN.fullmatch(path.name)
        if match:
            found.append((int(match[1]), path))
    return sorted(found)


def save_checkpoint(folder: str | Path, step: int, state: dict[str, Any]) -> Path:
    """Write ``state`` (weights, optimizer, generators...) as the checkpoint of ``step``, atomically."""
    path = checkpoint_path(folder, step)
    with atomic_path(path) as tmp:
        torch.save({"format": "hark-checkpoint-1", "step": step, **state}, tmp)
    return path


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """A checkpoint's contents; a corrupt or foreign file is a one-line HarkError."""
    path = Path(path)
    if not path.is_file():
        raise HarkError(f"{path}: no such checkpoint")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many kinds for a bad file  # noqa: BLE001
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise HarkError(f"{path}: not a readable checkpoint ({reason[:200]})") from None
    if not isinstance(state, dict) or state.get("format") != "hark-checkpoint-1" or "model" not in state:
        raise HarkError(f"{path}: not a hark checkpoint")
    return state


def load_weights(model: nn.Module, state: dict[str, Any], path: str | Path) -> None:
    """Put a checkpoint's weights into ``model``; weights of another architecture are a HarkError."""
    try:
        model.load_state_dict(state["model"])
    except (RuntimeError, KeyError) as err:
        detail = str(err).strip().splitlines()[0]
        raise HarkError(f"{path}: the checkpoint does not fit this model's architecture ({detail[:200]})") from None


@dataclass
class LoadedModel:
    """A model ready to use: the network in eval mode, its configuration and the checkpoint's step."""

    module: nn.Module
    config: ModelConfig
    step: int
    checkpoint: Path


def best_step(folder: str | Path) -> int | None:
    """The checkpoint ``hark accuracy`` found best, if it has run."""
    path = Path(folder) / "accuracy" / "best.json"
    if not path.is_file():
        return None
    try:
        return int(json.loads(path.read_text())["step"])
    except (ValueError, KeyError, TypeError):
        return None


def load_model(folder: str | Path, checkpoint: str | int | Path | None = None) -> LoadedModel:
    """Build the model of ``folder`` and load a checkpoint: a step, a path, ``"last"``, or
    ``None``/``"best"`` (the best by ``hark accuracy``, else the last)."""
    from hark.models.base import architectures

    folder = Path(folder)
    config = load_config(folder)
    checkpoints = list_checkpoints(folder)
    if isinstance(checkpoint, Path) or (isinstance(checkpoint, str) and checkpoint.endswith(".pt")):
        path = Path(checkpoint)
    else:
        if not checkpoints:
            raise HarkError(f"{folder}: holds no checkpoints (was training stopped before the first?)")
        steps = dict(checkpoints)
        if checkpoint in (None, "best"):
            step = best_step(folder)
            step = step if step in steps else checkpoints[-1][0]
        elif checkpoint == "last":
            step = checkpoints[-1][0]
        else:
            step = int(checkpoint)
            if step not in steps:
                raise HarkError(f"{folder}: no checkpoint of step {step} (there are {', '.join(map(str, steps))})")
        path = steps[step]
    state = read_checkpoint(path)
    architecture = architectures.get(config.architecture)
    module = architecture.build(architecture.validate(config.architecture_params), config.samplerate, len(config.output_names))
    load_weights(module, state, path)
    module.eval()
    return LoadedModel(module, config, int(state.get("step", 0)), path)
