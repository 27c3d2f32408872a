"""The figures of ``hark accuracy`` and ``hark congruence``, each saved as PDF and PNG.

Figures are built on :class:`matplotlib.figure.Figure` directly, never through pyplot: no
global state and no backend to switch, so they can be drawn from any thread or process
(the PNG is rendered by Agg). One panel per label, in a near-square grid.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from hark.fileio import atomic_path

FORMATS = ("pdf", "png")
_PANEL = (3.4, 2.8)  # inches per label panel


def save_figure(figure, folder: str | Path, name: str) -> list[Path]:
    """Write ``folder/name.pdf`` and ``folder/name.png``, each atomically."""
    paths = []
    for fmt in FORMATS:
        path = Path(folder) / f"{name}.{fmt}"
        with atomic_path(path) as tmp:
            figure.savefig(tmp, format=fmt, dpi=120)
        paths.append(path)
        # The layout is fixed by the first drawing; laying it out again for the second format
        # would take as long and change nothing.
        figure.set_layout_engine("none")
    return paths


def label_grid(count: int, title: str):
    """A figure with ``count`` panels (at least one) and the flat list of their axes."""
    from matplotlib.figure import Figure

    cols = max(1, math.ceil(math.sqrt(count)))
    rows = max(1, math.ceil(count / cols))
    figure = Figure(figsize=(max(_PANEL[0] * cols, 5.0), _PANEL[1] * rows + 0.4), layout="constrained")
    axes = figure.subplots(rows, cols, squeeze=False).ravel()
    for extra in axes[count:]:
        extra.set_visible(False)
    figure.suptitle(title, fontsize=10)
    return figure, list(axes[:count])


def confusion_figure(confusion: np.ndarray, labels: Sequence[str], accuracy: float, scores=None):
    """Heat map of the confusion matrix, coloured by the fraction of each true label's row.

    ``scores`` (a :class:`~hark.evaluate.metrics.Metrics`: per-label precision, recall and F1
    and their macro averages), when given, are drawn as bars beside each row and the labels
    are sorted by F1, best first, so that the weak labels and their confusions gather at the
    bottom right. Cells show counts up to 30 labels; beyond that, the percentage of the row
    where it is at least 5 %, and labels shrink to stay readable (up to ~100 labels).
    """
    from matplotlib.figure import Figure

    count = len(labels)
    order = np.arange(count)
    if scores is not None:
        f1 = np.array([np.nan_to_num(m.f1, nan=-1.0) for m in scores.per_label])
        order = np.lexsort((np.array(labels, dtype=object).astype(str), -f1))
    confusion = np.asarray(confusion)[np.ix_(order, order)]
    names = [labels[i] for i in order]
    font = 8.0 if count <= 30 else max(4.5, 8.0 * 30 / count)
    side = min(4 + (0.45 if count <= 30 else 0.3) * count, 28)
    bars = scores is not None
    figure = Figure(figsize=(side + (4.5 if bars else 1.5), side), layout="constrained")
    if bars:
        ax, bar_ax = figure.subplots(1, 2, gridspec_kw={"width_ratios": [max(count, 1), max(count, 1) * 0.3]}, sharey=True)
    else:
        ax, bar_ax = figure.subplots(), None
    rows = confusion.sum(axis=1, keepdims=True)
    share = np.divide(confusion, rows, out=np.zeros(confusion.shape), where=rows > 0)
    image = ax.imshow(share, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    figure.colorbar(image, ax=ax, label="fraction of the true label (recall on the diagonal)", location="left" if bars else "right")
    for (i, j), n in np.ndenumerate(confusion):
        if count <= 30:  # the counts fit in their cells
            ax.text(j, i, str(n), ha="center", va="center", fontsize=font, color="w" if share[i, j] < 0.6 else "k")
        elif share[i, j] >= 0.05:
            ax.text(j, i, f"{100 * share[i, j]:.0f}", ha="center", va="center", fontsize=font * 0.8, color="w" if share[i, j] < 0.6 else "k")
    ax.set_xticks(range(count), names, rotation=40 if count <= 30 else 90, ha="right" if count <= 30 else "center", fontsize=font)
    ax.set_yticks(range(count), names, fontsize=font)
    ax.set_xlabel("predicted (argmax)")
    ax.set_ylabel("true (annotated)" + (", sorted by F1" if bars else ""))
    title = f"accuracy {accuracy:.1%}"
    if bars:
        title += f"; macro precision {scores.macro_precision:.2f}, recall {scores.macro_recall:.2f}, F1 {scores.macro_f1:.2f}"
        y = np.arange(count)
        per_label = [scores.per_label[i] for i in order]
        for offset, (name, colour) in zip((-0.27, 0.0, 0.27), (("precision", "tab:blue"), ("recall", "tab:orange"), ("f1", "tab:green"))):
            values = [np.nan_to_num(getattr(m, name), nan=0.0) for m in per_label]
            bar_ax.barh(y + offset, values, height=0.27, color=colour, label=name)
        bar_ax.set_xlim(0, 1)
        bar_ax.set_xlabel("per label")
        bar_ax.tick_params(labelleft=False, labelsize=font)
        bar_ax.legend(fontsize=7, loc="lower right")
        bar_ax.grid(axis="x", alpha=0.3)
    ax.set_title(title, fontsize=9)
    return figure


def precision_recall_figure(curves, thresholds):
    """Per label: the precision-recall curve, its average precision, and the ratio thresholds on it."""
    figure, axes = label_grid(len(curves), "precision-recall (one label versus the rest)")
    for ax, curve in zip(axes, curves):
        ax.plot(curve.recall, curve.precision, lw=1.2)
        for row in (r for r in thresholds if r.label == curve.label and not math.isnan(r.threshold)):
            ax.plot(row.recall, row.precision, "o" if row.ratio == 1 else "x", color="tab:red")
            ax.annotate(f"{row.threshold:.3g} (P/R {row.ratio:g})", (row.recall, row.precision), fontsize=7, color="tab:red", xytext=(3, 3), textcoords="offset points")
        _unit_box(ax, "recall = TP/(TP+FN)", "precision = TP/(TP+FP)")
        ax.set_title(f"{curve.label}  AP={_show(curve.average_precision)}", fontsize=9)
    return figure


def roc_figure(curves):
    """Per label: the ROC curve and the area under it (0.5 is chance)."""
    figure, axes = label_grid(len(curves), "ROC (one label versus the rest)")
    for ax, curve in zip(axes, curves):
        ax.plot([0, 1], [0, 1], ls=":", color="0.6", lw=0.8)
        ax.plot(curve.false_positive_rate, curve.true_positive_rate, lw=1.2)
        _unit_box(ax, "false positive rate = FP/(FP+TN)", "true positive rate = TP/(TP+FN)")
        ax.set_title(f"{curve.label}  AUC={_show(curve.roc_auc)}", fontsize=9)
    return figure


def density_figure(densities, thresholds):
    """Per label: how its probability is distributed over its positives and its negatives."""
    figure, axes = label_grid(len(densities), "probability densities")
    for ax, density in zip(axes, densities):
        positive, negative = density.densities()
        ax.stairs(negative, density.edges, label=f"not {density.label} ({int(density.negative.sum())})", color="tab:gray")
        ax.stairs(positive, density.edges, label=f"{density.label} ({int(density.positive.sum())})", color="tab:blue")
        for row in (r for r in thresholds if r.label == density.label and not math.isnan(r.threshold)):
            ax.axvline(row.threshold, color="k", ls="--" if row.ratio == 1 else ":", lw=0.8)
        if positive.any():  # the negatives' pile near 0 would flatten the positives: cut it, as SongExplorer does
            ax.set_ylim(0, 1.1 * max(positive.max(), np.median(negative[negative > 0]) if negative.any() else 0))
        ax.set_xlim(0, 1)
        ax.set_xlabel("probability")
        ax.set_ylabel("density")
        ax.legend(fontsize=7)
        ax.set_title(density.label, fontsize=9)
    return figure


def learning_curve_figure(log: Mapping[str, np.ndarray]):
    """Losses (top) and accuracies (bottom) against the training step: whichever the log has."""
    from matplotlib.figure import Figure

    panels = []
    for quantity, columns in (("loss", ("loss", "validation_loss")), ("accuracy", ("train_accuracy", "validation_accuracy"))):
        present = [c for c in columns if c in log and np.isfinite(log[c]).any()]
        if present:
            panels.append((quantity, present))
    figure = Figure(figsize=(7, 1.2 + 2.6 * max(1, len(panels))), layout="constrained")
    axes = figure.subplots(max(1, len(panels)), 1, sharex=True, squeeze=False).ravel()
    step = log["step"]
    for ax, (quantity, present) in zip(axes, panels):
        for column in present:
            ok = np.isfinite(log[column])
            validation = column.startswith("validation")
            ax.plot(step[ok], log[column][ok], "--" if validation else "-", color="tab:orange" if validation else "tab:blue",
                    marker="." if ok.sum() < 30 else None, label="validation" if validation else "training")
        ax.set_ylabel(quantity)
        ax.legend(fontsize=8)
    axes[-1].set_xlabel("step")
    axes[0].set_title("learning curve" if panels else "learning curve: the log has no loss or accuracy yet")
    return figure


def regions_figure(regions, title: str):
    """Per label: bars of everyone, only X and not X (Venn regions as bars; any number of parties)."""
    figure, axes = label_grid(len(regions), title)
    for ax, region in zip(axes, regions):
        rows = region.rows()
        if len(region.parties) == 2:  # with two parties "not A" is "only B": drawn once
            rows = rows[: 1 + len(region.parties)]
        names, counts = zip(*rows)
        ax.bar(range(len(rows)), counts, color=["k"] + ["tab:blue"] * (len(rows) - 1))
        ax.set_xticks(range(len(rows)), names, rotation=40, ha="right", fontsize=8)
        ax.set_ylabel("tics" if region.level == "tic" else "events")
        ax.set_title(region.label, fontsize=9)
    return figure


def sweep_figure(sweep):
    """Per label: precision, recall and F1 against the threshold, and the dense thresholds."""
    labels = list(dict.fromkeys(row.label for row in sweep.dense))
    figure, axes = label_grid(len(labels), f"{sweep.level} agreement with {sweep.reference} as the threshold varies")
    for ax, label in zip(axes, labels):
        curve = sweep.curve(label)
        t = [p.threshold for p in curve]
        for name in ("precision", "recall", "f1"):
            ax.plot(t, [getattr(p, name) for p in curve], label=name, marker="." if len(t) < 30 else None)
        for row in (r for r in sweep.dense if r.label == label and not math.isnan(r.threshold)):
            ax.axvline(row.threshold, color="k", ls="--" if row.ratio == 1 else ":", lw=0.8)
        _unit_box(ax, "threshold", "")
        ax.legend(fontsize=7)
        ax.set_title(label, fontsize=9)
    return figure


def _unit_box(ax, xlabel: str, ylabel: str) -> None:
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)


def _show(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.3f}"
