"""Dense supervision (DAS's): every sample of an annotated stretch has a label.

The annotated stretches are the whole recordings that have annotation CSVs of the chosen
kinds: a sample covered by a range gets the range's label, a point is widened to
``point_width_ms`` around it, and everything else is ``background``. Ranges win over widened
points where the two meet. Classes are exclusive, so overlapping annotations of different
labels are an error naming both files and times.

Training windows lie wholly inside training regions; validation windows tile validation
regions, the last one aligned with the region's end and masked where it repeats frames.
Where a recording is split into blocks, training regions keep one window length away from
validation blocks, so no training window touches validation audio or its immediate
surroundings.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from hark.errors import HarkError
from hark.train.data_load import Annotation
from hark.train.data_types import Batch, ExampleRef, Window
from hark.train.splits import complement

Region = tuple[str, int, int]  # recording, start, stop (samples, stop exclusive)


def tile_regions(regions: Sequence[Region], window: Window) -> list[tuple[str, int, np.ndarray]]:
    """Windows ``(recording, start, mask)`` that tile each region once, in order: the last one
    aligned with the region's end and masked where it repeats frames; regions shorter than a
    window are skipped. Validation scores these (and ``hark generalize`` finds its frames' times
    in them)."""
    length, hop = window.length, window.frames * window.stride
    windows = []
    for name, lo, hi in regions:
        if hi - lo < length:
            continue
        starts = list(range(lo, hi - length + 1, hop))
        for start in starts:
            windows.append((name, start, np.ones(window.frames, dtype=np.float32)))
        if starts[-1] < hi - length:
            # The tail: aligned to the region's end, counting only frames not yet scored.
            covered = starts[-1] + window.frame_time(window.frames - 1)
            times = hi - length + window.frame_time(0) + np.arange(window.frames) * window.stride
            windows.append((name, hi - length, (times > covered).astype(np.float32)))
    return windows


def dense_labels(
    annotations: Sequence[Annotation], frames: int, labels: Sequence[str], point_half_width: int, gap: int = 0
) -> np.ndarray:
    """Each sample's class (0 background, i + 1 for ``labels[i]``) in a recording of ``frames`` samples.

    ``gap`` > 0 keeps at least that many samples of background between ranges that (nearly)
    touch, by ending the earlier one sooner: the model then learns where one syllable stops
    and the next starts, instead of one long segment (DAS's gaps between segments).
    """
    for annotation in annotations:
        if annotation.event.start >= frames:
            event = annotation.event
            raise HarkError(
                f"{annotation.csv}: {event.label!r} at {event.start}..{event.stop} lies beyond the end of "
                f"{event.recording} ({frames} samples)"
            )
    check_exclusive(annotations)
    index = {label: i + 1 for i, label in enumerate(labels)}
    classes = np.zeros(frames, dtype=np.int16)
    for annotation in annotations:
        event = annotation.event
        if event.is_point:
            classes[max(event.start - point_half_width, 0) : event.start + point_half_width + 1] = index[event.label]
    ranges = sorted((a.event for a in annotations if not a.event.is_point), key=lambda e: e.start)
    for event in ranges:
        classes[event.start : event.stop] = index[event.label]
    if gap > 0:
        for earlier, later in zip(ranges, ranges[1:]):
            if later.start - earlier.stop < gap:
                classes[max(earlier.start, later.start - gap) : later.start] = 0
    return classes


def check_exclusive(annotations: Sequence[Annotation]) -> None:
    """A one-line HarkError when two annotations of different labels overlap (a point is one sample).

    A sweep in start order: any earlier annotation that overlaps the current one also
    overlaps the one reaching furthest so far, so comparing with that one alone suffices.
    """
    furthest: Annotation | None = None
    for annotation in sorted(annotations, key=lambda a: (a.event.start, a.event.stop)):
        event = annotation.event
        if furthest is not None and event.start < _end(furthest) and event.label != furthest.event.label:
            other = furthest.event
            raise HarkError(
                f"{annotation.csv}: {event.label!r} at {event.start}..{event.stop} overlaps {other.label!r} at "
                f"{other.start}..{other.stop} (in {furthest.csv}); dense supervision needs exclusive classes"
            )
        if furthest is None or _end(annotation) > _end(furthest):
            furthest = annotation


def _end(annotation: Annotation) -> int:
    return max(annotation.event.stop, annotation.event.start + 1)


@dataclass
class _TrainingPlan:
    """Where training windows of one window size may start."""

    regions: list[Region]
    starts: np.ndarray  # how many window starts each region offers
    runs: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]  # class -> region, run start, run stop, cumulative length


class DenseSource:
    """Batches of windows with a class per output frame."""

    def __init__(
        self,
        classes_of: dict[str, np.ndarray],
        audio: dict[str, np.ndarray],
        validation_regions: dict[str, list[tuple[int, int]]],
        guarded: bool,
        output_names: Sequence[str],
        equalize: bool,
        test_regions: dict[str, list[tuple[int, int]]] | None = None,
        soft_of: dict[str, np.ndarray] | None = None,
    ):
        self.classes_of = classes_of
        self.soft_of = soft_of  # gaussian points: (classes, samples) probabilities per recording
        self.test_regions = {name: (test_regions or {}).get(name, []) for name in classes_of}
        self.audio = audio
        self.validation_regions = {name: validation_regions.get(name, []) for name in classes_of}
        self.guarded = guarded
        self.output_names = list(output_names)
        self.equalize = equalize
        self._plans: dict[Window, _TrainingPlan] = {}

    def training_regions(self, guard: int = 0) -> list[Region]:
        """The training parts of every stretch, ``guard`` samples away from validation and test blocks."""
        guard = guard if self.guarded else 0
        return [
            (name, lo, hi)
            for name, classes in self.classes_of.items()
            for lo, hi in complement(len(classes), self.validation_regions[name] + self.test_regions[name], guard)
        ]

    @property
    def n_training(self) -> int:
        """Training samples (before the guard)."""
        return sum(hi - lo for _, lo, hi in self.training_regions())

    def check_window(self, window: Window) -> None:
        if len(self._plan(window).regions) == 0:
            raise HarkError(
                f"no training stretch is as long as a window ({window.length} samples, guard gaps excluded); "
                "annotate longer stretches or use a shorter window"
            )

    def _plan(self, window: Window) -> _TrainingPlan:
        if window not in self._plans:
            length = window.length
            regions = [r for r in self.training_regions(guard=length) if r[2] - r[1] >= length]
            starts = np.array([hi - lo - length + 1 for _, lo, hi in regions], dtype=np.int64)
            self._plans[window] = _TrainingPlan(regions, starts, self._runs(regions, window))
        return self._plans[window]

    def _runs(self, regions: list[Region], window: Window) -> dict[int, tuple[np.ndarray, ...]]:
        """Stretches of one class that some frame of a window inside its region can describe."""
        first, last = window.frame_time(0), window.length - window.context + window.frame_time(0)
        found: dict[int, list[tuple[int, int, int]]] = {}
        for i, (name, lo, hi) in enumerate(regions):
            reach_lo, reach_hi = lo + first, hi - window.length + last + 1
            segment = self.classes_of[name][reach_lo:reach_hi]
            edges = np.concatenate([[0], np.flatnonzero(np.diff(segment)) + 1, [len(segment)]])
            for a, b in zip(edges[:-1], edges[1:]):
                found.setdefault(int(segment[a]), []).append((i, reach_lo + int(a), reach_lo + int(b)))
        plan = {}
        for c, runs in sorted(found.items()):
            region_of, run_lo, run_hi = (np.array(column, dtype=np.int64) for column in zip(*runs))
            plan[c] = (region_of, run_lo, run_hi, np.cumsum(run_hi - run_lo))
        return plan

    def training_batch(self, rng: np.random.Generator, batch_size: int, window: Window) -> Batch:
        self.check_window(window)
        plan = self._plan(window)
        if self.equalize:
            regions, starts = self._equalized_starts(plan, rng, batch_size, window)
        else:
            regions = rng.choice(len(plan.regions), size=batch_size, p=plan.starts / plan.starts.sum())
            starts = np.array([plan.regions[r][1] for r in regions]) + (rng.random(batch_size) * plan.starts[regions]).astype(np.int64)
        return self._batch([plan.regions[r][0] for r in regions], starts, window, None)

    def _equalized_starts(self, plan: _TrainingPlan, rng: np.random.Generator, n: int, window: Window):
        """Draw a class uniformly, a sample of that class, then a window that has the sample near one of its frames."""
        classes = list(plan.runs)
        chosen = rng.integers(0, len(classes), size=n)
        regions, starts = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
        for row, c in enumerate(chosen):
            region_of, run_lo, run_hi, cumulative = plan.runs[classes[c]]
            # A sample of the class, uniformly over all its samples: the run by length, then a place in it.
            run = min(int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right")), len(run_lo) - 1)
            t = run_lo[run] + int(rng.random() * (run_hi[run] - run_lo[run]))
            frame = int(rng.integers(0, window.frames))
            _, lo, hi = plan.regions[region_of[run]]
            regions[row] = region_of[run]
            starts[row] = min(max(t - window.frame_time(frame), lo), hi - window.length)
        return regions, starts

    def validation_windows(self, window: Window) -> list[tuple[str, int, np.ndarray]]:
        """Every validation window as (recording, start, mask), tiling each validation region once."""
        return tile_regions([(name, lo, hi) for name in self.classes_of for lo, hi in self.validation_regions[name]], window)

    def validation_batches(self, batch_size: int, window: Window) -> Iterator[Batch]:
        windows = self.validation_windows(window)
        for first in range(0, len(windows), batch_size):
            names, starts, masks = zip(*windows[first : first + batch_size])
            yield self._batch(list(names), np.array(starts), window, np.stack(masks))

    def _batch(self, names: Sequence[str], starts: np.ndarray, window: Window, mask: np.ndarray | None) -> Batch:
        length = window.length
        offsets = window.frame_time(0) + np.arange(window.frames) * window.stride
        x = np.stack([self.audio[name][s : s + length] for name, s in zip(names, starts)]).astype(np.float32, copy=False)
        if self.soft_of is not None:
            y = np.stack([self.soft_of[name][:, s + offsets] for name, s in zip(names, starts)]).astype(np.float32)
        else:
            y = np.stack([self.classes_of[name][s + offsets] for name, s in zip(names, starts)]).astype(np.int64)
        centre = window.centre_offset
        where = [
            ExampleRef(name, int(s) + centre, self.output_names[self.classes_of[name][int(s) + centre]])
            for name, s in zip(names, starts)
        ]
        return Batch(x, y, mask, where)

    def seconds(self, samplerate: int) -> dict[str, dict[str, float]]:
        """Seconds of each class in the training, validation and test regions (training before the guard)."""
        totals = {split: np.zeros(len(self.output_names)) for split in ("training", "validation", "test")}
        for split, regions in (
            ("training", self.training_regions()),
            ("validation", [(n, lo, hi) for n, rs in self.validation_regions.items() for lo, hi in rs]),
            ("test", [(n, lo, hi) for n, rs in self.test_regions.items() for lo, hi in rs]),
        ):
            for name, lo, hi in regions:
                totals[split] += np.bincount(self.classes_of[name][lo:hi], minlength=len(self.output_names))
        return {
            split: {label: round(float(n) / samplerate, 3) for label, n in zip(self.output_names, counts)}
            for split, counts in totals.items()
        }

    def manifest(self) -> dict:
        return {
            "training": [{"recording": n, "start": lo, "stop": hi} for n, lo, hi in self.training_regions()],
            "validation": [
                {"recording": n, "start": lo, "stop": hi} for n, rs in self.validation_regions.items() for lo, hi in rs
            ],
            "test": [{"recording": n, "start": lo, "stop": hi} for n, rs in self.test_regions.items() for lo, hi in rs],
            "guard": "training windows keep one window length away from validation and test blocks" if self.guarded else None,
        }
