"""``hark accuracy``: how well a trained model classifies its validation sounds, or how well its
syllables match annotated test recordings (``--truth``)."""

from __future__ import annotations

import math
from pathlib import Path

import typer

from hark.cli.common import JOB_CLUSTER_HELP, folder_cluster_settings, run_jobs_or_exit
from hark.errors import HarkError


def _ratios(text: str) -> list[float]:
    try:
        ratios = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise HarkError(f"--ratio {text!r}: expected numbers separated by commas, like 1.0,10") from None
    if not ratios or any(r <= 0 for r in ratios):
        raise HarkError(f"--ratio {text!r}: precision/recall ratios must be positive")
    return ratios


def _is_autoencoder(model: Path) -> bool:
    from hark.models.store import load_config
    from hark.train.supervisions import supervision_of

    return model.is_dir() and (model / "config.json").is_file() and supervision_of(load_config(model).supervision).reconstructs


def _reconstruction_accuracy(model: Path) -> None:
    """An autoencoder has no labels to score: its checkpoints' reconstruction errors instead (cheap: no job)."""
    from hark.evaluate.reconstruction import reconstruction_accuracy

    result = reconstruction_accuracy(model)
    for row in result.checkpoints:
        typer.echo(f"step {row.step}: reconstruction error {row.error:.4g}, variance explained {row.variance_explained:.3f}")
    best = result.best
    typer.echo(
        f"best step {best.step}: reconstruction error {best.error:.4g} (mean squared error of the standardised input, "
        f"validation windows), variance explained {best.variance_explained:.3f}; table in {result.folder / 'reconstruction.csv'}"
    )


