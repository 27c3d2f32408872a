"""``hark congruence``: agreement of hark's predictions with dense human annotations."""

from __future__ import annotations

from pathlib import Path

import typer

from hark.cli.common import JOB_CLUSTER_HELP, folder_cluster_settings, run_jobs_or_exit


def congruence_command(
    truth: Path = typer.Option(..., "--truth", help="Folder of dense human annotations (<rec>-annotated-<name>.csv)."),
    predictions: Path = typer.Option(..., "--predictions", help="Folder where hark classify and hark ethogram wrote."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Folder for tables and figures (default: PREDICTIONS/congruence)."),
    tolerance_ms: float = typer.Option(10.0, "--tolerance-ms", min=0, help="Point events match within this many ms."),
    labels: str | None = typer.Option(None, "--labels", help="Labels to compare, comma-separated (default: all the annotators used)."),
    rate: int | None = typer.Option(None, "--rate", min=1, help="Sample rate, when neither probabilities nor recordings give it."),
    cluster: str | None = typer.Option(None, "--cluster", help=JOB_CLUSTER_HELP),
) -> None:
    """Tic- and event-level agreement (everyone, only X, not X), precision, recall and F1 against each annotator, and dense thresholds.

    Example:

      hark congruence --truth dense-annotations --predictions predictions
    """
    from hark.infer.congruence import folder_congruence

    chosen = [label.strip() for label in labels.split(",") if label.strip()] if labels else None
    settings = folder_cluster_settings(cluster, truth)
    if settings is not None:
        from hark.jobs import Job

        params = {"truth": str(truth.resolve()), "predictions": str(predictions.resolve()), "out": str(out.resolve()) if out else None,
                  "tolerance_ms": tolerance_ms, "labels": chosen, "samplerate": rate}  # fmt: skip
        log = (out or predictions / "congruence").resolve() / "congruence.log"
        outcome = run_jobs_or_exit([Job("congruence", params, f"congruence of {predictions}", log)], settings)[0]
        typer.echo(f"tables and figures in {outcome.result['out']}")
        return
    result = folder_congruence(truth, predictions, out, tolerance_ms, chosen, rate)
    for name, congruence in result.results.items():
        for agreement in congruence.agreements:
            if agreement.level == "event":
                typer.echo(
                    f"{name} {agreement.label} vs {agreement.reference}: precision {agreement.precision:.3f}, "
                    f"recall {agreement.recall:.3f}, F1 {agreement.f1:.3f} (events)"
                )
    if result.sweep is not None:
        for row in result.sweep.dense:
            typer.echo(f"dense threshold {row.label} at ratio {row.ratio:g}: {row.threshold:.3f} (precision {row.precision:.3f}, recall {row.recall:.3f})")
    if result.model_thresholds is not None:
        typer.echo(f"dense thresholds saved in {result.model_thresholds} (hark ethogram --dense uses them)")
    typer.echo(f"tables and figures in {result.out}")


def register(app: typer.Typer) -> None:
    app.command("congruence")(congruence_command)
