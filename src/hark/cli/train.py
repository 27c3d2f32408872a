"""``hark train``: train a model on the annotations of a ground-truth folder.

Its options are generated from :class:`hark.train.requests.TrainRequest` (how to add one: see
that module's top); the CLI-only ones (``--progress``, ``--cluster``) are declared here.
"""

from __future__ import annotations

from pathlib import Path

import typer

from hark.cli.common import JOB_CLUSTER_HELP, folder_cluster_settings, lazy_epilog, load_param_file, params_help, progress_bar, run_jobs_or_exit
from hark.cli.requests import cli_option, request_command, request_from_cli
from hark.errors import HarkError
from hark.params import validate_params
from hark.train.requests import TrainRequest

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


def run_train(context: typer.Context, *, progress: bool | None, cluster: str | None, **values) -> None:
    """Train a model to find the labelled sounds; writes checkpoints, a log and the configuration to OUT."""
    from hark.train.data import DataParams, default_labels
    from hark.train.params import TrainParams
    from hark.train.run import train_model

    request = request_from_cli(TrainRequest, values)
    if request.continue_from is not None:  # a round of fine-tuning (docs/annotate-less.md)
        from hark.cli.train_continue import run_round

        return run_round(context, request, progress)
    data, out, restore = request.data, request.out, request.restore
    if not data.exists():
        raise HarkError(f"{data}: no such ground-truth folder or clip-label table")
    if restore is not None and not restore.is_file():
        raise HarkError(f"{restore}: no such checkpoint")
    data_params = validate_params(DataParams, request.data_values(request.labels or default_labels(data, request.supervision)), "hark train")
    if request.dataset_only:
        _write_dataset(data, data_params, out)
        return
    if request.transfer or any(v is not None for v in (request.keep_layers, request.new_layers, request.new_dense)):
        _check_transfer_options(request.transfer, request.keep_layers, request.architecture)
    base = request.training_values({**load_param_file(request.arch_params_file), **request.architecture_params})
    replicates = request.replicates
    folders = [out] if replicates == 1 else [out / f"{replicate}r" for replicate in range(1, replicates + 1)]
    all_params = [validate_params(TrainParams, {**base, "weights_seed": request.weights_seed + i}, "hark train") for i in range(replicates)]
    if request.find_lr:  # here, once, with the (first replicate's) settings
        _find_learning_rate(data, data_params, all_params[0], out, restore)
        return
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


# --help's order of the options: the request's fields (hark.train.requests.TrainRequest; a new
# field lands at the "..." by itself) and the options only the command line has
OPTIONS = [
    "data", "labels", "out", "kinds", "supervision", "overlapped", "not_prefix", "architecture", "architecture_params", "arch_params_file",
    "optimizer", "learning_rate", "steps", "batch_size", "memory_gb", "validation_period", "lr_schedule", "warmup_steps",
    "plateau_patience", "plateau_factor", "early_stopping_patience", "weight_averaging", "ema_decay", "swa_start", "frames",
    "validation_percent", "validation_split", "validation_recordings", "split_seed", "equalize", "annotators", "data_params", "augment",
    "weights_seed", "batch_seed", "replicates", "restore", "device", "threads", "channel", "channels", "reader", "reader_params",
    cli_option("progress", bool | None, typer.Option(None, "--progress/--no-progress", help="Show a progress bar (default: on a terminal).")),
    "dataset_only",
    cli_option("cluster", str | None, typer.Option(None, "--cluster", help=JOB_CLUSTER_HELP + " Replicates train at once there.")),
    "transfer", "keep_layers", "fine_tune", "new_layers", "new_dense",
    ...,
]  # fmt: skip
train_command = request_command(TrainRequest, run_train, OPTIONS, run_train.__doc__)


def _train_as_jobs(data: Path, data_params, all_params, folders: list[Path], restore: Path | None, settings, progress) -> None:
    """Each replicate is one ``train`` job (hark.jobs), run where the cluster settings say."""
    from hark.train.jobs import train_job_spec

    jobs = [train_job_spec(data, data_params, params, folder, restore) for folder, params in zip(folders, all_params)]
    with progress_bar(f"training {len(jobs)} model(s)", progress) as on_progress:
        for outcome in run_jobs_or_exit(jobs, settings, on_progress):
            typer.echo(f"trained {outcome.result['folder']} for {outcome.result['steps']} steps")


def _find_learning_rate(data: Path, data_params, train_params, out: Path, restore: Path | None) -> None:
    """``--find-lr``: the learning-rate range test (hark.train.lr_finder), its curve written into OUT."""
    from hark.train.lr_finder import find_learning_rate

    found = find_learning_rate(data, data_params, train_params, out, restore=restore, report=typer.echo)
    typer.echo(found.summary())
    typer.echo(f"wrote {found.csv} and {found.figures[-1]}; next: the same command without --find-lr, with --learning-rate {found.suggested:.2g}")


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
