"""``train_model``: from a ground-truth folder to a model folder (what ``hark train`` calls)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from hark.errors import HarkError, ParameterError
from hark.fileio import atomic_write_text, ensure_writable_dir
from hark.models.base import FrameModel, architectures
from hark.models.store import ModelConfig, list_checkpoints, load_config, read_checkpoint, save_config
from hark.models.transfer import load_transferred_weights, plan_transfer
from hark.train.callbacks import CsvLogger, LineReporter, ProgressDisplay, ValidationSaver
from hark.train.data import DataParams, TrainingData, Window
from hark.train.data_store import write_dataset_store
from hark.train.memory import check_memory, choose_batch_size, estimate_memory
from hark.train.params import AUTO_BATCH, DEFAULT_BATCH, TrainParams
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
    log: Callable[[str], None] | None = None,
    start: Callable[[torch.nn.Module, list[str]], str] | None = None,
    watchers: tuple = (),
) -> TrainResult:
    """Train one model on the annotations of ``data_root`` into the folder ``out``.

    If ``out`` already holds checkpoints of the same configuration, training resumes from
    the last one; a folder of another configuration is refused rather than overwritten.
    ``restore`` starts from the weights of another model's checkpoint (transfer or a fresh
    schedule). ``progress``: a progress bar (True), progress lines and one line per validation
    (False), or the bar on a terminal only (None); ``log``: where those lines go (default stderr;
    a job's log file). ``start(module, output_names)``, when given and the run does not resume,
    puts the first weights into the new model itself (``hark train --continue``: an earlier
    model's, its output layer grown) and returns what it did, for the report.
    """
    prepared = prepare_training(data_root, data_params, train_params, out, restore, report)
    train_params, data, module, window = prepared.train_params, prepared.data, prepared.module, prepared.window
    supervision, reconstructs, output_names = prepared.supervision, prepared.reconstructs, prepared.output_names
    architecture, arch_params, is_frame = prepared.architecture, prepared.arch_params, isinstance(module, FrameModel)
    config = ModelConfig(
        architecture=train_params.architecture,
        architecture_params=arch_params.model_dump(mode="json"),
        kind=architecture.kind,
        samplerate=data.samplerate,
        output_names=output_names,
        labels=list(data_params.labels),
        overlapped=data_params.overlapped,
        supervision=data_params.supervision,
        # a clip model's window (hark classify reads files in windows of it); 0: the whole file
        context=module.context if is_frame else (data.clip_window or 0),
        stride=module.stride if is_frame else 0,
        data_root=str(Path(data_root).resolve()),
        data=data.params.model_dump(mode="json"),  # as resolved (a model of several channels: which ones)
        training=train_params.model_dump(mode="json"),
    )
    folder = ensure_writable_dir(out)
    _claim_folder(folder, config)
    save_config(folder, config)
    atomic_write_text(folder / "split.json", json.dumps(data.split_manifest(), indent=1) + "\n")
    write_dataset_store(data, folder)

    # an autoencoder's validation has no probabilities for hark accuracy to score
    callbacks = [CsvLogger(folder / "log.csv")] + ([] if reconstructs else [ValidationSaver(folder)])
    show_bar = progress if progress is not None else _stderr_is_terminal()
    callbacks.append(ProgressDisplay(train_params.steps) if show_bar else LineReporter(write=log))
    callbacks.extend(watchers)  # hark.train.callbacks.Callback objects of the caller (a job's progress)
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
    elif start is not None:
        report(start(module, output_names))
    steps = trainer.fit(validate_first=resumed_from > 0 and not (folder / f"validation-{resumed_from:06d}.npz").is_file())
    if trainer.early_stopping.stopped:
        stopping = trainer.early_stopping
        report(f"stopped early at step {steps}: the validation loss was lowest at step {stopping.best_step} ({stopping.best_loss:.4g}) and has not improved for {stopping.patience} validations")
    thresholds = None if reconstructs else _write_first_thresholds(folder, report)
    return TrainResult(folder, steps, resumed_from, data.summary(), thresholds)


@dataclass(frozen=True)
class PreparedTraining:
    """What training needs before its first step: the settings as resolved (architecture, its
    defaults, the batch), the data, the new model (transferred weights loaded) and its window."""

    train_params: TrainParams
    supervision: Supervision
    architecture: type
    arch_params: object
    data: TrainingData
    module: torch.nn.Module
    output_names: list[str]
    reconstructs: bool
    window: Window


def prepare_training(
    data_root: str | Path,
    data_params: DataParams,
    train_params: TrainParams,
    out: str | Path,
    restore: str | Path | None = None,
    report: Callable[[str], None] = lambda message: None,
) -> PreparedTraining:
    """Everything :func:`train_model` does before it writes to ``out`` (which is only checked):
    the settings resolved, the data loaded, the model built and a batch that fits chosen.
    (The learning-rate finder, :mod:`hark.train.lr_finder`, starts from here too.)"""
    if train_params.transfer is not None:
        train_params = _with_transfer_architecture(train_params, data_params)
    supervision = supervision_of(data_params.supervision)
    if train_params.architecture is None:
        default = supervision.architecture_for(_folder_samplerate(data_root, data_params))
        train_params = train_params.model_copy(update={"architecture": default})
    if train_params.lr_schedule is None:  # the supervision's; the model's settings keep what was used
        train_params = train_params.model_copy(update={"lr_schedule": supervision.default_lr_schedule})
    architecture = architectures.get(train_params.architecture)
    given_params = dict(train_params.architecture_params)
    defaults = supervision.architecture_defaults(train_params.architecture)
    if defaults:
        train_params = train_params.model_copy(update={"architecture_params": {**defaults, **given_params}})
    arch_params = architecture.validate(train_params.architecture_params)
    channels = _model_channels(getattr(arch_params, "input_channels", 1), data_params, architecture.name)
    if channels != data_params.channels:  # stored with the model: hark classify reads the same channels
        data_params = data_params.model_copy(update={"channels": channels})
    reconstructs = _check_objective(architecture, supervision, train_params)
    if restore is not None:
        read_checkpoint(restore)  # a bad --restore fails now, not after the data are loaded
    _check_output_folder(Path(out))  # a bad --out fails now; the folder is made only once the data and memory pass
    data = TrainingData.from_folder(data_root, data_params)
    for note in data.notes:  # e.g. a default augmentation with nothing to draw on
        report(note)
    # defaults that depend on the recordings' sample rate (clip supervision of audible-band recordings)
    rate_defaults = supervision.architecture_defaults(train_params.architecture, data.samplerate)
    if rate_defaults != defaults:
        train_params = train_params.model_copy(update={"architecture_params": {**rate_defaults, **given_params}})
        arch_params = architecture.validate(train_params.architecture_params)
    if train_params.batch_size != AUTO_BATCH:
        data.check_batch_size(train_params.batch_size)

    if train_params.weights_seed is not None:
        torch.manual_seed(train_params.weights_seed)
    output_names = architecture.output_names(arch_params) if reconstructs else list(data.output_names)
    module = architecture.build(arch_params, data.samplerate, len(output_names))
    if train_params.transfer is not None:
        load_transferred_weights(module, arch_params, train_params.transfer, data.samplerate)
    is_frame = isinstance(module, FrameModel)
    supervision.check_model(module, data, data_params, train_params.architecture)
    if getattr(module, "needs_video", False):  # the movie beside each recording (docs/video.md, "Video models")
        data.attach_video(module)
    if is_frame:
        window = Window(module.context, module.stride, supervision.frames(train_params.frames))
    else:
        window = Window(0, 1, 1)
    # before anything is written: a batch that does not fit is refused, or "auto" picks one that does
    samples = window.length if is_frame else _clip_samples(data)
    train_params = _with_fitting_batch(train_params, data, module, samples, report, Path(out))
    return PreparedTraining(train_params, supervision, architecture, arch_params, data, module, output_names, reconstructs, window)


def _model_channels(input_channels: int, data_params: DataParams, architecture: str) -> list[int] | None:
    """The channels each example reads (docs/channels.md): None for a model of one channel
    (``--channel``), else ``--channels`` checked against ``input_channels``, or 0 to C-1."""
    given = data_params.channels
    listed = ",".join(str(c) for c in given or ())
    if input_channels <= 1:
        if given:
            raise ParameterError("channels", f"{{param}} {listed}: architecture {architecture} reads one channel; choose it with {{channel}}, or give -a input_channels={len(given)}", others=("channel",))
        return None
    if data_params.supervision not in ("sparse", "dense"):
        raise HarkError(f"models of several channels (input_channels {input_channels}) train with sparse or dense supervision, not {data_params.supervision}")
    if data_params.channel != 0:
        raise ParameterError("channel", f"{{param}} {data_params.channel} reads one channel; a model of input_channels {input_channels} reads {{channels}} (default 0 to {input_channels - 1})", others=("channels",))
    if given is None:
        return list(range(input_channels))
    if len(given) != input_channels:
        raise ParameterError("channels", f"{{param}} {listed} names {len(given)} channel(s), but the model reads input_channels {input_channels}; give {input_channels}")
    return list(given)


def _check_output_folder(out: Path) -> None:
    """A one-line HarkError when ``out`` could not be made or written, checked without making it
    (bad data or a batch that does not fit must leave nothing behind)."""
    if out.exists():
        if not out.is_dir():
            raise HarkError(f"{out}: output path exists and is not a folder")
        if not os.access(out, os.W_OK | os.X_OK):
            raise HarkError(f"{out}: output folder is not writable")
        return
    parent = out.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise HarkError(f"{out}: cannot create output folder ({parent} is not a writable folder)")


def _clip_samples(data: TrainingData) -> int:
    """Samples of one example of a clip model: the clip window, else the longest clip (events: the longest crop)."""
    return int(data.clip_window or data.clip_length or getattr(data.source, "longest", 0) or 1)


def _resumed_batch_size(out: Path) -> int | None:
    """The batch size of the checkpoints ``out`` holds already (None: none there)."""
    if not out.is_dir() or not list_checkpoints(out):
        return None
    previous = load_config(out).training.get("batch_size")
    return previous if isinstance(previous, int) else None


def _with_fitting_batch(
    train_params: TrainParams, data: TrainingData, module, samples: int, report: Callable[[str], None], out: Path
) -> TrainParams:
    """``train_params`` with a batch that fits in memory: "auto" resolved to the largest up to the
    default (and to the training examples there are), a number checked (a one-line error if it does not fit)."""
    estimate = estimate_memory(module, samples, train_params.optimizer)
    resumed = _resumed_batch_size(out) if train_params.batch_size == AUTO_BATCH else None
    if resumed is not None:  # a resumed run keeps the batch it chose when it started
        train_params = train_params.model_copy(update={"batch_size": resumed})
    if train_params.batch_size != AUTO_BATCH:
        check_memory(estimate, train_params.batch_size, data.samplerate, train_params.device, train_params.memory_gb)
        return train_params
    largest = DEFAULT_BATCH
    if not data.supervision.dense:
        largest = max(1, min(largest, data.source.n_training))
    chosen = choose_batch_size(estimate, largest, data.samplerate, train_params.device, train_params.memory_gb)
    data.check_batch_size(chosen)
    report(f"batch size {chosen} (auto: about {estimate.batch_bytes(chosen) / 1e9:.2f} GB a step)")
    return train_params.model_copy(update={"batch_size": chosen})


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
        raise ParameterError("architecture", f"architecture {name} is made by {made_by}, not trained with {{param}}")
    reconstructs = getattr(architecture, "objective", "classification") == "reconstruction"
    supervision.check_objective(reconstructs, name)
    return reconstructs


def _with_transfer_architecture(train_params: TrainParams, data_params: DataParams) -> TrainParams:
    """``--transfer``: for a frame model, the architecture ``transfer``, its parameters planned from
    the pretrained models and the new layers' parameters; for a clip model (clip or events
    supervision), the pretrained clip model's architecture and parameters (given ones override
    them; :mod:`hark.models.transfer_clip`). The pretrained folders are read and checked here,
    before any audio."""
    supervision = supervision_of(data_params.supervision)
    if not supervision.labelled:
        raise ParameterError("supervision", f"{{transfer}} builds a model of new labels (for sparse, dense, clip or events supervision), not one for {{param}} {data_params.supervision}", others=("transfer",))
    transfer = train_params.transfer
    if supervision.model_kind == "clip":
        from hark.models.transfer_clip import plan_clip_transfer

        architecture, params = plan_clip_transfer(transfer.models, transfer.keep_layers, train_params.architecture_params)
        if train_params.architecture not in (None, architecture):
            raise ParameterError(
                "architecture", f"{{transfer}} keeps the pretrained model's architecture {architecture}; {{param}} {train_params.architecture} cannot go with it", others=("transfer",)
            )
        return train_params.model_copy(update={"architecture": architecture, "architecture_params": params})
    if train_params.architecture not in (None, "transfer"):
        raise ParameterError(
            "architecture",
            f"{{transfer}} builds the architecture transfer; {{param}} {train_params.architecture} cannot go with it "
            "(give the new layers as architecture parameters)",
            others=("transfer",),
        )
    params = plan_transfer(transfer.models, transfer.keep_layers, transfer.fine_tune, train_params.architecture_params)
    return train_params.model_copy(update={"architecture": "transfer", "architecture_params": params.model_dump(mode="json")})


def _claim_folder(folder: Path, config: ModelConfig) -> None:
    """Refuse to mix a new configuration into a folder that holds another model's checkpoints."""
    if not list_checkpoints(folder):
        return
    previous = _with_current_defaults(load_config(folder))
    mine = config.model_dump(exclude={"training"})
    theirs = previous.model_dump(exclude={"training"})
    # the number of steps may grow between runs (train longer), the memory allowed may change; the rest must agree
    free = {"steps", "memory_gb"}
    same_training = {k: v for k, v in config.training.items() if k not in free} == {
        k: v for k, v in previous.training.items() if k not in free
    }
    if mine != theirs or not same_training:
        raise ParameterError(
            "out_dir",
            f"{folder} holds checkpoints of a model trained with other settings; "
            "give another {param} folder (or delete its checkpoints to start over)",
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
