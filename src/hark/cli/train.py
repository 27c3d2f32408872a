"""``hark train``: train a model on the annotations of a ground-truth folder."""

from __future__ import annotations

from pathlib import Path

import typer

from hark.cli.common import JOB_CLUSTER_HELP, folder_cluster_settings, lazy_epilog, params_help, plugin_values, progress_bar, run_jobs_or_exit
from hark.errors import HarkError
from hark.params import validate_params

EXAMPLE = """Example:

  hark train --data groundtruth --labels mel-pulse,mel-sine,ambient --kinds annotated --out model
  hark train --data clips --labels upcall,noise --supervision clip --architecture resnet --out whale
  hark train --data reviewed --labels usv,noise --supervision events --out denoiser
  hark train --data recordings --supervision unsupervised --out autoencoder
  hark train --data groundtruth --labels song,ambient --transfer model --keep-layers 2 --new-layers 32 --out song
  hark train --data groundtruth --labels mel-pulse,mel-sine --replicates 4 --cluster slurm --out models
"""


def _architecture_listing() -> str:
    from hark.models import architectures
    from hark.models.transfer import NewLayersParams
    from hark.train.supervisions import supervisions

    listed = [f"  {name}: {plugin.description} (default architecture {plugin.default_architecture})" for name, plugin in supervisions.items()]
    parts = ["Supervisions (--supervision NAME):\n" + "\n".join(listed), "Architectures and their parameters (-a NAME=VALUE):"]
    made = []
    for name, cls in architectures.items():
        if getattr(cls, "made_by", None):
            made.append(f"{name} (made by {cls.made_by})")
            continue
        parts.append(params_help(f"{name} ({cls.kind}): {(cls.__doc__ or '').strip().splitlines()[0]}", cls.Params))
    parts.append(params_help("With --transfer, -a sets the new layers on top of the kept ones:", NewLayersParams))
    if made:
        parts.append("Not trained with --architecture: " + ", ".join(made))
    return "\n\n".join(parts)


