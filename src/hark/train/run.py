"""``train_model``: from a ground-truth folder to a model folder (what ``hark train`` calls)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from hark.errors import HarkError
from hark.fileio import atomic_write_text, ensure_writable_dir
from hark.models.base import FrameModel, architectures
from hark.models.store import ModelConfig, list_checkpoints, load_config, read_checkpoint, save_config
from hark.train.callbacks import CsvLogger, LineReporter, ProgressDisplay, ValidationSaver
from hark.train.data import DataParams, TrainingData, Window
from hark.train.data_store import write_dataset_store
from hark.train.params import DEFAULT_ARCHITECTURES, TrainParams
from hark.train.trainer import Objective, Trainer


@dataclass(frozen=True)
class TrainResult:
    folder: Path
    steps: int
    resumed_from: int
    summary: dict


def train_model(
    data_root: str | Path,
    data_params: DataParams,
    train_params: TrainParams,
    out: str | Path,
    restore: str | Path | None = None,
    progress: bool | None = None,
    report: Callable[[str], None] = lambda message: None,
) -> TrainResult:
    """Train one model on the annotations of ``data_root`` into the folder ``out``.

    If ``out`` already holds checkpoints of the same configuration, training resumes from
    the last one; a folder of another configuration is refused rather than overwritten.
    ``restore`` starts from the weights of another model's checkpoint (transfer or a fresh
    schedule). ``progress``: a progress bar (True), one line per validation (False), or
    the bar on a terminal only (None).
    """
    if train_params.architecture is None:
        train_params = train_params.model_copy(update={"architecture": DEFAULT_ARCHITECTURES[data_params.supervision]})
    architecture = architectures.get(train_params.architecture)
    arch_params = architecture.validate(train_params.architecture_params)
    _check_kind(architecture.kind, data_params.supervision, train_params.architecture)
    if restore is not None:
        read_checkpoint(restore)  # a bad --restore fails now, not after the data are loaded
    folder = ensure_writable_dir(out)
    data = TrainingData.from_folder(data_root, data_params)
    data.check_batch_size(train_params.batch_size)

    if train_params.weights_seed is not None:
        torch.manual_seed(train_params.weights_seed)
    module = architecture.build(arch_params, data.samplerate, len(data.output_names))
    is_frame = isinstance(module, FrameModel)
    config = ModelConfig(
        architecture=train_params.architecture,
        architecture_params=arch_params.model_dump(mode="json"),
        kind=architecture.kind,
        samplerate=data.samplerate,
        output_names=list(data.output_names),
        labels=list(data_params.labels),
        overlapped=data_params.overlapped,
        supervision=data_params.supervision,
        context=module.context if is_frame else 0,
        stride=module.stride if is_frame else 0,
        data_root=str(Path(data_root).resolve()),
        data=data_params.model_dump(mode="json"),
        training=train_params.model_dump(mode="json"),
    )
    _claim_folder(folder, config)
    save_config(folder, config)
    atomic_write_text(folder / "split.json", json.dumps(data.split_manifest(), indent=1) + "\n")
    write_dataset_store(data, folder)

    if is_frame:
        frames = train_params.frames if data_params.supervision == "dense" else 1
        window = Window(module.context, module.stride, frames)
    else:
        window = Window(0, 1, 1)
    callbacks = [CsvLogger(folder / "log.csv"), ValidationSaver(folder)]
    show_bar = progress if progress is not None else _stderr_is_terminal()
    callbacks.append(ProgressDisplay(train_params.steps) if show_bar else LineReporter())
    objective = Objective(overlapped=data_params.overlapped, dense=data_params.supervision == "dense")
    trainer = Trainer(module, data, window, train_params, folder, objective, callbacks)
    _remove_stale_temporaries(folder)
    resumed_from = trainer.resume()
    if resumed_from:
        report(f"resuming {folder} from its checkpoint of step {resumed_from}")
    elif restore is not None:
        trainer.restore(Path(restore), full=False)
        report(f"starting from the weights of {restore}")
    steps = trainer.fit(validate_first=resumed_from > 0 and not (folder / f"validation-{resumed_from:06d}.npz").is_file())
    return TrainResult(folder, steps, resumed_from, data.summary())


def _check_kind(kind: str, supervision: str, name: str) -> None:
    if supervision == "clip" and kind != "clip":
        raise HarkError(f"--supervision clip needs a clip architecture (e.g. resnet); {name} classifies frames")
    if supervision != "clip" and kind == "clip":
        raise HarkError(f"architecture {name} classifies whole clips; use it with --supervision clip")


def _claim_folder(folder: Path, config: ModelConfig) -> None:
    """Refuse to mix a new configuration into a folder that holds another model's checkpoints."""
    if not list_checkpoints(folder):
        return
    previous = load_config(folder)
    mine = config.model_dump(exclude={"training"})
    theirs = previous.model_dump(exclude={"training"})
    # the number of steps may grow between runs (train longer); the rest must agree
    same_training = {k: v for k, v in config.training.items() if k != "steps"} == {
        k: v for k, v in previous.training.items() if k != "steps"
    }
    if mine != theirs or not same_training:
        raise HarkError(
            f"{folder} holds checkpoints of a model trained with other settings; "
            "give another --out folder (or delete its checkpoints to start over)"
        )


def _remove_stale_temporaries(folder: Path) -> None:
    """Temporary files of writes that a killed run never finished (the real files are intact)."""
    for path in folder.glob(".*.tmp"):
        path.unlink(missing_ok=True)


def _stderr_is_terminal() -> bool:
    import sys

    return sys.stderr.isatty()
