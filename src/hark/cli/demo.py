"""``hark demo``: generate demo recordings and run the main job on them."""

from __future__ import annotations

from pathlib import Path

import typer

from hark.demo.generate import generate_all
from hark.demo.run import run_demo


def demo_command(
    out: Path = typer.Option(Path("demo-output"), "--out", "-o", help="Folder for the demo data and results."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of the generated recordings."),
    generate_only: bool = typer.Option(False, "--generate-only", help="Only write the demo recordings and their CSVs."),
) -> None:
    """Generate synthetic fly song, mouse USVs and whale upcalls with known answers, detect sounds in them, and train, check and apply a fly-song model.

    Example:

      hark demo --out demo-output
    """
    if generate_only:
        generated = generate_all(Path(out) / "data", seed=seed)
        for species, recordings in generated.items():
            typer.echo(f"{species}: {len(recordings)} recordings in {recordings[0].wav.parent}")
        return
    report = run_demo(out, seed, progress=lambda message: typer.echo(f"hark demo: {message}"))
    typer.echo(f"\nDemo recordings and their annotations: {report.data}")
    for species in report.reports:
        typer.echo(f"{species.species}: detections in {species.detections[0].parent}, figure {species.figure}")
        for name, score in species.scores.items():
            typer.echo(f"  {name}: {score.hit}/{score.total} ({score.fraction:.0%})")
    supervised = report.supervised
    if supervised is not None:
        typer.echo(f"model: {supervised.model} (accuracy tables and figures in {supervised.accuracy})")
        typer.echo("  validation F1: " + ", ".join(f"{k} {v:.2f}" for k, v in supervised.validation_f1.items()))
        typer.echo(f"ethogram of an unseen recording in {supervised.predictions}, event F1 (10 ms) against the known answers:")
        typer.echo("  " + ", ".join(f"{k} {v:.2f}" for k, v in supervised.event_f1.items()))


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)
