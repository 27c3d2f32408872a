"""``hark activations``: hidden-layer activations of chosen sounds, for hark cluster."""

from __future__ import annotations

from pathlib import Path

import typer

from hark.cli.common import JOB_CLUSTER_HELP, folder_cluster_settings, progress_bar, run_jobs_or_exit

EXAMPLE = """Example:

  hark activations --model model --data groundtruth --out activations
  hark activations --model model --data groundtruth --out activations --kinds annotated,detected,missed --max-sounds 5000 --equalize-ratio 10
  hark cluster activations --method umap

Writes OUT/sounds.csv (the sounds, in order), OUT/layers/<layer>.npy (one row per sound)
and OUT/activations.json. Each sound is the model's context window centred on the event.
"""


def activations_command(
    model: Path = typer.Option(..., "--model", "-m", help="Model folder (written by hark train); a frame model."),
    data: Path = typer.Option(..., "--data", "-d", help="Ground-truth folder whose events to embed."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the activations."),
    kinds: str = typer.Option("annotated,detected", "--kinds", help="Kinds of events to embed, comma-separated (annotated, detected, predicted, missed, ...)."),
    labels: str | None = typer.Option(None, "--labels", help="Labels to embed, comma-separated (default: all of those kinds)."),
    max_sounds: int = typer.Option(10_000, "--max-sounds", help="At most this many sounds, drawn at random per label."),
    equalize_ratio: float | None = typer.Option(None, "--equalize-ratio", help="At most this many times as many sounds of a label as of the rarest one."),
    layer: list[str] = typer.Option([], "--layer", help="Hidden layer to keep (repeatable; default: every one)."),
    checkpoint: str | None = typer.Option(None, "--checkpoint", help="Checkpoint: a step, best or last (default: best, else last)."),
    seed: int = typer.Option(1, "--seed", help="Seed of the random choice of sounds."),
    progress: bool | None = typer.Option(None, "--progress/--no-progress", help="Show a progress bar (default: on a terminal)."),
    cluster: str | None = typer.Option(None, "--cluster", help=JOB_CLUSTER_HELP),
) -> None:
    """Run chosen sounds through a trained model and keep each hidden layer's activations."""
    from hark.embed import ActivationParams, compute_activations
    from hark.params import validate_params

    values = {"kinds": kinds, "labels": labels, "max_sounds": max_sounds, "equalize_ratio": equalize_ratio,
              "layers": layer or None, "seed": seed}  # fmt: skip
    params = validate_params(ActivationParams, values, "activations")
    settings = folder_cluster_settings(cluster, data)
    if settings is not None:
        from hark.jobs import Job

        job_params = {"model": str(model.resolve()), "data_root": str(data.resolve()), "out": str(out.resolve()),
                      "checkpoint": checkpoint, "params": params.model_dump(mode="json")}  # fmt: skip
        with progress_bar("activations", progress) as on_progress:
            outcome = run_jobs_or_exit([Job("activations", job_params, f"activations {out}", out.resolve() / "activations.log")], settings, on_progress)
        typer.echo(f"{outcome[0].result['sounds']} sounds; map them with: hark cluster {out}")
        return
    with progress_bar("activations", progress) as on_progress:
        result = compute_activations(model, data, params, out, checkpoint, on_progress)
    found = result.meta["events_found"]
    typer.echo(f"{len(result.sounds)} sounds of {found} found; layers: {', '.join(f'{n} ({c}x{f})' for n, (c, f) in result.layers.items())}")
    typer.echo(f"activations in {result.folder}; map them with: hark cluster {result.folder}")


def register(app: typer.Typer) -> None:
    app.command("activations", epilog=EXAMPLE, help=activations_command.__doc__)(activations_command)
