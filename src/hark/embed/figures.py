"""The picture of a cluster map: one dot per sound, coloured by label, shaped by kind."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hark.annotations.event import Event
from hark.fileio import atomic_path

KIND_MARKERS = {"annotated": "o", "detected": "^", "predicted": "s", "missed": "x", "mistaken": "D", "correct": "P", "found": "v", "clustered": "*", "suggested": "h"}


def plot_cluster_map(sounds: list[Event], coordinates: np.ndarray, path: str | Path, title: str) -> Path:
    """Scatter of ``coordinates`` (2-D, or the first two of 3-D) saved as PNG, atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = sorted({s.label for s in sounds})
    colours = plt.get_cmap("tab10" if len(labels) <= 10 else "tab20")
    fig, ax = plt.subplots(figsize=(7, 6), constrained_layout=True)
    for kind, marker in KIND_MARKERS.items():
        for index, label in enumerate(labels):
            rows = [i for i, s in enumerate(sounds) if s.kind.value == kind and s.label == label]
            if rows:
                ax.scatter(coordinates[rows, 0], coordinates[rows, 1], s=10, alpha=0.7, marker=marker,
                           color=colours(index % colours.N), label=f"{label} ({kind}, {len(rows)})")
    ax.set_title(title)
    ax.set_xlabel("dimension 1")
    ax.set_ylabel("dimension 2")
    ax.legend(fontsize="small", markerscale=1.5, loc="best")
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
    return path
