"""``hark generalize``: validate on whole withheld recordings (SongExplorer's Generalize).

Its options are generated from :class:`hark.train.requests.GeneralizeRequest`.
"""

from __future__ import annotations

import typer

from hark.cli import validation_common as common
from hark.cli.requests import request_command, request_from_cli
from hark.train.requests import GeneralizeRequest

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


def run_generalize(context: typer.Context, *, cluster: str | None, progress: bool | None, **values) -> None:
    """Measure generalization: train models that each withhold whole recordings, score each on what it withheld, sum them up."""
    from hark.errors import HarkError
    from hark.validate.folds import plan_generalization

    request = request_from_cli(GeneralizeRequest, values)
    if request.partitions is not None and request.omit != "some":
        raise HarkError("--partitions goes with --omit some")
    data_params, train_params = common.training_setup("hark generalize", request)
    plans = []
    for name, point_data, point_training in common.grid_settings(request.grid, data_params, train_params):
        plan = plan_generalization(
            request.data, point_data, point_training, request.omit, request.recordings, request.partitions, request.replicates, request.nested
        )
        plans.append((plan, request.out / name if name else request.out))
    common.run_and_report("generalize", plans, cluster, progress, request.checkpoint, request.figures)


generalize_command = request_command(
    GeneralizeRequest, run_generalize,
    ["data", "labels", "out", "omit", "recordings", "partitions", "replicates", "grid", *common.TRAINING_OPTIONS, "checkpoint", "nested", "figures",
     ..., *common.cli_options().values()],
    run_generalize.__doc__,
)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command("generalize", epilog=EXAMPLE, help=generalize_command.__doc__)(generalize_command)
