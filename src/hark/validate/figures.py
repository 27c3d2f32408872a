"""Figures of cross-validation runs and of their comparison (PDF and PNG, no pyplot state).

- :func:`models_precision_recall_figure`: one panel per label, a dot per model (its recall
  and precision on its own validation set) and a star for the summed counts;
- :func:`compare_overview_figure`: per run, macro F1 (a dot per model, a bar for the summed
  counts), trainable parameters and training seconds (SongExplorer's
  ``compare-overall-params-speed``);
- :func:`compare_confusion_figure`: the summed confusion matrix of each run;
- :func:`compare_precision_recall_figure`: one panel per run, per label the precision and
  recall of each model (SongExplorer's ``compare-precision-recall``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from hark.evaluate.figures import label_grid
from hark.evaluate.metrics import LabelMetrics, Metrics


def _label_metrics(model: dict, label: str) -> LabelMetrics:
    tp, fp, fn, tn = model["counts"][label]
    return LabelMetrics(tp, fp, fn, label, tn)


def models_precision_recall_figure(models: Sequence[dict], summed: Metrics):
    """Per label: each model's recall and precision (coloured by fold), and the summed counts' point."""
    figure, axes = label_grid(len(summed.labels), f"precision and recall of {len(models)} models (star: summed over them)")
    folds = sorted({int(m["fold"]) for m in models})
    colours = {fold: f"C{i % 10}" for i, fold in enumerate(folds)}
    for ax, total in zip(axes, summed.per_label):
        for model in models:
            m = _label_metrics(model, total.label)
            if not (math.isnan(m.recall) or math.isnan(m.precision)):
                ax.plot(m.recall, m.precision, "o", color=colours[int(model["fold"])], markeredgecolor="k", markersize=5)
        if not (math.isnan(total.recall) or math.isnan(total.precision)):
            ax.plot(total.recall, total.precision, "*", color="k", markersize=12)
        _unit_box(ax)
        ax.set_title(f"{total.label}  F1={_show(total.f1)}", fontsize=9)
    return figure


def compare_overview_figure(names: Sequence[str], summaries: Sequence[dict]):
    """Per run: macro F1 (dots: models; bar: summed), trainable parameters and training seconds;
    and macro F1 against training seconds, a dot per run sized by its parameters."""
    from matplotlib.figure import Figure

    width = max(9.0, 0.9 * len(names) + 5)
    figure = Figure(figsize=(width, 7.5), layout="constrained")
    (f1_ax, params_ax), (time_ax, trade_ax) = figure.subplots(2, 2)
    x = np.arange(len(names))
    for i, summary in enumerate(summaries):
        f1_ax.bar(i, summary["overall"]["macro_f1"], color="0.85", edgecolor="k")
        values = [m["macro_f1"] for m in summary["models"]]
        jitter = np.linspace(-0.2, 0.2, len(values)) if len(values) > 1 else np.zeros(1)
        f1_ax.plot(i + jitter, values, "o", color="tab:blue", markersize=4)
        time_ax.plot(i + jitter, [m["seconds"] for m in summary["models"]], "o", color="tab:orange", markersize=4)
    f1_ax.set_ylabel("macro F1 (bar: summed; dots: models)", fontsize=8)
    f1_ax.set_ylim(0, 1.02)
    params_ax.bar(x, [s["parameters"] for s in summaries], color="0.4")
    params_ax.set_ylabel("trainable parameters", fontsize=8)
    time_ax.set_ylabel("training seconds per model", fontsize=8)
    for ax in (f1_ax, params_ax, time_ax):
        ax.set_xticks(x, names, rotation=40, ha="right", fontsize=8)
    parameters = np.array([s["parameters"] for s in summaries], dtype=float)
    sizes = 20 + 200 * parameters / parameters.max() if parameters.max() > 0 else np.full(len(names), 40.0)
    seconds = [s["seconds_median"] for s in summaries]
    f1 = [s["overall"]["macro_f1"] for s in summaries]
    trade_ax.scatter(seconds, f1, s=sizes, color="tab:blue", edgecolor="k", alpha=0.7)
    for name, t, f, n in zip(names, seconds, f1, parameters):
        trade_ax.annotate(f"{name} ({int(n)})", (t, f), fontsize=7, xytext=(4, 4), textcoords="offset points")
    trade_ax.set_xlabel("median training seconds per model", fontsize=8)
    trade_ax.set_ylabel("macro F1 (summed)", fontsize=8)
    trade_ax.set_title("accuracy against time (dot size: parameters)", fontsize=9)
    f1_ax.set_title("accuracy, size and speed of each run", fontsize=9)
    return figure


def compare_confusion_figure(names: Sequence[str], confusions: Sequence[np.ndarray | None], labels: Sequence[str], accuracies: Sequence[float]):
    """Each run's summed confusion matrix, coloured by the share of each true label's row."""
    figure, axes = label_grid(len(names), "summed confusion matrices (rows: true label; colour: share of the row)")
    for ax, name, confusion, accuracy in zip(axes, names, confusions, accuracies):
        if confusion is None:
            ax.text(0.5, 0.5, "overlapped classes:\nno confusion matrix", ha="center", va="center", transform=ax.transAxes, fontsize=8)
            ax.set_axis_off()
            ax.set_title(name, fontsize=9)
            continue
        rows = confusion.sum(axis=1, keepdims=True)
        share = np.divide(confusion, rows, out=np.zeros(confusion.shape), where=rows > 0)
        ax.imshow(share, cmap="viridis", vmin=0, vmax=1)
        if len(labels) <= 10:
            for (i, j), n in np.ndenumerate(confusion):
                ax.text(j, i, str(n), ha="center", va="center", fontsize=7, color="w" if share[i, j] < 0.6 else "k")
        ax.set_xticks(range(len(labels)), labels, rotation=40, ha="right", fontsize=7)
        ax.set_yticks(range(len(labels)), labels, fontsize=7)
        ax.set_title(f"{name}  {_show(accuracy, percent=True)}", fontsize=9)
    return figure


def compare_precision_recall_figure(names: Sequence[str], summaries: Sequence[dict], labels: Sequence[str]):
    """One panel per run: each model's recall and precision per label (one colour per label)."""
    figure, axes = label_grid(len(names), "precision and recall per label (a dot per model)")
    for ax, name, summary in zip(axes, names, summaries):
        for i, label in enumerate(labels):
            points = [_label_metrics(m, label) for m in summary["models"]]
            xs = [p.recall for p in points if not (math.isnan(p.recall) or math.isnan(p.precision))]
            ys = [p.precision for p in points if not (math.isnan(p.recall) or math.isnan(p.precision))]
            ax.plot(xs, ys, "o", color=f"C{i % 10}", markeredgecolor="k", markersize=5, label=label)
        _unit_box(ax)
        ax.set_title(f"{name}  F1={_show(summary['overall']['macro_f1'])}", fontsize=9)
    axes[0].legend(fontsize=7, loc="lower left")
    return figure


def _unit_box(ax) -> None:
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("recall", fontsize=8)
    ax.set_ylabel("precision", fontsize=8)


def _show(value: float, percent: bool = False) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    return f"{value:.1%}" if percent else f"{value:.3f}"
