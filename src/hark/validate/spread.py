"""A nested generalization's figure per withheld recording, and their spread.

Each model of a nested ``hark generalize`` scored its withheld recording(s) once, at the
checkpoint and thresholds tuned on the other recordings (:mod:`hark.validate.nested`). This
writes them side by side: ``recordings.csv`` (a row per model: what it withheld, the step
chosen, its macro F1 and, per sensitivity ratio, its F1 at the tuned thresholds; for dense
models also, per ratio, the macro event F1 of the syllables segmented with the tuned minimum
duration and gap filling, and those two settings), the spread of those figures (mean,
standard deviation, minimum, maximum) into the summary, and the figure
``generalization.pdf/.png`` (a dot per withheld recording, the mean and one standard
deviation either side).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from pathlib import Path

from hark.evaluate.metrics import Counts
from hark.evaluate.report import write_table

RECORDINGS_TABLE = "recordings.csv"


def _f1(counts: Sequence[int]) -> float:
    tp, fp, fn = counts[:3]
    return Counts(int(tp), int(fp), int(fn)).f1


def _macro(values: Sequence[float]) -> float:
    defined = [v for v in values if not math.isnan(v)]
    return statistics.fmean(defined) if defined else math.nan


def spread_of(values: Sequence[float]) -> dict[str, float]:
    """Mean, standard deviation (n - 1; NaN for one value), minimum and maximum of the defined values."""
    defined = [float(v) for v in values if not math.isnan(v)]
    if not defined:
        return {"n": 0, "mean": math.nan, "std": math.nan, "min": math.nan, "max": math.nan}
    return {
        "n": len(defined),
        "mean": statistics.fmean(defined),
        "std": statistics.stdev(defined) if len(defined) > 1 else math.nan,
        "min": min(defined),
        "max": max(defined),
    }


def write_spread(folder: str | Path, models: Sequence[dict], draw: bool = True) -> dict:
    """``recordings.csv`` and (with ``draw``) ``generalization.pdf/.png``; returns the spread per figure."""
    folder = Path(folder)
    ratios = list(models[0]["at_ratio"])
    labels = list(models[0]["tuned"]["thresholds"])
    header = ["name", "withheld", "replicate", "step", "examples", "macro_f1"]
    header += [f"f1_at_ratio_{r}" for r in ratios]
    header += [f"{label}_f1_at_ratio_{r}" for r in ratios for label in labels]
    header += [f"{label}_threshold_at_ratio_{r}" for r in ratios for label in labels]
    events = all(model.get("events_at_ratio") for model in models)  # dense models: their syllables were scored too
    if events:
        header += [f"event_f1_at_ratio_{r}" for r in ratios]
        header += [f"{label}_event_f1_at_ratio_{r}" for r in ratios for label in labels]
        header += [f"{name}_at_ratio_{r}" for r in ratios for name in ("min_duration_ms", "fill_gap_ms")]
    rows, figures = [], {"macro_f1": []} | {f"f1_at_ratio_{r}": [] for r in ratios}
    if events:
        figures |= {f"event_f1_at_ratio_{r}": [] for r in ratios}
    for model in models:
        per_label = {r: {label: _f1(model["at_ratio"][r][label]) for label in labels} for r in ratios}
        macro_at = {r: _macro(list(per_label[r].values())) for r in ratios}
        figures["macro_f1"].append(model["macro_f1"])
        for r in ratios:
            figures[f"f1_at_ratio_{r}"].append(macro_at[r])
        row = (
            [model["name"], ";".join(model["withheld"]), model["replicate"], model["step"], model["examples"], model["macro_f1"]]
            + [macro_at[r] for r in ratios]
            + [per_label[r][label] for r in ratios for label in labels]
            + [model["tuned"]["thresholds"][label][r] for r in ratios for label in labels]
        )
        if events:
            event_f1 = {r: {label: _f1(model["events_at_ratio"][r][label]) for label in labels} for r in ratios}
            event_macro = {r: _macro(list(event_f1[r].values())) for r in ratios}
            for r in ratios:
                figures[f"event_f1_at_ratio_{r}"].append(event_macro[r])
            chosen = model["tuned"]["segmentation"]
            row += [event_macro[r] for r in ratios] + [event_f1[r][label] for r in ratios for label in labels]
            row += [chosen[r][name] for r in ratios for name in ("min_duration_ms", "fill_gap_ms")]
        rows.append(row)
    write_table(folder / RECORDINGS_TABLE, header, rows)
    spread = {name: spread_of(values) for name, values in figures.items()}
    if draw:
        from hark.evaluate.figures import save_figure

        save_figure(spread_figure(models, figures, spread), folder, "generalization")
    return spread


def spread_figure(models: Sequence[dict], figures: dict[str, list[float]], spread: dict[str, dict]):
    """A panel per figure: a dot per model at its withheld recording, the mean (line) and ± one standard deviation (band)."""
    from matplotlib.figure import Figure

    names = [";".join(m["withheld"]) for m in models]
    places = {name: i for i, name in enumerate(dict.fromkeys(names))}
    figure = Figure(figsize=(max(5.0, 0.5 * len(places) + 3), 2.4 * len(figures) + 0.6), layout="constrained")
    axes = figure.subplots(len(figures), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (title, values) in zip(axes, figures.items()):
        s = spread[title]
        if s["n"]:
            ax.axhline(s["mean"], color="k", linewidth=1)
            if not math.isnan(s["std"]):
                ax.axhspan(s["mean"] - s["std"], s["mean"] + s["std"], color="0.85", zorder=0)
        ax.plot([places[n] for n in names], values, "o", color="C0", markeredgecolor="k")
        label = title.replace("_", " ")
        ax.set_title(f"{label}: mean {s['mean']:.3f} ± {s['std']:.3f} (min {s['min']:.3f}, max {s['max']:.3f})", fontsize=9)
        ax.set_ylim(0.0, 1.02)
        ax.set_ylabel("F1")
    axes[-1].set_xticks(range(len(places)), list(places), rotation=30, ha="right", fontsize=8)
    axes[-1].set_xlabel("withheld recording (scored once, tuned on the others)")
    figure.suptitle("nested generalization: each withheld recording", fontsize=10)
    return figure
