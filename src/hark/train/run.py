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
from hark.models.transfer import load_kept_weights, plan_transfer
from hark.train.callbacks import CsvLogger, LineReporter, ProgressDisplay, ValidationSaver
from hark.train.data import DataParams, TrainingData, Window
from hark.train.data_store import write_dataset_store
from hark.train.params import TrainParams
from hark.train.supervisions import Supervision, supervision_of
from hark.train.trainer import Objective, ReconstructionObjective, Trainer


@dataclass(frozen=True)
class TrainResult:
    folder: Path
    steps: int
    resumed_from: int
    summary: dict
    thresholds: Path | None = None  # accuracy/thresholds.csv as training left it (None: none written)


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
    if train_params.transfer is not None:
        train_params = _with_transfer_architecture(train_params, data_params)
    supervision = supervision_of(data_params.supervision)
    if train_params.architecture is None:
        default = supervision.architecture_for(_folder_samplerate(data_root, data_params))
        train_params = train_params.model_copy(update={"architecture": default})
    architecture = architectures.get(train_params.architecture)
    defaults = supervision.architecture_defaults(train_params.architecture)
    if defaults:
        train_params = train_params.model_copy(update={"architecture_params": {**defaults, **train_params.architecture_params}})
    arch_params = architecture.validate(train_params.architecture_params)
    reconstructs = _check_objective(architecture, supervision, train_params)
    if restore is not None:
        read_checkpoint(restore)  # a bad --restore fails now, not after the data are loaded
    folder = ensure_writable_dir(out)
    data = TrainingData.from_folder(data_root, data_params)
    data.check_batch_size(train_params.batch_size)

    if train_params.weights_seed is not None:
        torch.manual_seed(train_params.weights_seed)
    output_names = architecture.output_names(arch_params) if reconstructs else list(data.output_names)
    module = architecture.build(arch_params, data.samplerate, len(output_names))
    if train_params.transfer is not None:
        load_kept_weights(module, arch_params)
    is_frame = isinstance(module, FrameModel)
    supervision.check_model(module, data, data_params, train_params.architecture)
    config = ModelConfig(
        architecture=train_params.architecture,
        architecture_params=arch_params.model_dump(mode="json"),
        kind=architecture.kind,
        samplerate=data.samplerate,
        output_names=output_names,
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
        window = Window(module.context, module.stride, supervision.frames(train_params.frames))
    else:
        window = Window(0, 1, 1)
    # an autoencoder's validation has no probabilities for hark accuracy to score
    callbacks = [CsvLogger(folder / "log.csv")] + ([] if reconstructs else [ValidationSaver(folder)])
    show_bar = progress if progress is not None else _stderr_is_terminal()
    callbacks.append(ProgressDisplay(train_params.steps) if show_bar else LineReporter())
    objective = (
        ReconstructionObjective()
        if reconstructs
        else Objective(overlapped=data_params.overlapped, dense=supervision.dense)
    )
    trainer = Trainer(module, data, window, train_params, folder, objective, callbacks)
    _remove_stale_temporaries(folder)
    resumed_from = trainer.resume()
    if resumed_from:
        report(f"resuming {folder} from its checkpoint of step {resumed_from}")
    elif restore is not None:
        trainer.restore(Path(restore), full=False)
        report(f"starting from the weights of {restore}")
    steps = trainer.fit(validate_first=resumed_from > 0 and not (folder / f"validation-{resumed_from:06d}.npz").is_file())
    if trainer.early_stopping.stopped:
        stopping = trainer.early_stopping
        report(f"stopped early at step {steps}: the validation loss was lowest at step {stopping.best_step} ({stopping.best_loss:.4g}) and has not improved for {stopping.patience} validations")
    thresholds = None if reconstructs else _write_first_thresholds(folder, report)
    return TrainResult(folder, steps, resumed_from, data.summary(), thresholds)


def _write_first_thresholds(folder: Path, report: Callable[[str], None]) -> Path | None:
    """Calibration and the presets' thresholds from training's own validation, so that
    ``hark ethogram`` works right after ``hark train`` (``hark accuracy`` rewrites both)."""
    from hark.evaluate.model_accuracy import PRESET_RATIOS, write_training_thresholds

    written = write_training_thresholds(folder)
    ratios = ", ".join(f"{r:g}" for r in PRESET_RATIOS)
    if written.path is None:
        report(
            f"no thresholds written: {written.reason}; hark ethogram needs them: train with validation data "
            f"(--validation-percent or --validation-recordings), then run hark accuracy {folder}"
        )
    else:
        report(
            f"thresholds at ratios {ratios} for the checkpoint of step {written.step} (temperature {written.temperature:.3g}) "
            f"in {written.path}; hark accuracy {folder} chooses the best checkpoint and rewrites them"
        )
    return written.path


def _folder_samplerate(data_root: str | Path, data_params: DataParams) -> int | None:
    """The sample rate of the folder's first recording (None when there is none to read: the data's checks say why later)."""
    if not supervision_of(data_params.supervision).needs_samplerate_for_architecture:
        return None
    from hark.annotations.folder import scan_folder
    from hark.audio.recording import open_recording

    try:
        entries = scan_folder(Path(data_root)).entries
        if not entries:
            return None
        return open_recording(entries[0].recording, channel=data_params.channel, reader=data_params.reader, reader_params=data_params.reader_params).samplerate
    except HarkError:
        return None


def _check_objective(architecture, supervision: Supervision, train_params: TrainParams) -> bool:
    """Whether the architecture learns by reconstructing its input (an autoencoder), which
    goes with unsupervised supervision and only with it."""
    name = train_params.architecture
    supervision.check_kind(architecture.kind, name)
    made_by = getattr(architecture, "made_by", None)
    if made_by and not (name == "transfer" and train_params.transfer is not None):
        raise HarkError(f"architecture {name} is made by {made_by}, not trained with --architecture")
    reconstructs = getattr(architecture, "objective", "classification") == "reconstruction"
    supervision.check_objective(reconstructs, name)
    return reconstructs


def _with_transfer_architecture(train_params: TrainParams, data_params: DataParams) -> TrainParams:
    """``--transfer``: the architecture ``transfer``, its parameters planned from the pretrained
    models (read and checked here, before any audio) and the new layers' parameters."""
    if train_params.architecture not in (None, "transfer"):
        raise HarkError(
            f"--transfer builds the architecture transfer; --architecture {train_params.architecture} cannot go with it "
            "(give the new layers with --new-layers, --new-dense or --arch-param)"
        )
    supervision = supervision_of(data_params.supervision)
    if supervision.model_kind != "frame" or not supervision.labelled:
        raise HarkError(f"--transfer builds a frame model (for sparse or dense supervision), not one for --supervision {data_params.supervision}")
    transfer = train_params.transfer
    params = plan_transfer(transfer.models, transfer.keep_layers, transfer.fine_tune, train_params.architecture_params)
    return train_params.model_copy(update={"architecture": "transfer", "architecture_params": params.model_dump(mode="json")})


def _claim_folder(folder: Path, config: ModelConfig) -> None:
    """Refuse to mix a new configuration into a folder that holds another model's checkpoints."""
    if not list_checkpoints(folder):
        return
    previous = _with_current_defaults(load_config(folder))
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


def _with_current_defaults(config: ModelConfig) -> ModelConfig:
    """``config`` with the data and training settings of this version's defaults filled in, so that
    a folder trained before a setting existed still resumes (its value was then the default)."""
    try:
        data = DataParams.model_validate(config.data).model_dump(mode="json")
        training = TrainParams.model_validate(config.training).model_dump(mode="json")
    except ValueError:
        return config  # settings this version no longer knows: compared as they are, so refused
    return config.model_copy(update={"data": data, "training": training})


def _remove_stale_temporaries(folder: Path) -> None:
    """Temporary files of writes that a killed run never finished (the real files are intact)."""
    for path in folder.glob(".*.tmp"):
        path.unlink(missing_ok=True)


def _stderr_is_terminal() -> bool:
    import sys

    return sys.stderr.isatty()
