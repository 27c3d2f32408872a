"""What ``hark xvalidate`` and ``hark generalize`` share: the training options, and running and reporting."""

from __future__ import annotations

import math
from pathlib import Path

import typer

from hark.cli.common import CLUSTER_HELP, plugin_values, progress_bar
from hark.errors import HarkError
from hark.params import validate_params

# typer options, shared so that both commands read like hark train
DATA = typer.Option(..., "--data", help="Ground-truth folder: recordings with their annotation CSVs.")
LABELS = typer.Option(..., "--labels", help="Labels to learn, comma-separated (e.g. mel-pulse,mel-sine,ambient).")
OUT = typer.Option(..., "--out", "-o", help="Folder for the run: one model folder per model, the summary beside them (with --grid: one run per combination in it).")
KINDS = typer.Option("annotated", "--kinds", help="Kinds of events to learn from, comma-separated.")
SUPERVISION = typer.Option("sparse", "--supervision", help="sparse, dense, clip or events, as for hark train.")
OVERLAPPED = typer.Option(False, "--overlapped", help="One sigmoid per label, trained with not_<label> annotations.")
ARCHITECTURE = typer.Option(None, "--architecture", help="Architecture plugin (hark train --help lists them); default by supervision, as for hark train.")
ARCH_PARAM = typer.Option([], "--arch-param", "-a", help="Architecture parameter NAME=VALUE (repeatable).")
ARCH_PARAMS_FILE = typer.Option(None, "--arch-params", help="JSON or TOML file of architecture parameters.")
OPTIMIZER = typer.Option("adam", "--optimizer", help="adam, adamw, sgd or rmsprop.")
LEARNING_RATE = typer.Option(0.001, "--learning-rate", help="Step size of the optimiser.")
STEPS = typer.Option(600, "--steps", help="Mini-batches each model trains on.")
BATCH_SIZE = typer.Option(32, "--batch-size", help="Examples per mini-batch.")
VALIDATION_PERIOD = typer.Option(100, "--validation-period", help="Steps between validations and checkpoints.")
LR_SCHEDULE = typer.Option(None, "--lr-schedule", help="constant, cosine, one-cycle or plateau, as for hark train (default: the supervision's).")
WARMUP_STEPS = typer.Option(0, "--warmup-steps", help="First steps in which the learning rate rises linearly, as for hark train.")
EARLY_STOPPING = typer.Option(None, "--early-stopping", help="Stop each model once its validation loss has not improved for this many validations.")
WEIGHT_AVERAGING = typer.Option("none", "--weight-averaging", help="none, ema or swa: validate and save averaged weights, as for hark train.")
FRAMES = typer.Option(256, "--frames", help="Dense supervision: output frames per training window.")
SPLIT_SEED = typer.Option(1, "--split-seed", help="Seed that deals the folds (xvalidate) or the partitions of recordings (generalize --omit some).")
EQUALIZE = typer.Option(True, "--equalize/--no-equalize", help="Draw training examples equally often per label.")
DATA_PARAM = typer.Option([], "--data-param", help="Other training-data parameter NAME=VALUE (repeatable), as for hark train.")
AUGMENT = typer.Option([], "--augment", help="Augmentation NAME or NAME:PARAM=VALUE,... (repeatable). Default: the supervision's (sparse: carrier); none: no augmentation.")
WEIGHTS_SEED = typer.Option(1, "--weights-seed", help="Seed of the initial weights of replicate 1; replicate r uses this + r - 1.")
BATCH_SEED = typer.Option(1, "--batch-seed", help="Seed of the order of examples and augmentations (the same for every model).")
REPLICATES = typer.Option(1, "--replicates", min=1, help="Models per fold, with successive weight seeds.")
DEVICE = typer.Option("auto", "--device", help="auto (a GPU when there is one), cpu or cuda.")
THREADS = typer.Option(0, "--threads", help="CPU threads per model (0: one for models under a million parameters, else all cores).")
CHANNEL = typer.Option(0, "--channel", help="Channel of multi-channel recordings (from 0).")
READER = typer.Option("auto", "--reader", help="Audio reader plugin (auto: by file ending).")
READER_PARAM = typer.Option([], "--reader-param", help="Audio reader parameter NAME=VALUE (repeatable).")
GRID = typer.Option([], "--grid", help="Try several values: NAME=V1,V2,... (repeatable; a training parameter, architecture_params.NAME or a data parameter); one run per combination, named like mb32_ks33.")
CHECKPOINT = typer.Option("last", "--checkpoint", help="Checkpoint each model is scored at: last (honest) or best (highest macro F1 on its own validation set; flatters).")
FIGURES = typer.Option(True, "--figures/--no-figures", help="Draw the summary figures (PDF and PNG) as well as the tables.")
CLUSTER = typer.Option(None, "--cluster", help=CLUSTER_HELP)
PROGRESS = typer.Option(None, "--progress/--no-progress", help="Show a progress bar (default: on a terminal).")


