"""From per-frame probabilities to predicted events (``hark ethogram``), and misses.

A model gives one row of probabilities per frame; frame ``j`` describes the sound around
sample ``offset + j * hop`` (``hop`` = sample rate / frame rate). For each label, the frames
where its probability reaches the label's threshold form runs (with exclusive classes the
label must also be the frame's most probable one, as only one class can be true). A run of
frames ``[a, b)`` becomes the event of samples

    start = offset + a * hop - hop // 2
    stop  = offset + (b - 1) * hop + (hop - hop // 2)

clipped to ``[0, length]``: each frame stands for the ``hop`` samples centred on it, so
the events of neighbouring frames tile the recording without gap or overlap (``stop`` is
exclusive, as in ``hark detect``'s CSVs). The event's score is the run's highest probability.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from hark.annotations.event import Event, Kind
from hark.errors import HarkError
from hark.evaluate.checks import check_labels
from hark.evaluate.overlap import overlapped


@dataclass(frozen=True, eq=False)
class LabelRuns:
    """One label's runs of frames above threshold: ``[starts[i], stops[i])`` and their peak probability."""

    label: str
    starts: np.ndarray
    stops: np.ndarray
    peaks: np.ndarray


def probability_runs(probabilities, labels: Sequence[str], thresholds, *, exclusive: bool = True) -> list[LabelRuns]:
    """Per label (in ``labels`` order), the runs of frames that predict it.

    ``thresholds`` maps each label to its threshold, or is a sequence in ``labels`` order; a
    NaN threshold (a label validation could not set one for) predicts nothing.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2:
        raise HarkError(f"probabilities must be a (frames, labels) array, got shape {p.shape}")
    names = check_labels(labels, p.shape[1])
    if not np.isfinite(p).all():
        raise HarkError("probabilities contain NaN or infinite values")
    limits = _threshold_vector(thresholds, names)
    above = p >= limits  # NaN compares False, so a NaN threshold marks no frame
    if exclusive and p.shape[0]:
        above &= np.arange(p.shape[1]) == np.argmax(p, axis=1)[:, None]
    runs = []
    for c, name in enumerate(names):
        edges = np.diff(above[:, c].astype(np.int8), prepend=0, append=0)
        starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        # reduceat spans one run's start to the next's: hide the frames between runs
        inside = np.where(above[:, c], p[:, c], -np.inf)
        peaks = np.maximum.reduceat(inside, starts) if len(starts) else np.zeros(0)
        runs.append(LabelRuns(name, starts, stops, peaks))
    return runs


def frames_to_samples(starts: np.ndarray, stops: np.ndarray, hop: int, offset: int = 0, length: int | None = None) -> np.ndarray:
    """``(n, 2)`` sample intervals of frame runs ``[starts, stops)``; see the module's formula."""
    hop = _check_hop(hop)
    begin = offset + np.asarray(starts, dtype=np.int64) * hop - hop // 2
    end = offset + (np.asarray(stops, dtype=np.int64) - 1) * hop + (hop - hop // 2)
    spans = np.stack([np.maximum(begin, 0), end if length is None else np.minimum(end, length)], axis=1)
    return spans.reshape(-1, 2)


def probabilities_to_events(
    probabilities,
    labels: Sequence[str],
    thresholds,
    *,
    recording: str,
    hop: int,
    offset: int = 0,
    length: int | None = None,
    exclusive: bool = True,
) -> list[Event]:
    """The predicted events of one recording, ordered by start then label.

    ``length`` (samples in the recording) clips the last event; runs that clipping leaves
    empty (frames wholly outside the recording) are dropped.
    """
    events = []
    for runs in probability_runs(probabilities, labels, thresholds, exclusive=exclusive):
        spans = frames_to_samples(runs.starts, runs.stops, hop, offset, length)
        for (start, stop), peak in zip(spans.tolist(), runs.peaks.tolist()):
            if stop > start:
                events.append(Event(recording, start, stop, Kind.PREDICTED, runs.label, score=peak))
    events.sort(key=lambda e: (e.start, e.stop, e.label))
    return events


def misses(detected: Sequence[Event], predicted: Sequence[Event]) -> list[Event]:
    """The detected events that no predicted event of the same recording overlaps, as kind ``missed``.

    They keep the detected label (SongExplorer writes "other"), so one can see which kind of
    detected sound the model passes over. Overlap is of closed intervals, as in
    :func:`hark.evaluate.overlap_score`, and of any label.
    """
    hit = overlapped(detected, predicted)
    return [e.with_(kind=Kind.MISSED, score=None) for e, h in zip(detected, hit) if not h]


def _threshold_vector(thresholds, names: tuple[str, ...]) -> np.ndarray:
    if isinstance(thresholds, Mapping):
        unknown = sorted(set(thresholds) - set(names))
        if unknown:
            raise HarkError(f"threshold for unknown label {unknown[0]!r} (labels: {', '.join(names)})")
        missing = [n for n in names if n not in thresholds]
        if missing:
            raise HarkError(f"no threshold for label {missing[0]!r}")
        values = [thresholds[n] for n in names]
    else:
        values = list(np.ravel(np.asarray(thresholds, dtype=object)))
        if len(values) != len(names):
            raise HarkError(f"{len(values)} thresholds for {len(names)} labels")
    try:
        vector = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise HarkError(f"thresholds must be numbers, got {values!r}") from None
    if np.any(np.isinf(vector)):
        raise HarkError("thresholds must be finite numbers (or NaN for none)")
    return vector


def _check_hop(hop) -> int:
    try:
        whole = not isinstance(hop, bool) and int(hop) == hop and hop >= 1
    except (TypeError, ValueError):
        whole = False
    if not whole:
        raise HarkError(f"hop {hop!r} must be a positive whole number of samples per frame")
    return int(hop)
