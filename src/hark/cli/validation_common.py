"""What ``hark xvalidate`` and ``hark generalize`` share: the training options (generated from
:class:`hark.train.requests.ValidationRequest`), and running and reporting."""

from __future__ import annotations

import inspect
import math

import typer

from hark.cli.common import CLUSTER_HELP, load_param_file, progress_bar
from hark.cli.requests import cli_option
from hark.errors import HarkError
from hark.params import validate_params

# --help's order of the options both commands share (the request's fields, hark.train.requests;
# a field added there lands at the "..." by itself)
TRAINING_OPTIONS = (
    "kinds", "supervision", "overlapped", "architecture", "architecture_params", "arch_params_file", "optimizer", "learning_rate", "steps",
    "batch_size", "validation_period", "lr_schedule", "warmup_steps", "early_stopping_patience", "weight_averaging", "frames",
    "split_seed", "equalize", "data_params", "augment", "weights_seed", "batch_seed", "device", "threads", "channel", "reader", "reader_params",
)  # fmt: skip


def cli_options() -> dict[str, inspect.Parameter]:
    """The options of both commands that only the command line has."""
    return {
        "cluster": cli_option("cluster", str | None, typer.Option(None, "--cluster", help=CLUSTER_HELP)),
        "progress": cli_option("progress", bool | None, typer.Option(None, "--progress/--no-progress", help="Show a progress bar (default: on a terminal).")),
    }  # fmt: skip


def training_setup(command: str, request):
    """``(DataParams, TrainParams)`` of a validation request (:class:`hark.train.requests.ValidationRequest`)."""
    from hark.train.data import DataParams
    from hark.train.params import TrainParams

    if not request.data.is_dir():
        raise HarkError(f"{request.data}: no such ground-truth folder")
    data_params = validate_params(DataParams, request.data_values(), command)
    architecture_params = {**load_param_file(request.arch_params_file), **request.architecture_params}
    train_params = validate_params(TrainParams, request.training_values(architecture_params), command)
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
