"""``hark freeze``: export a model to ONNX, checked against torch."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from hark.cli.common import JOB_CLUSTER_HELP, folder_cluster_settings, run_jobs_or_exit

EXAMPLE = """Example:

  hark freeze model                     # the best checkpoint (by hark accuracy), else the last
  hark freeze model --checkpoint 3000
  hark classify --model model --engine onnx --out probabilities recordings/*.wav
"""


def freeze_command(
    model: Path = typer.Argument(..., help="Model folder (written by hark train)."),
    checkpoint: str | None = typer.Option(None, "--checkpoint", help="Checkpoint to export: a step, best, last or a ckpt-N.pt path (default: best, else last)."),
    cluster: str | None = typer.Option(None, "--cluster", help=JOB_CLUSTER_HELP),
) -> None:
    """Export a model and its output activation to MODEL/frozen.onnx; onnxruntime must reproduce torch's probabilities."""
    from hark.infer.engines import FROZEN_INFO
    from hark.infer.freeze import freeze_model

    settings = folder_cluster_settings(cluster, model)
    if settings is not None:
        from hark.jobs import Job

        job = Job("freeze", {"model": str(model.resolve()), "checkpoint": checkpoint}, f"freeze {model}", model.resolve() / "freeze.log")
        path = Path(run_jobs_or_exit([job], settings)[0].result["path"])
    else:
        path = freeze_model(model, checkpoint)
    info = json.loads((path.parent / FROZEN_INFO).read_text())
    typer.echo(
        f"{path}: checkpoint of step {info['step']}, onnxruntime agrees with torch to "
        f"{info['parity_max_abs_difference']:.1g}"
    )


def register(app: typer.Typer) -> None:
    app.command("freeze", epilog=EXAMPLE, help=freeze_command.__doc__)(freeze_command)
