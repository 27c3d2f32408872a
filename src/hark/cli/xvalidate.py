"""``hark xvalidate``: k-fold cross-validation over the annotations (SongExplorer's X-Validate).

Its options are generated from :class:`hark.train.requests.XValidateRequest`.
"""

from __future__ import annotations

import typer

from hark.cli import validation_common as common
from hark.cli.requests import request_command, request_from_cli
from hark.train.requests import XValidateRequest

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


def run_xvalidate(context: typer.Context, *, cluster: str | None, progress: bool | None, **values) -> None:
    """Cross-validate: train one model per fold (and replicate) on the rest of the annotations, score each on its fold, sum them up."""
    from hark.validate.folds import plan_xvalidation

    request = request_from_cli(XValidateRequest, values)
    data_params, train_params = common.training_setup("hark xvalidate", request)
    plans = []
    for name, point_data, point_training in common.grid_settings(request.grid, data_params, train_params):
        plan = plan_xvalidation(request.data, point_data, point_training, request.folds, request.replicates)
        plans.append((plan, request.out / name if name else request.out))
    common.run_and_report("xvalidate", plans, cluster, progress, request.checkpoint, request.figures)


xvalidate_command = request_command(
    XValidateRequest, run_xvalidate,
    ["data", "labels", "out", "folds", "replicates", "grid", *common.TRAINING_OPTIONS, "checkpoint", "figures", ...,
     *common.cli_options().values()],
    run_xvalidate.__doc__,
)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command("xvalidate", epilog=EXAMPLE, help=xvalidate_command.__doc__)(xvalidate_command)
