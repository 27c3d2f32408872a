"""Point events at probability peaks: DAS's "events" for labels annotated as points (fly pulses).

A dense model's ethogram segments sound into ranges. A label that was only ever annotated as
points (a pulse's centre) is better reported as points too: its probability rises and falls
around each pulse, and two pulses closer than the threshold's dips merge into one range. So
within each range of such a label, every local maximum of the label's probability is a point,
peaks closer than ``min_distance`` samples keeping only the higher one (DAS's minimum event
distance), placed between frames by fitting a parabola through the peak frame and its two
neighbours (frame ``j`` stands for sample ``offset + j * hop``). Each point's score is its
peak probability.

With ``log_odds`` (exclusive labels, a softmax) the peaks are looked for in the label's
log-odds, ``log(p / sum of the other labels' p)``, not in ``p``: the same peaks wherever ``p``
is below 1 (the log-odds rises and falls with ``p``), but where a confident model's ``p``
saturates at float32's 1.0 over a whole train of pulses (a sharpening temperature does that
on a new recording), ``p`` is flat and hides the dips between the pulses, while the other
labels' tiny probabilities still carry them, so each pulse keeps its own point.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hark.annotations.event import Event


def peak_frames(values: np.ndarray, min_distance: float) -> np.ndarray:
    """Indices of the local maxima of ``values`` (plateaus: their first frame), highest first
    kept where others lie within ``min_distance`` frames of a higher one; sorted by position."""
    p = np.asarray(values, dtype=np.float64)
    if len(p) == 0:
        return np.zeros(0, dtype=np.int64)
    left = np.r_[-np.inf, p[:-1]]
    right = np.r_[p[1:], -np.inf]
    candidates = np.flatnonzero((p > left) & (p >= right))
    if len(candidates) == 0:  # constant: its first frame
        candidates = np.array([0])
    kept: list[int] = []
    for index in candidates[np.argsort(-p[candidates], kind="stable")]:
        if all(abs(index - other) >= min_distance for other in kept):
            kept.append(int(index))
    return np.array(sorted(kept), dtype=np.int64)


def refined_position(values: np.ndarray, index: int) -> float:
    """``index`` moved to the vertex of the parabola through it and its neighbours (at most half a frame)."""
    if index == 0 or index == len(values) - 1:
        return float(index)
    a, b, c = (float(values[index + d]) for d in (-1, 0, 1))
    curvature = a - 2 * b + c
    if curvature >= 0:
        return float(index)
    return index + float(np.clip(0.5 * (a - c) / curvature, -0.5, 0.5))


def exclusive_log_odds(rows: np.ndarray, column: int) -> np.ndarray:
    """``log(p[:, column] / sum of the other columns)`` of softmax rows ``(frames, outputs)``,
    each side floored at float32's smallest positive value (a probability that underflowed to
    0 is at most that), so the result is always finite."""
    rows = np.asarray(rows, dtype=np.float64)
    tiny = float(np.finfo(np.float32).smallest_subnormal)
    # summed from the others themselves: 1 - p would round them away where p saturates
    others = np.delete(rows, column, axis=1).sum(axis=1) if rows.shape[1] > 1 else 1.0 - rows[:, column]
    return np.log(np.maximum(rows[:, column], tiny)) - np.log(np.maximum(others, tiny))


def events_as_points(
    events: Sequence[Event],
    probabilities: np.ndarray,
    output_names: Sequence[str],
    point_labels: Sequence[str],
    *,
    hop: int,
    offset: int = 0,
    length: int | None = None,
    min_distance: int = 1,
    log_odds: bool = False,
) -> list[Event]:
    """``events`` with each range of a label in ``point_labels`` replaced by the points at its
    probability's peaks (module doc; ``log_odds``: at its log-odds' peaks, for exclusive labels);
    other events unchanged. ``probabilities`` ``(frames, outputs)`` may be a memory map: only
    each range's rows are read."""
    if not point_labels:
        return list(events)
    column = {label: output_names.index(label) for label in point_labels if label in output_names}
    frames = len(probabilities)
    out: list[Event] = []
    for event in events:
        if event.label not in column:
            out.append(event)
            continue
        lo = max(0, (event.start - offset) // hop)
        hi = min(frames, -(-(event.stop - offset) // hop) + 1)
        rows = np.asarray(probabilities[lo:hi], dtype=np.float64)
        values = rows[:, column[event.label]]
        where = exclusive_log_odds(rows, column[event.label]) if log_odds else values
        for index in peak_frames(where, max(1.0, min_distance / hop)):
            sample = int(round(offset + (lo + refined_position(where, int(index))) * hop))
            sample = min(max(sample, 0), (length - 1) if length else sample)
            out.append(event.with_(start=sample, stop=sample, score=float(values[index])))
    return sorted(out, key=lambda e: (e.start, e.stop, e.label))
