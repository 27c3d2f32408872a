"""``hark compare``: cross-validation runs side by side (SongExplorer's Compare)."""

from __future__ import annotations

from pathlib import Path

import typer

EXAMPLE = """Example:

  hark compare xval                      # every run in xval/ (e.g. xval/mb32_ks33, xval/mb64_ks33)
  hark compare xval/mb32 xval/mb64 --out xval/batch-size

Runs are folders written by hark xvalidate or hark generalize, or model folders (a run of one
model: e.g. the rounds of hark train --continue). Parameters that differ
between the runs' settings, and SongExplorer-style name tokens (mb64_ks129_fm64: mb=64,
ks=129, fm=64), become columns of compare.csv, with each run's summed accuracy, macro
precision, recall and F1, trainable parameters and training seconds; labels.csv and
confusion-matrices.csv hold the per-label scores and the summed confusion matrices;
compare-overview, compare-confusion-matrices and compare-precision-recall (PDF, PNG) draw them.
"""


def compare_command(
    runs: list[Path] = typer.Argument(..., help="Cross-validation runs (folders written by hark xvalidate or hark generalize), model folders (a run of one model, e.g. a round of hark train --continue), or folders of runs."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Folder for the tables and figures (default: compare/ beside the runs)."),
    figures: bool = typer.Option(True, "--figures/--no-figures", help="Draw the figures (PDF and PNG) as well as the tables."),
) -> None:
    """Compare cross-validation runs: accuracy against parameters and training time, summed confusion matrices, per-label precision and recall."""
    import math

    from hark.validate.compare import compare_runs

    comparison = compare_runs(runs, out, draw=figures)
    for row in comparison.table:
        settings = ", ".join(f"{key}={row[key]}" for key in comparison.parameters)
        f1 = row["macro_f1"]
        shown = "n/a" if isinstance(f1, float) and math.isnan(f1) else f"{f1:.3f}"
        typer.echo(f"{row['run']}: macro F1 {shown}, {row['parameters']} parameters{'; ' + settings if settings else ''}")
    typer.echo(f"wrote compare.csv, labels.csv and figures to {comparison.folder}")


def register(app: typer.Typer) -> None:
    app.command("compare", epilog=EXAMPLE, help=compare_command.__doc__)(compare_command)
