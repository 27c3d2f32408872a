"""Soft dense targets: point events widened to Gaussians (DAS's ``point_shape`` 'gaussian').

A point event of label L adds ``exp(-d² / (2σ²))`` at ``d`` samples from it to L's target,
σ = ``point_width_ms / 2`` in samples. Per sample the targets are probabilities: each
label's summed bumps (scaled down together where they add up to more than 1), background
``1 - min(sum of bumps, 1)``; samples covered by a range (or by a segment gap) keep a hard
one-hot target, as with boxes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hark.train.data_dense import dense_labels
from hark.train.data_load import Annotation

REACH = 4.0  # bumps are cut off this many σ away (exp(-8) ≈ 3e-4)


def gaussian_targets(annotations: Sequence[Annotation], frames: int, labels: Sequence[str], sigma: float, gap: int = 0) -> np.ndarray:
    """(1 + len(labels), frames) float16 class probabilities, row 0 background."""
    dense_labels(annotations, frames, labels, 0, gap)  # the same checks as boxes: inside the recording, exclusive
    index = {label: i + 1 for i, label in enumerate(labels)}
    soft = np.zeros((len(labels) + 1, frames), dtype=np.float32)
    sigma = max(float(sigma), 1e-6)
    reach = int(np.ceil(REACH * sigma))
    for annotation in annotations:
        event = annotation.event
        if event.is_point:
            lo, hi = max(event.start - reach, 0), min(event.start + reach + 1, frames)
            d = np.arange(lo, hi) - event.start
            soft[index[event.label], lo:hi] += np.exp(-(d**2) / (2 * sigma**2))
    total = soft[1:].sum(axis=0)
    crowded = total > 1
    soft[1:, crowded] /= total[crowded]
    soft[0] = 1 - np.minimum(total, 1)
    ranges = [a for a in annotations if not a.event.is_point]
    if ranges:
        hard = dense_labels(ranges, frames, labels, 0, gap)
        covered = np.zeros(frames, dtype=bool)
        for annotation in ranges:
            covered[annotation.event.start : annotation.event.stop] = True
        soft[:, covered] = 0
        soft[hard[covered].astype(np.int64), np.flatnonzero(covered)] = 1
    return soft.astype(np.float16)