def _split_list(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [item.strip() for item in text.split(",") if item.strip()]


def train_command(
    data: Path = typer.Option(..., "--data", help="Ground-truth folder: recordings with their annotation CSVs; or a clip-label table (file,label[,split][,group] CSV or TSV, paths relative to it) for --supervision clip."),
    labels: str | None = typer.Option(None, "--labels", help="Labels to learn, comma-separated (e.g. mel-pulse,mel-sine,ambient); none with --supervision unsupervised. Default with a clip-label table: every label of the table."),
    out: Path = typer.Option(..., "--out", "-o", help="Model folder to write (resumes when it holds this model's checkpoints)."),
    kinds: str = typer.Option("annotated", "--kinds", help="Kinds of events to learn from, comma-separated."),
    supervision: str = typer.Option("sparse", "--supervision", help="sparse (labelled points and ranges), dense (every sample), clip (one label per file), events (each reviewed event's crop: a denoiser), unsupervised (windows of every recording, no labels: an autoencoder) or a plugin's (listed below)."),
    overlapped: bool = typer.Option(False, "--overlapped", help="One sigmoid per label, trained with not_<label> annotations."),
    not_prefix: str = typer.Option("not_", "--not-prefix", help="Prefix of the negative labels of overlapped classes."),
    architecture: str | None = typer.Option(None, "--architecture", help="Architecture plugin (listed below); default: convnet for sparse, tcn for dense, resnet for clip and events, autoencoder for unsupervised supervision."),
    arch_param: list[str] = typer.Option([], "--arch-param", "-a", help="Architecture parameter NAME=VALUE (repeatable)."),
    arch_params_file: Path | None = typer.Option(None, "--arch-params", help="JSON or TOML file of architecture parameters."),
    optimizer: str = typer.Option("adam", "--optimizer", help="adam, adamw, sgd or rmsprop."),
    learning_rate: float = typer.Option(0.001, "--learning-rate", help="Step size of the optimiser."),
    steps: int = typer.Option(600, "--steps", help="Mini-batches to train on."),
    batch_size: str = typer.Option("32", "--batch-size", metavar="N|auto", help="Examples per mini-batch; auto: the largest up to 32 that fits in memory. A batch that does not fit is refused before training, with what to change."),
    memory_gb: float | None = typer.Option(None, "--memory-gb", help="Memory training may take, in GB (default: what the machine has available, or the GPU's free memory, or the environment variable HARK_MEMORY_GB)."),
    validation_period: int = typer.Option(100, "--validation-period", help="Steps between validations and checkpoints."),
    lr_schedule: str | None = typer.Option(None, "--lr-schedule", help="Learning rate over the steps: constant, cosine (falls to 0 at the last step), one-cycle (rises, then falls to almost 0) or plateau (lowered when the validation loss stops improving). Default: the supervision's (sparse: cosine; the others: constant)."),
    warmup_steps: int = typer.Option(0, "--warmup-steps", help="First steps in which the learning rate rises linearly to --learning-rate (one-cycle: the length of its rise; 0: 30% of the steps)."),
    plateau_patience: int = typer.Option(2, "--plateau-patience", help="--lr-schedule plateau: validations without improvement before the learning rate is lowered."),
    plateau_factor: float = typer.Option(0.5, "--plateau-factor", help="--lr-schedule plateau: what the learning rate is multiplied by each time it is lowered."),
    early_stopping: int | None = typer.Option(None, "--early-stopping", help="Stop once the validation loss has not improved for this many validations (default: train all the steps)."),
    weight_averaging: str = typer.Option("none", "--weight-averaging", help="Validate and save averaged weights: none, ema (exponential moving average) or swa (plain mean from --swa-start on)."),
    ema_decay: float = typer.Option(0.99, "--ema-decay", help="--weight-averaging ema: weight of the average so far at each step (0.99: about the last 100 steps)."),
    swa_start: float = typer.Option(0.75, "--swa-start", help="--weight-averaging swa: fraction of the steps after which the weights are averaged."),
    frames: int = typer.Option(256, "--frames", help="Dense supervision: output frames per training window."),
    validation_percent: float = typer.Option(20.0, "--validation-percent", help="Percent held out for validation: of the annotated recordings (at least one) or of each recording's blocks (see --validation-split), of the clips, or of the annotations."),
    validation_split: str = typer.Option("auto", "--validation-split", help="auto (whole recordings with 5 or more annotated ones, else blocks of each recording; clips: whole clips), recordings, blocks, or percent (single annotations from every recording; flatters)."),
    validation_recordings: str | None = typer.Option(None, "--validation-recordings", help="Recordings held out whole: names (comma-separated), a text file of names, or a subfolder."),
    split_seed: int = typer.Option(1, "--split-seed", help="Seed of the validation split."),
    equalize: bool = typer.Option(True, "--equalize/--no-equalize", help="Draw training examples equally often per label."),
    annotators: str | None = typer.Option(None, "--annotators", help="Annotators ranked, comma-separated, first wins (e.g. alice,person1): where their annotations mark the same sound, the higher-ranked one's label and verdict are learnt and the other's left out (kept on disk)."),
    data_param: list[str] = typer.Option([], "--data-param", help="Other training-data parameter NAME=VALUE (repeatable), e.g. point_width_ms=5, point_shape=gaussian, segment_gap_ms=2, dense_blocks=20, test_percent=10, test_recordings=a.wav,b.wav."),
    augment: list[str] = typer.Option([], "--augment", help="Augmentation NAME or NAME:PARAM=VALUE,... (repeatable; volume, noise, dc, reverse, invert, tilt, band, pitch, stretch, carrier, background; see docs/training-data.md). Default: the supervision's (sparse: carrier); none: no augmentation."),
    weights_seed: int = typer.Option(1, "--weights-seed", help="Seed of the initial weights (repeatable bit for bit on the CPU)."),
    batch_seed: int = typer.Option(1, "--batch-seed", help="Seed of the order of examples and augmentations."),
    replicates: int = typer.Option(1, "--replicates", min=1, help="Models to train with successive weight seeds (in OUT/1r, OUT/2r, ...)."),
    restore: Path | None = typer.Option(None, "--restore", help="Start from the weights of this checkpoint (ckpt-N.pt)."),
    device: str = typer.Option("auto", "--device", help="auto (a GPU when there is one), cpu or cuda."),
    threads: int = typer.Option(0, "--threads", help="CPU threads (0: one for models under a million parameters, else all cores)."),
    channel: int = typer.Option(0, "--channel", help="Channel of multi-channel recordings (from 0)."),
    reader: str = typer.Option("auto", "--reader", help="Audio reader plugin (auto: by file ending; highpass: filtered)."),
    reader_param: list[str] = typer.Option([], "--reader-param", help="Audio reader parameter NAME=VALUE (repeatable)."),
    progress: bool | None = typer.Option(None, "--progress/--no-progress", help="Show a progress bar (default: on a terminal)."),
    dataset_only: bool = typer.Option(False, "--dataset-only", help="Only assemble the dataset: write OUT/dataset/ and OUT/split.json, print the summary, do not train."),
    cluster: str | None = typer.Option(None, "--cluster", help=JOB_CLUSTER_HELP + " Replicates train at once there."),
    transfer: list[Path] = typer.Option([], "--transfer", help="Start from the first layers of this trained frame model (repeatable: their features are concatenated)."),
    keep_layers: int | None = typer.Option(None, "--keep-layers", help="With --transfer: layers kept of each model after its front end (convnet: conv1, conv2, ..., dense1, ...)."),
    fine_tune: bool = typer.Option(False, "--fine-tune/--freeze-kept", help="With --transfer: train the kept layers too, or keep them frozen (weights and batch-norm statistics)."),
    new_layers: str | None = typer.Option(None, "--new-layers", help="With --transfer: feature maps of each new conv layer, comma-separated (default 32; empty for none)."),
    new_dense: str | None = typer.Option(None, "--new-dense", help="With --transfer: units of each new dense layer before the output, comma-separated (default 32; empty for none)."),
) -> None:
    """Train a model to find the labelled sounds; writes checkpoints, a log and the configuration to OUT."""
    from hark.train.augment import parse_augmentations
    from hark.train.data import DataParams, default_labels
    from hark.train.params import TrainParams
    from hark.train.run import train_model

    if not data.exists():
        raise HarkError(f"{data}: no such ground-truth folder or clip-label table")
    if restore is not None and not restore.is_file():
        raise HarkError(f"{restore}: no such checkpoint")
    data_params = validate_params(
        DataParams,
        {
            "labels": _split_list(labels) or default_labels(data, supervision),
            "kinds": _split_list(kinds),
            "supervision": supervision,
            "overlapped": overlapped,
            "not_prefix": not_prefix,
            "validation_percent": validation_percent,
            "validation_split": validation_split,
            "validation_recordings": _split_list(validation_recordings),
            "split_seed": split_seed,
            "equalize": equalize,
            "annotators": _split_list(annotators) or [],
            "augmentations": parse_augmentations(augment),
            "channel": channel,
            "reader": reader,
            "reader_params": plugin_values(None, reader_param, "--reader-param") or None,
            **plugin_values(None, data_param, "--data-param"),
        },
        "hark train",
    )
    if dataset_only:
        _write_dataset(data, data_params, out)
        return
    if transfer or any(v is not None for v in (keep_layers, new_layers, new_dense)):
        _check_transfer_options(transfer, keep_layers, architecture)
    base = {
        "architecture": architecture,
        "architecture_params": {
            **plugin_values(arch_params_file, arch_param, "--arch-param"),
            **({"conv_layers": new_layers} if new_layers is not None else {}),
            **({"dense_layers": new_dense} if new_dense is not None else {}),
        },
        "optimizer": optimizer,
        "learning_rate": learning_rate,
        "steps": steps,
        "batch_size": batch_size,
        "validation_period": validation_period,
        "lr_schedule": lr_schedule,
        "warmup_steps": warmup_steps,
        "plateau_patience": plateau_patience,
        "plateau_factor": plateau_factor,
        "early_stopping_patience": early_stopping,
        "weight_averaging": weight_averaging,
        "ema_decay": ema_decay,
        "swa_start": swa_start,
        "frames": frames,
        "weights_seed": weights_seed,
        "batch_seed": batch_seed,
        "device": device,
        "threads": threads,
        "memory_gb": memory_gb,
    }
    if transfer:
        base["transfer"] = {"models": [str(m) for m in transfer], "keep_layers": keep_layers, "fine_tune": fine_tune}
    folders = [out] if replicates == 1 else [out / f"{replicate}r" for replicate in range(1, replicates + 1)]
    all_params = [validate_params(TrainParams, {**base, "weights_seed": weights_seed + i}, "hark train") for i in range(replicates)]
    settings = folder_cluster_settings(cluster, data)
    if settings is not None:
        _train_as_jobs(data, data_params, all_params, folders, restore, settings, progress)
    for folder, train_params in zip(folders, all_params if settings is None else []):
        try:
            result = train_model(data, data_params, train_params, folder, restore, progress, report=typer.echo)
        except KeyboardInterrupt:
            typer.echo(f"hark: interrupted; the last checkpoint is in {folder}; the same command resumes", err=True)
            raise typer.Exit(130) from None
        typer.echo(f"trained {folder} for {result.steps} steps")
    first = out if replicates == 1 else out / "1r"
    from hark.train.supervisions import supervision_of

    if supervision_of(data_params.supervision).reconstructs:
        typer.echo(f"next: hark train --data GT --labels ... --transfer {first} --keep-layers N --out MODEL")
    else:
        typer.echo(f"next: hark accuracy {first}")


def _train_as_jobs(data: Path, data_params, all_params, folders: list[Path], restore: Path | None, settings, progress) -> None:
    """Each replicate is one ``train`` job (hark.jobs), run where the cluster settings say."""
    from hark.train.jobs import train_job_spec

    jobs = [train_job_spec(data, data_params, params, folder, restore) for folder, params in zip(folders, all_params)]
    with progress_bar(f"training {len(jobs)} model(s)", progress) as on_progress:
        for outcome in run_jobs_or_exit(jobs, settings, on_progress):
            typer.echo(f"trained {outcome.result['folder']} for {outcome.result['steps']} steps")


def _check_transfer_options(transfer: list[Path], keep_layers: int | None, architecture: str | None) -> None:
    if not transfer:
        raise HarkError("--keep-layers, --new-layers and --new-dense go with --transfer MODEL")
    if keep_layers is None:
        raise HarkError("--transfer needs --keep-layers N: how many layers of each model to keep")
    if architecture is not None:
        raise HarkError(f"--transfer builds its own architecture; drop --architecture {architecture}")
    for model in transfer:
        if not model.is_dir():
            raise HarkError(f"{model}: no such model folder")


def _write_dataset(data: Path, data_params, out: Path) -> None:
    import json

    from hark.fileio import atomic_write_text, ensure_writable_dir
    from hark.train.data import TrainingData
    from hark.train.data_store import format_summary, write_dataset_store

    dataset = TrainingData.from_folder(data, data_params)
    folder = ensure_writable_dir(out)
    atomic_write_text(folder / "split.json", json.dumps(dataset.split_manifest(), indent=1) + "\n")
    typer.echo(format_summary(write_dataset_store(dataset, folder)))
    typer.echo(f"wrote {folder / 'dataset'} and {folder / 'split.json'}")


def register(app: typer.Typer) -> None:
    app.command("train", cls=lazy_epilog(EXAMPLE, _architecture_listing), help=train_command.__doc__)(train_command)
