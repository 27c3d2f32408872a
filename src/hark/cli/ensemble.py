"""``hark ensemble``: average several trained models (replicates, folds) into one model folder."""

from __future__ import annotations

from pathlib import Path

import typer

from hark.errors import HarkError

EXAMPLE = """Example:

  hark train --data groundtruth --labels mel-pulse,mel-sine,ambient --replicates 3 --out replicates
  hark ensemble --out ensemble replicates/1r replicates/2r replicates/3r
  hark accuracy ensemble && hark freeze ensemble
  hark classify --model ensemble --out probabilities recordings/*.wav
"""


def ensemble_command(
    models: list[Path] = typer.Argument(..., help="Model folders to average (at least two, of the same labels, sample rate and kind)."),
    out: Path = typer.Option(..., "--out", "-o", help="Model folder to write the ensemble to (self-contained: the members' weights are copied in)."),
    checkpoint: str | None = typer.Option(None, "--checkpoint", help="Each member's checkpoint: a step, best or last (default: best by hark accuracy, else last)."),
) -> None:
    """Average the probabilities of several models into one model, which freeze, classify, ethogram and accuracy use like any other."""
    from hark.infer.engines import checked_checkpoint
    from hark.models.ensemble import make_ensemble

    chosen = checked_checkpoint(checkpoint)
    if isinstance(chosen, str) and chosen.endswith(".pt"):
        raise HarkError("--checkpoint: give a step, best or last (it applies to every member)")
    result = make_ensemble(models, out, chosen)
    geometry = f", context {result.context} and stride {result.stride} samples" if result.stride else ""
    typer.echo(f"{result.folder}: ensemble of {result.members} models{geometry}")
    if result.validation:
        typer.echo(f"the members' validation results are averaged into it; next: hark accuracy {result.folder}")
    else:
        typer.echo(f"no validation results ({result.note}); score it on test data with hark accuracy --truth")


def register(app: typer.Typer) -> None:
    app.command("ensemble", epilog=EXAMPLE, help=ensemble_command.__doc__)(ensemble_command)
