"""``hark accuracy``: how well a trained model classifies its validation sounds."""

from __future__ import annotations

from pathlib import Path

import typer

from hark.errors import HarkError


def _ratios(text: str) -> list[float]:
    try:
        ratios = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise HarkError(f"--ratio {text!r}: expected numbers separated by commas, like 1.0,10") from None
    if not ratios or any(r <= 0 for r in ratios):
        raise HarkError(f"--ratio {text!r}: precision/recall ratios must be positive")
    return ratios


def accuracy_command(
    model: Path = typer.Argument(..., help="Model folder written by hark train."),
    ratio: str = typer.Option("1.0", "--ratio", help="Precision/recall ratios to find thresholds for, comma-separated (1.0: P = R; 10: P = 10 R)."),
    figures: bool = typer.Option(True, "--figures/--no-figures", help="Draw the figures (PDF and PNG) as well as the tables."),
) -> None:
    """Confusion matrices, precision, recall and F1 of every checkpoint, the best one, thresholds per precision/recall ratio, curves and figures.

    Example:

      hark accuracy model --ratio 1.0,10
    """
    from rich.console import Console
    from rich.table import Table

    from hark.evaluate.model_accuracy import model_accuracy

    ratios = _ratios(ratio)
    result = model_accuracy(model, ratios, draw=figures)
    metrics = result.best.metrics
    table = Table(title=f"{model}: best checkpoint, step {result.best_step}")
    for column in ("label", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="left" if column == "label" else "right")
    for m in metrics.per_label:
        table.add_row(m.label, f"{m.precision:.3f}", f"{m.recall:.3f}", f"{m.f1:.3f}", str(m.support))
    table.add_row("overall (macro)", f"{metrics.macro_precision:.3f}", f"{metrics.macro_recall:.3f}", f"{metrics.macro_f1:.3f}", str(metrics.examples))
    Console(highlight=False).print(table)
    for curves in result.best.curves:
        typer.echo(f"{curves.label}: ROC AUC {curves.roc_auc:.3f}, average precision {curves.average_precision:.3f}")
    typer.echo(f"accuracy {metrics.accuracy:.3f}; tables and figures in {Path(model) / 'accuracy'}")


def register(app: typer.Typer) -> None:
    app.command("accuracy")(accuracy_command)
