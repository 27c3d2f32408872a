"""``hark generalize``: validate on whole withheld recordings (SongExplorer's Generalize)."""

from __future__ import annotations

from pathlib import Path

import typer

from hark.cli import validation_common as common

EXAMPLE = """Example:

  hark generalize --data groundtruth --labels mel-pulse,mel-sine,ambient --omit one --out gen
  hark generalize --data groundtruth --labels mel-pulse,mel-sine,ambient --omit some --partitions 3 --out gen3
  hark generalize --data groundtruth --labels mel-pulse,mel-sine,ambient --omit all --recordings day3/ --out day3

--omit one trains one model per recording (of --recordings, default: every annotated one),
scoring it and training on all the others; --omit some deals the recordings into
--partitions sets and withholds one set per model; --omit all trains one model that
withholds every recording of --recordings. Models go to OUT/<set>w_<replicate>r
(cross-validation.json lists what each withholds); the summary as for hark xvalidate.

Nested (the default): each model tunes its checkpoint (--checkpoint best: the highest macro
F1), its thresholds at the sensitivity ratios 0.5, 1 and 2 (high-recall, balanced,
high-precision; of the calibrated probabilities hark ethogram compares) and, for dense
models, hark ethogram's --min-duration-ms and --fill-gap-ms at each ratio (by event F1) on its
own validation split of the OTHER recordings, and scores its withheld recording once with
them; OUT/<model>/tuned.json holds what it chose, OUT/recordings.csv gives each withheld
recording's figures and choices, summary.json their spread (mean, std, min, max),
OUT/generalization.pdf/.png draws them. --no-nested validates on the withheld recordings
themselves (the old way: what is chosen has seen them).
"""


def generalize_command(
    data: Path = common.DATA,
    labels: str = common.LABELS,
    out: Path = common.OUT,
    omit: str = typer.Option("one", "--omit", help="one (a model per withheld recording), some (a model per partition of the recordings) or all (one model withholding them all)."),
    recordings: str | None = typer.Option(None, "--recordings", help="Recordings to withhold: names (comma-separated), a text file of names or a subfolder (default for one and some: every annotated recording)."),
    partitions: int | None = typer.Option(None, "--partitions", help="--omit some: how many sets the recordings are dealt into."),
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
    checkpoint: str = typer.Option("best", "--checkpoint", help="Checkpoint each model is scored at: best (nested: the highest macro F1 on its own validation split of the other recordings) or last."),
    nested: bool = typer.Option(True, "--nested/--no-nested", help="Tune on the other recordings and score the withheld ones once (default), or validate on the withheld ones."),
    figures: bool = common.FIGURES,
    cluster: str | None = common.CLUSTER,
    progress: bool | None = common.PROGRESS,
) -> None:
    """Measure generalization: train models that each withhold whole recordings, score each on what it withheld, sum them up."""
    from hark.errors import HarkError
    from hark.validate.folds import plan_generalization

    if omit not in ("one", "some", "all"):
        raise HarkError(f"--omit {omit!r}: choose one, some or all")
    if partitions is not None and omit != "some":
        raise HarkError("--partitions goes with --omit some")
    values = dict(locals())
    data_params, train_params = common.training_setup("hark generalize", data, values)
    withheld = common.split_list(recordings)
    plans = []
    for name, point_data, point_training in common.grid_settings(grid, data_params, train_params):
        plan = plan_generalization(data, point_data, point_training, omit, withheld, partitions, replicates, nested)
        plans.append((plan, out / name if name else out))
    common.run_and_report("generalize", plans, cluster, progress, checkpoint, figures)


def register(app: typer.Typer) -> None:
    app.command("generalize", epilog=EXAMPLE, help=generalize_command.__doc__)(generalize_command)