def split_list(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [item.strip() for item in text.split(",") if item.strip()]


def training_setup(command: str, data: Path, values: dict):
    """``(DataParams, TrainParams)`` from the shared options' values (the names of the function parameters)."""
    from hark.train.augment import parse_augmentations
    from hark.train.data import DataParams
    from hark.train.params import TrainParams

    if not data.is_dir():
        raise HarkError(f"{data}: no such ground-truth folder")
    if values["checkpoint"] not in ("last", "best"):
        raise HarkError(f"--checkpoint {values['checkpoint']!r}: choose last or best")
    data_params = validate_params(
        DataParams,
        {
            "labels": split_list(values["labels"]),
            "kinds": split_list(values["kinds"]),
            "supervision": values["supervision"],
            "overlapped": values["overlapped"],
            "split_seed": values["split_seed"],
            "equalize": values["equalize"],
            "augmentations": parse_augmentations(values["augment"]),
            "channel": values["channel"],
            "reader": values["reader"],
            "reader_params": plugin_values(None, values["reader_param"], "--reader-param") or None,
            **plugin_values(None, values["data_param"], "--data-param"),
        },
        command,
    )
    train_params = validate_params(
        TrainParams,
        {
            "architecture": values["architecture"],
            "architecture_params": plugin_values(values["arch_params_file"], values["arch_param"], "--arch-param"),
            "optimizer": values["optimizer"],
            "learning_rate": values["learning_rate"],
            "steps": values["steps"],
            "batch_size": values["batch_size"],
            "validation_period": values["validation_period"],
            # (commands without these options train as hark train's defaults do)
            "lr_schedule": values.get("lr_schedule"),
            "warmup_steps": values.get("warmup_steps", 0),
            "early_stopping_patience": values.get("early_stopping"),
            "weight_averaging": values.get("weight_averaging", "none"),
            "frames": values["frames"],
            "weights_seed": values["weights_seed"],
            "batch_seed": values["batch_seed"],
            "device": values["device"],
            "threads": values["threads"],
        },
        command,
    )
    return data_params, train_params


def grid_settings(grid: list[str], data_params, train_params) -> list[tuple[str | None, object, object]]:
    """``[(run name or None, DataParams, TrainParams)]``: one point without ``--grid``."""
    if not grid:
        return [(None, data_params, train_params)]
    from hark.validate.grid import grid_points, parse_grid

    return grid_points(parse_grid(grid), data_params, train_params)


def run_and_report(what: str, plans: list, cluster: str | None, progress: bool | None, checkpoint: str, figures: bool) -> None:
    """Run the plans' models as one batch of jobs, print each run's summary, and fail (exit 2) if any model failed."""
    from hark.validate import runs as validation_runs

    for plan, out in plans:
        for note in plan.notes:
            typer.echo(f"note: {out}: {note}", err=True)
    n_models = sum(len(plan.runs) for plan, _ in plans)
    with progress_bar(f"{what}: training {n_models} model(s)", progress) as on_progress:
        results = validation_runs.run_validations(plans, cluster, on_progress, checkpoint, figures)
    failed = False
    for result in results:
        for outcome in result.outcomes:
            if outcome.ok:
                scores = outcome.result["scores"]
                where = f" on {outcome.worker}" if outcome.worker else ""
                typer.echo(f"{outcome.result['folder']}: step {scores['step']}, macro F1 {_show(scores['macro_f1'])}{where}")
            else:
                failed = True
                typer.echo(f"hark: error: {outcome.error}", err=True)
        if result.summary is not None:
            overall = result.summary["overall"]
            typer.echo(
                f"{result.folder}: {len(result.summary['models'])} models; summed over them: accuracy {_show(overall['accuracy'])}, "
                f"macro F1 {_show(overall['macro_f1'])} (per model {_show(result.summary['macro_f1_mean'])} "
                f"+- {_show(result.summary['macro_f1_sd'])}); tables and figures in {result.folder}"
            )
    if failed:
        typer.echo("hark: the models that failed are named above with their logs; the same command trains only what is missing", err=True)
        raise typer.Exit(2)
    folders = " ".join(str(result.folder) for result in results)
    typer.echo(f"next: hark compare {folders if len(results) > 1 else results[0].folder.parent}")


def _show(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.3f}"
