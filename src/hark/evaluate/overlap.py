"""How much of a set of annotated sounds a set of found intervals touches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hark.annotations.event import Event


@dataclass(frozen=True)
class OverlapScore:
    """``hit`` of ``total`` reference events overlap at least one found event."""

    hit: int
    total: int

    @property
    def fraction(self) -> float:
        return self.hit / self.total if self.total else float("nan")


def overlap_score(reference: Sequence[Event], found: Sequence[Event]) -> OverlapScore:
    """Count reference events that some found event overlaps, within the same recording.

    Intervals are closed for this purpose, so a point event (start == stop) counts as hit
    when it lies inside or on the edge of a found interval.
    """
    return OverlapScore(int(np.sum(overlapped(reference, found))), len(reference))


def overlapped(reference: Sequence[Event], found: Sequence[Event]) -> np.ndarray:
    """For each reference event, whether some found event of its recording overlaps it (closed intervals)."""
    # per recording: starts in order, and how far the intervals so far reach
    by_recording: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in {e.recording for e in found}:
        spans = np.array([(e.start, e.stop) for e in found if e.recording == name], dtype=np.int64)
        spans = spans[np.argsort(spans[:, 0], kind="stable")]
        by_recording[name] = (spans[:, 0], np.maximum.accumulate(spans[:, 1]))
    hit = np.zeros(len(reference), dtype=bool)
    for i, event in enumerate(reference):
        if event.recording not in by_recording:
            continue
        starts, reach = by_recording[event.recording]
        # of the intervals starting by the event's stop, one must reach its start
        count = np.searchsorted(starts, event.stop, side="right")
        hit[i] = bool(count and reach[count - 1] >= event.start)
    return hit
