"""``hark classify``: per-label probabilities over time for each recording."""

from __future__ import annotations

import typer

from hark.cli.common import CLUSTER_HELP, cluster_settings, given_on_command_line, progress_bar
from hark.cli.detect import expand_recordings
from hark.cli.requests import cli_option, request_command, request_from_cli
from hark.infer.requests import ClassifyRequest

EXAMPLE = """Example:

  hark classify --model model --out probabilities recordings/*.wav
  hark classify --model model --out probabilities --prior mel-pulse=0.02 --prior mel-sine=0.03 song.wav
  hark classify --model model --out probabilities --engine onnx --device cpu long.wav
  hark classify --model model --out probabilities --cluster tcp://labserver:8786 recordings/
  hark classify --model model --out probabilities --channel all stereo.wav

Each recording gets DIR/<rec>-probabilities.npy (float32, frames x labels) and a .json
saying what rows and columns mean; hark ethogram turns them into events. A folder holds
the probabilities of one model and checkpoint: --move-old moves those of another aside.
A clip model reads each file window by window (DIR/<rec>-windows.csv) and writes one row
per file, aggregated, to DIR/predictions.csv: file, a probability per label, label.
--channel all (or a list, 0,2) classifies each channel of a recording on its own, into
DIR/<rec>-ch<N>-probabilities.npy (docs/channels.md).
"""


def run_classify(context: typer.Context, *, workers: int, cluster: str | None, progress: bool | None, **values) -> None:
    from hark.infer.classify import classify
    from hark.infer.priors import parse_priors

    request = request_from_cli(ClassifyRequest, values, priors=parse_priors(values["priors"]) or None)
    paths = expand_recordings(request.recordings)  # the values are checked first, then the files
    request = request.model_copy(update={"recordings": paths})
    settings = cluster_settings(cluster, paths, workers if given_on_command_line(context, "workers") else None)
    with progress_bar(f"classifying {len(paths)} recording(s)", progress) as on_progress:
        results = classify(request, workers=workers, progress=on_progress, cluster=settings, report=lambda line: typer.echo(line, err=True))
    for result in results:
        if result.ok:
            typer.echo(f"{result.output}: {result.frames} frames")
    failed = [r for r in results if not r.ok]
    for result in failed:
        typer.echo(f"hark: error: {result.error}", err=True)
    if failed:
        raise typer.Exit(2)


classify_command = request_command(
    ClassifyRequest, run_classify, [
        "recordings", "model", "out", "checkpoint", "engine", "device", "chunk_seconds", "priors", "channel", "reader", "reader_params",
        cli_option("workers", int, typer.Option(1, "--workers", "-j", min=1, help="Recordings classified at once, in separate processes sharing the cores; with --cluster local, its worker processes.")),
        cli_option("cluster", str | None, typer.Option(None, "--cluster", help=CLUSTER_HELP)),
        cli_option("progress", bool | None, typer.Option(None, "--progress/--no-progress", help="Show a progress bar (default: on a terminal).")),
        "move_old", "window_overlap", "aggregation",
    ],
    "Classify recordings with a trained model; writes <rec>-probabilities.npy and .json to OUT.",
)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command("classify", epilog=EXAMPLE, help=classify_command.__doc__)(classify_command)
