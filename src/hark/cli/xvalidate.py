"""``hark xvalidate``: k-fold cross-validation over the annotations (SongExplorer's X-Validate)."""

from __future__ import annotations

from pathlib import Path

import typer

from hark.cli import validation_common as common

EXAMPLE = """Example:

  hark xvalidate --data groundtruth --labels mel-pulse,mel-sine,ambient --folds 4 --out xval/mb32
  hark xvalidate --data groundtruth --labels mel-pulse,mel-sine,ambient --folds -4 --out xval/quarter
  hark xvalidate --data groundtruth --labels mel-pulse,mel-sine,ambient --folds 4 --replicates 2 \\
      --grid batch_size=32,64 --grid architecture_params.kernel_size=33,65 --out xval --cluster local
  hark compare xval

Each fold validates on 1/k of the annotated sounds (dealt label by label) and trains on the
rest; --folds -4 trains each model on a quarter and validates on the other three (does more
annotation help?). With --supervision dense each recording is cut into blocks (at least k) and
the blocks are dealt into the folds. Models go to OUT/<fold>k_<replicate>r; the summed confusion matrix and
per-label precision, recall and F1 to OUT/summary.json, models.csv, labels.csv and figures.
"""


def xvalidate_command(
    data: Path = common.DATA,
    labels: str = common.LABELS,
    out: Path = common.OUT,
    folds: int = typer.Option(..., "--folds", "-k", help="Folds k: each model validates on 1/k and trains on the rest; negative: trains on 1/|k| and validates on the rest."),
    replicates: int = common.REPLICATES,
    grid: list[str] = common.GRID,
    kinds: str = common.KINDS,
    supervision: str = common.SUPERVISION,
    overlapped: bool = common.OVERLAPPED,
    architecture: str | None = common.ARCHITECTURE,
    arch_param: list[str] = common.ARCH_PARAM,
    arch_params_file: Path | None = common.ARCH_PARAMS_FILE,
    optimizer: str = common.OPTIMIZER,
    learning_rate: float = common.LEARNING_RATE,
    steps: int = common.STEPS,
    batch_size: int = common.BATCH_SIZE,
    validation_period: int = common.VALIDATION_PERIOD,
    lr_schedule: str | None = common.LR_SCHEDULE,
    warmup_steps: int = common.WARMUP_STEPS,
    early_stopping: int | None = common.EARLY_STOPPING,
    weight_averaging: str = common.WEIGHT_AVERAGING,
    frames: int = common.FRAMES,
    split_seed: int = common.SPLIT_SEED,
    equalize: bool = common.EQUALIZE,
    data_param: list[str] = common.DATA_PARAM,
    augment: list[str] = common.AUGMENT,
    weights_seed: int = common.WEIGHTS_SEED,
    batch_seed: int = common.BATCH_SEED,
    device: str = common.DEVICE,
    threads: int = common.THREADS,
    channel: int = common.CHANNEL,
    reader: str = common.READER,
    reader_param: list[str] = common.READER_PARAM,
    checkpoint: str = common.CHECKPOINT,
    figures: bool = common.FIGURES,
    cluster: str | None = common.CLUSTER,
    progress: bool | None = common.PROGRESS,
) -> None:
    """Cross-validate: train one model per fold (and replicate) on the rest of the annotations, score each on its fold, sum them up."""
    from hark.validate.folds import plan_xvalidation

    values = dict(locals())
    data_params, train_params = common.training_setup("hark xvalidate", data, values)
    plans = []
    for name, point_data, point_training in common.grid_settings(grid, data_params, train_params):
        plan = plan_xvalidation(data, point_data, point_training, folds, replicates)
        plans.append((plan, out / name if name else out))
    common.run_and_report("xvalidate", plans, cluster, progress, checkpoint, figures)


def register(app: typer.Typer) -> None:
    app.command("xvalidate", epilog=EXAMPLE, help=xvalidate_command.__doc__)(xvalidate_command)
