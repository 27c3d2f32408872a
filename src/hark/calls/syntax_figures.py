"""Pictures of a syntax: the transition matrix as heatmaps, and the transition diagram.

Both are drawn with matplotlib alone (no graphviz): the diagram puts the states on a circle
and draws an arrow for each transition, its width and darkness growing with its probability;
a transition from a type to itself is a loop outside the circle.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from hark.calls.syntax import BOUT_END, BOUT_START, SyntaxResult, transition_matrix
from hark.fileio import atomic_path

MIN_PROBABILITY_DRAWN = 0.01  # arrows below this would be hairlines that clutter the diagram
_LABEL_BOX = {"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.8}  # keeps a probability readable over its arrow
MAX_ANNOTATED = 20  # states up to which each cell of the heatmaps shows its number


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_transition_matrix(result: SyntaxResult, path: str | Path) -> Path:
    """Two heatmaps side by side, pooled counts and probabilities (rows: from, columns: to), saved as PNG."""
    plt = _pyplot()
    states = result.states
    counts, probabilities = transition_matrix(result.transitions, states)
    size = max(4.0, 0.45 * len(states) + 2.5)
    fig, axes = plt.subplots(1, 2, figsize=(2 * size + 1.5, size), constrained_layout=True)
    shown = [(counts.astype(float), "count", "viridis", f"{int(counts.sum())} transitions"), (probabilities, "probability", "magma", "P(to | from)")]
    for ax, (values, what, colours, title) in zip(axes, shown):
        image = ax.imshow(np.ma.masked_invalid(values), cmap=colours, vmin=0, vmax=1 if what == "probability" else None)
        fig.colorbar(image, ax=ax, shrink=0.8, label=what)
        ax.set_xticks(range(len(states)), states, rotation=90 if max(map(len, states)) > 3 else 0)
        ax.set_yticks(range(len(states)), states)
        ax.set_xlabel("to")
        ax.set_ylabel("from")
        ax.set_title(title)
        if len(states) <= MAX_ANNOTATED:
            high = np.nanmax(values) if np.isfinite(values).any() else 0
            for (row, column), value in np.ndenumerate(values):
                if np.isfinite(value) and value > 0:
                    text = f"{int(value)}" if what == "count" else f"{value:.2f}"
                    ax.text(column, row, text, ha="center", va="center", fontsize=7, color="black" if value > 0.6 * high else "white")
    fig.suptitle(f"call transitions ({len(result.recordings)} recording(s), bout gap {result.params.bout_gap_ms:g} ms)")
    return _save(fig, plt, path)


def plot_transition_diagram(result: SyntaxResult, path: str | Path) -> Path:
    """The call types on a circle, an arrow per transition weighted by its probability, saved as PNG."""
    from matplotlib.patches import FancyArrowPatch

    plt = _pyplot()
    states = result.states
    counts, probabilities = transition_matrix(result.transitions, states)
    calls = {label: 0 for label in states}
    for bout in result.bouts:
        for label in bout.labels:
            calls[label] += 1
    angles = {state: math.pi / 2 - 2 * math.pi * i / len(states) for i, state in enumerate(states)}
    where = {state: (math.cos(a), math.sin(a)) for state, a in angles.items()}
    fig, ax = plt.subplots(figsize=(7.5, 7.5), constrained_layout=True)
    colours = plt.get_cmap("Greys")
    largest = max(calls.values()) or 1
    radius = {state: 0.06 + 0.08 * math.sqrt(calls[state] / largest) if state not in (BOUT_START, BOUT_END) else 0.11 for state in states}
    for (i, before), (j, after) in ((a, b) for a in enumerate(states) for b in enumerate(states)):
        probability = probabilities[i, j]
        if not np.isfinite(probability) or counts[i, j] == 0 or probability < MIN_PROBABILITY_DRAWN:
            continue
        colour = colours(0.35 + 0.65 * probability)
        width = 0.5 + 5 * probability
        if before == after:
            _loop(ax, where[before], angles[before], radius[before], colour, width, probability)
            continue
        arrow = FancyArrowPatch(
            where[before], where[after], connectionstyle="arc3,rad=0.15", arrowstyle="-|>", mutation_scale=8 + 10 * probability,
            linewidth=width, color=colour, shrinkA=radius[before] * 200, shrinkB=radius[after] * 200, zorder=1,
        )
        ax.add_patch(arrow)
        if probability >= 0.1:
            middle = _arc_middle(where[before], where[after], 0.15)
            ax.text(*middle, f"{probability:.2f}", fontsize=7, ha="center", va="center", color="tab:red", zorder=3, bbox=_LABEL_BOX)
    for state in states:
        edge = state in (BOUT_START, BOUT_END)
        circle = plt.Circle(where[state], radius[state], facecolor="white" if edge else "tab:blue", edgecolor="black", zorder=2, alpha=0.9)
        ax.add_patch(circle)
        ax.text(*where[state], state if edge else f"{state}\n{calls[state]}", ha="center", va="center", fontsize=7 if edge else 8, zorder=3,
                color="black" if edge else "white")
    ax.set_xlim(-1.45, 1.45)
    ax.set_ylim(-1.45, 1.45)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"transition diagram: arrows weighted by P(to | from), circles by calls (bout gap {result.params.bout_gap_ms:g} ms)", fontsize=9)
    return _save(fig, plt, path)


def _arc_middle(start: tuple[float, float], end: tuple[float, float], rad: float) -> tuple[float, float]:
    """Near the middle of matplotlib's ``arc3`` curve from ``start`` to ``end`` (its control point's half-way)."""
    (x0, y0), (x1, y1) = start, end
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    dx, dy = x1 - x0, y1 - y0
    return mx + rad * dy / 2, my - rad * dx / 2


def _loop(ax, centre: tuple[float, float], angle: float, radius: float, colour, width: float, probability: float) -> None:
    """A self-transition: a small ring just outside the state's circle, away from the diagram's centre."""
    from matplotlib.patches import Circle

    loop_radius = 0.07
    distance = radius + loop_radius * 0.8
    ring = (centre[0] + distance * math.cos(angle), centre[1] + distance * math.sin(angle))
    ax.add_patch(Circle(ring, loop_radius, fill=False, edgecolor=colour, linewidth=width, zorder=1))
    label_at = (centre[0] + (distance + loop_radius + 0.07) * math.cos(angle), centre[1] + (distance + loop_radius + 0.07) * math.sin(angle))
    if probability >= 0.1:
        ax.text(*label_at, f"{probability:.2f}", fontsize=7, ha="center", va="center", color="tab:red", zorder=3, bbox=_LABEL_BOX)


def _save(fig, plt, path: str | Path) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
    return path
