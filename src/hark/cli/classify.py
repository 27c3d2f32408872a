"""``hark classify``: per-label probabilities over time for each recording."""

from __future__ import annotations

from pathlib import Path

import typer

from hark.cli.common import CLUSTER_HELP, cluster_settings, given_on_command_line, plugin_values, progress_bar
from hark.cli.detect import expand_recordings
from hark.errors import HarkError

EXAMPLE = """Example:

  hark classify --model model --out probabilities recordings/*.wav
  hark classify --model model --out probabilities --prior mel-pulse=0.02 --prior mel-sine=0.03 song.wav
  hark classify --model model --out probabilities --engine onnx --device cpu long.wav
  hark classify --model model --out probabilities --cluster tcp://labserver:8786 recordings/

Each recording gets DIR/<rec>-probabilities.npy (float32, frames x labels) and a .json
saying what rows and columns mean; hark ethogram turns them into events. A folder holds
the probabilities of one model and checkpoint: --move-old moves those of another aside.
"""


def classify_command(
    context: typer.Context,
    recordings: list[Path] = typer.Argument(..., help="Recordings, or folders of recordings, to classify."),
    model: Path = typer.Option(..., "--model", "-m", help="Model folder (written by hark train)."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the probabilities."),
    checkpoint: str | None = typer.Option(None, "--checkpoint", help="Checkpoint to use: a step, best, last or a ckpt-N.pt path (default: best, else last)."),
    engine: str = typer.Option("auto", "--engine", help="torch (a checkpoint), onnx (MODEL/frozen.onnx) or auto (the frozen model when up to date)."),
    device: str = typer.Option("auto", "--device", help="auto (a GPU when there is one), cpu, cuda or cuda:N."),
    chunk_seconds: float | None = typer.Option(None, "--chunk-seconds", help="Seconds of audio per chunk (default: 2^20 samples); bounds memory."),
    prior: list[str] = typer.Option([], "--prior", help="Prevalence of a label where the recordings come from, LABEL=P (repeatable)."),
    channel: int = typer.Option(0, "--channel", min=0, help="Channel of multi-channel recordings (from 0)."),
    reader: str = typer.Option("auto", "--reader", help="Audio reader plugin (auto: by file ending; highpass: filtered)."),
    reader_param: list[str] = typer.Option([], "--reader-param", help="Audio reader parameter NAME=VALUE (repeatable)."),
    workers: int = typer.Option(1, "--workers", "-j", min=1, help="Recordings classified at once, in separate processes sharing the cores; with --cluster local, its worker processes."),
    cluster: str | None = typer.Option(None, "--cluster", help=CLUSTER_HELP),
    progress: bool | None = typer.Option(None, "--progress/--no-progress", help="Show a progress bar (default: on a terminal)."),
    move_old: bool = typer.Option(False, "--move-old", help="Move probabilities of another model or checkpoint in OUT into OUT/oldfiles-<time>/ (default: refuse to mix them)."),
) -> None:
    """Classify recordings with a trained model; writes <rec>-probabilities.npy and .json to OUT."""
    from hark.infer.classify import classify_recordings
    from hark.infer.priors import parse_priors

    if engine not in ("auto", "torch", "onnx"):
        raise HarkError(f"--engine {engine!r}: expected auto, torch or onnx")
    if chunk_seconds is not None and chunk_seconds <= 0:
        raise HarkError(f"--chunk-seconds {chunk_seconds:g} must be positive")
    priors = parse_priors(prior)
    paths = expand_recordings(recordings)
    reader_values = plugin_values(None, reader_param, "--reader-param") or None
    settings = cluster_settings(cluster, paths, workers if given_on_command_line(context, "workers") else None)
    with progress_bar(f"classifying {len(paths)} recording(s)", progress) as on_progress:
        results = classify_recordings(
            model, paths, out, engine, device, chunk_seconds, priors or None, workers, on_progress,
            checkpoint=checkpoint, channel=channel, reader=reader, reader_params=reader_values, cluster=settings,
            move_old=move_old,
        )
    for result in results:
        if result.ok:
            typer.echo(f"{result.output}: {result.frames} frames")
    failed = [r for r in results if not r.ok]
    for result in failed:
        typer.echo(f"hark: error: {result.error}", err=True)
    if failed:
        raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    app.command("classify", epilog=EXAMPLE, help=classify_command.__doc__)(classify_command)