def accuracy_command(
    model: Path | None = typer.Argument(None, help="Model folder written by hark train (not with --truth)."),
    ratio: str | None = typer.Option(None, "--ratio", help="Precision/recall ratios to find thresholds for, comma-separated (1.0: P = R; 10: P = 10 R; default 0.5,1,2: the sensitivity presets). With --truth: the ratio of the predictions to score, when PREDICTIONS holds several."),
    figures: bool = typer.Option(True, "--figures/--no-figures", help="Draw the figures (PDF and PNG) as well as the tables."),
    truth: Path | None = typer.Option(None, "--truth", help="Ground-truth folder of annotated test recordings (<rec>-annotated-<name>.csv): score the syllables hark ethogram predicted for them. Or a clip-label table (file,label[,split][,group]): score hark classify's PREDICTIONS/predictions.csv, one label per file."),
    predictions: Path | None = typer.Option(None, "--predictions", help="With --truth: the folder of hark ethogram's <rec>-predicted-<ratio>pr.csv; with a clip-label table, hark classify's --out folder (or its predictions.csv)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="With --truth: the folder for tables and figures (default: PREDICTIONS/accuracy)."),
    tolerance_ms: float = typer.Option(10.0, "--tolerance-ms", min=0, help="With --truth: on- and offsets match when at most this many ms apart."),
    labels: str | None = typer.Option(None, "--labels", help="With --truth: the labels to score, comma-separated (default: all)."),
    collar_ms: float = typer.Option(200.0, "--collar-ms", min=0, help="With --truth: DCASE event-based on- and offset collar."),
    offset_fraction: float = typer.Option(0.2, "--offset-fraction", min=0, max=1, help="With --truth: DCASE event-based offsets may also be off by this fraction of the annotated duration."),
    segment_ms: float = typer.Option(1000.0, "--segment-ms", min=0, help="With --truth: DCASE segment-based segment length."),
    cluster: str | None = typer.Option(None, "--cluster", help=JOB_CLUSTER_HELP),
) -> None:
    """Confusion matrices, precision, recall and F1 of every checkpoint, the best one, thresholds per precision/recall ratio, curves and figures; or, with --truth, syllable scores against annotated test recordings.

    Examples:

      hark accuracy model --ratio 1.0,10

      hark accuracy --truth test-recordings --predictions predictions --tolerance-ms 10
    """
    if truth is not None:
        _truth_accuracy(model, truth, predictions, ratio, out, figures, labels, tolerance_ms, collar_ms, offset_fraction, segment_ms)
        return
    if model is None:
        raise HarkError("give a model folder (hark accuracy MODEL), or --truth and --predictions to score predicted syllables")
    if predictions is not None or out is not None or labels is not None:
        raise HarkError("--predictions, --out and --labels go with --truth; hark accuracy MODEL writes to MODEL/accuracy")
    from rich.console import Console
    from rich.table import Table

    from hark.evaluate.model_accuracy import PRESET_RATIOS, model_accuracy

    ratios = _ratios(ratio) if ratio else list(PRESET_RATIOS)
    if _is_autoencoder(model):
        _reconstruction_accuracy(model)
        return
    settings = folder_cluster_settings(cluster, model)
    if settings is not None:
        from hark.jobs import Job

        job = Job("accuracy", {"model": str(model.resolve()), "ratios": ratios, "draw": figures}, f"accuracy {model}", model.resolve() / "accuracy.log")
        result = run_jobs_or_exit([job], settings)[0].result
        typer.echo(f"best step {result['best_step']}: macro F1 {result['macro_f1']:.3f}, accuracy {result['accuracy']:.3f}; tables and figures in {model / 'accuracy'}")
        return
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
    temperature = result.temperatures.get(result.best_step, 1.0)
    typer.echo(f"calibrated: temperature {temperature:.3g} (thresholds of the calibrated probabilities)")
    typer.echo(f"accuracy {metrics.accuracy:.3f}; tables and figures in {Path(model) / 'accuracy'}")


def _truth_accuracy(model, truth, predictions, ratio, out, figures, labels, tolerance_ms, collar_ms, offset_fraction, segment_ms) -> None:
    from rich.console import Console
    from rich.table import Table

    from hark.evaluate.segment_metrics import ScoringParams
    from hark.evaluate.truth_accuracy import truth_accuracy
    from hark.params import validate_params

    if model is not None:
        raise HarkError(f"--truth scores the predictions in --predictions and takes no model folder ({model}); hark ethogram applied the model")
    if predictions is None:
        raise HarkError("--truth needs --predictions: the folder of hark ethogram's <rec>-predicted-<ratio>pr.csv")
    from hark.annotations.folder import lists_recordings

    if lists_recordings(truth):  # a clip-label table: score hark classify's predictions.csv, one row per file
        _clip_truth_accuracy(truth, predictions, out, figures, labels)
        return
    chosen_ratio = None
    if ratio is not None:
        ratios = _ratios(ratio)
        if len(ratios) > 1:
            raise HarkError(f"--ratio {ratio!r}: with --truth, give one ratio (that of the predictions to score)")
        chosen_ratio = ratios[0]
    chosen = [label.strip() for label in labels.split(",") if label.strip()] if labels else None
    values = {"tolerance_ms": tolerance_ms, "collar_ms": collar_ms, "offset_fraction": offset_fraction, "segment_ms": segment_ms}
    params = validate_params(ScoringParams, values, "scoring")
    result = truth_accuracy(truth, predictions, out=out, ratio=chosen_ratio, labels=chosen, params=params, draw=figures)
    total = result.total
    table = Table(title=f"{predictions} ({result.ratio}pr) against {truth}: {len(result.recordings)} recordings")
    for column in ("measure", "precision", "recall", "F1 / rate", "detail"):
        table.add_column(column, justify="left" if column in ("measure", "detail") else "right")
    for name, scores in ((f"onsets ±{params.tolerance_ms:g} ms", total.onsets), (f"offsets ±{params.tolerance_ms:g} ms", total.offsets)):
        table.add_row(name, _show(scores.precision), _show(scores.recall), _show(scores.f1), f"median {_show(scores.median_error_ms, ' ms', 2)} off")
    table.add_row("label accuracy", "", "", _show(total.label_accuracy), f"{total.overlapping_pairs} overlapping pairs")
    table.add_row("syllable error rate", "", "", _show(total.syllable_error_rate), f"{total.edit_distance} edits / {total.reference_syllables}")
    for name, scores in (("DCASE events", total.dcase_events), ("DCASE segments", total.dcase_segments)):
        o = scores.overall
        table.add_row(name, _show(o.precision), _show(o.recall), _show(o.f1), f"error rate {_show(o.error_rate)}")
    Console(highlight=False).print(table)
    typer.echo(f"{total.reference_syllables} annotated and {total.predicted_syllables} predicted syllables; tables and figures in {result.out}")


def _clip_truth_accuracy(truth, predictions, out, figures, labels) -> None:
    from hark.evaluate.clip_truth import clip_truth_accuracy

    chosen = [label.strip() for label in labels.split(",") if label.strip()] if labels else None
    result = clip_truth_accuracy(truth, predictions, out=out, labels=chosen, draw=figures)
    metrics = result.evaluation.metrics
    for label in metrics.per_label:
        typer.echo(f"{label.label}: precision {_show(label.precision)}, recall {_show(label.recall)}, F1 {_show(label.f1)} ({label.support} files)")
    for curves in result.evaluation.curves:
        if not math.isnan(curves.roc_auc):
            typer.echo(f"{curves.label}: ROC AUC {curves.roc_auc:.3f}, average precision {curves.average_precision:.3f}")
    skipped = f"; {result.left_out} prediction(s) of files not in {truth} left out" if result.left_out else ""
    typer.echo(
        f"{len(result.files)} files of {truth}: accuracy {metrics.accuracy:.3f}, macro F1 {_show(metrics.macro_f1)}{skipped}; "
        f"tables and figures in {result.out}"
    )


def _show(value: float, unit: str = "", digits: int = 3) -> str:
    return "n/a" if math.isnan(value) else f"{value:.{digits}f}{unit}"


def register(app: typer.Typer) -> None:
    app.command("accuracy")(accuracy_command)
