"""``hark suggest`` with a clip model (``--supervision clip``): which whole clips to label next.

A clip model gives each file one row of probabilities (its windows aggregated, as ``hark
classify`` writes it). Each file not annotated yet is one candidate, the whole file, named
with its most probable label, and ranked by the terms of :mod:`hark.infer.acquisition` read
for a clip:

- **near threshold** becomes the **margin** ``1 - (p1 - p2)``: ``p1`` and ``p2`` the two
  highest probabilities of the clip (over the labels suggested). 1 when the model cannot choose
  between two labels, 0 when one label takes all (a clip has no threshold to be near: its
  label is the most probable one);
- **replicates disagree**: as for sounds, the deviation over the replicates of ``p1``'s label;
- **novel**: as for sounds, 1 minus the largest cosine similarity to the annotated clips
  (those among the files given), the embedding being the clip's probability row (the model's
  view of it, centred on the candidates' mean): a clip predicted unlike every clip labelled so far.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def clip_candidate(path: Path, stacked: np.ndarray, output_names: list[str], labels: list[str], frames: int) -> tuple[tuple, np.ndarray]:
    """``((recording, 0, frames, label, margin, member probabilities), embedding)`` of one file.

    ``stacked``: ``(members, 1, outputs)``, each member's probability row of the file. The
    fifth field is the margin uncertainty (:func:`margin_uncertainty`), not a probability."""
    columns = [output_names.index(label) for label in labels]
    mean = stacked.mean(axis=0)[0][columns].astype(float)
    best = int(np.argmax(mean))
    members = stacked[:, 0, columns[best]].astype(float)
    return (path, 0, frames, labels[best], float(margin_uncertainty(mean[None, :])[0]), members), mean


def margin_uncertainty(rows: np.ndarray) -> np.ndarray:
    """``1 - (p1 - p2)`` of each row (``(clips, labels)``): the two highest probabilities' gap, turned."""
    rows = np.asarray(rows, float)
    if rows.shape[1] < 2:
        return 1 - rows[:, 0] if rows.shape[1] else np.zeros(len(rows))
    top = -np.sort(-rows, axis=1)[:, :2]
    return np.clip(1 - (top[:, 0] - top[:, 1]), 0, 1)


__all__ = ["clip_candidate", "margin_uncertainty"]
