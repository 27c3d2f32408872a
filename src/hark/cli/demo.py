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
    """Generate synthetic fly song, mouse USVs and whale upcalls with known answers, then detect sounds in them.

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


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)
