"""Congruence: how hark's predictions agree with dense human annotations, label by label.

Parties are the annotators (``<rec>-annotated-<name>.csv``) and hark (its predictions,
``<rec>-predicted-<ratio>pr.csv``, or events made from per-frame probabilities). Two levels:

- tic: the samples each party marks (events as half-open ``[start, stop)``), compared by
  interval arithmetic (:mod:`hark.evaluate.tics`);
- event: an event of one party agrees with an event of another that it overlaps, or for
  point events lies within ``tolerance_ms`` of (:mod:`hark.evaluate.matching`).

Only the portion of each recording the annotators annotated densely counts: per annotator
and recording the given extent, else the span from the start of their first annotation
(of any label) to the stop of their last; with several annotators the portion all of them
covered. Tic counts are clipped to it; events count when they touch it. Definitions and the
tables' meaning are in docs/congruence.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hark.annotations.event import Event, Kind
from hark.annotations.naming import parse_annotation_name
from hark.annotations.selection import check_kind
from hark.annotations.songexplorer import read_csv
from hark.errors import HarkError
from hark.evaluate import tics
from hark.evaluate.events import frames_to_samples, probability_runs
from hark.evaluate.matching import clusters, match_one_to_one, tolerance_tics
from hark.evaluate.checks import check_ratio
from hark.evaluate.metrics import Counts, ThresholdRow, threshold_for_ratio

HARK = "hark"
UNION, INTERSECTION = "union", "intersection"
LEVELS = ("tic", "event")
DEFAULT_SWEEP = tuple(round(t, 2) for t in np.linspace(0.05, 0.95, 19))


@dataclass(frozen=True)
class Regions:
    """The Venn-like table of one label at one level, summed over recordings.

    ``everyone``: marked by every party; ``only[X]``: by X and nobody else; ``all_but[X]``:
    by every party except X ("not X"). Tics at the tic level, groups of matching events at
    the event level.
    """

    label: str
    level: str
    parties: tuple[str, ...]
    everyone: int
    only: Mapping[str, int]
    all_but: Mapping[str, int]

    def rows(self) -> list[tuple[str, int]]:
        """``("everyone", n), ("only X", n)..., ("not X", n)...`` in party order."""
        return [("everyone", self.everyone), *((f"only {p}", self.only[p]) for p in self.parties), *((f"not {p}", self.all_but[p]) for p in self.parties)]


@dataclass(frozen=True)
class Agreement(Counts):
    """hark against one reference (an annotator, ``union`` or ``intersection``) for one label and level."""

    label: str
    level: str
    reference: str


@dataclass(frozen=True)
class RegionInterval:
    """Samples ``[start, stop)`` of one recording that one region of one label's tic table holds
    (``everyone``, ``only X`` or ``not X``, as :meth:`Regions.rows` names them): where the
    parties agree and where they do not, to listen to, cluster or review."""

    recording: str
    label: str
    region: str
    start: int
    stop: int


@dataclass(frozen=True)
class Congruence:
    parties: tuple[str, ...]
    labels: tuple[str, ...]
    regions: tuple[Regions, ...]
    agreements: tuple[Agreement, ...]
    intervals: tuple[RegionInterval, ...] = ()

    def regions_of(self, label: str, level: str) -> Regions:
        return _pick(self.regions, label=label, level=level)

    def agreement(self, label: str, level: str, reference: str) -> Agreement:
        return _pick(self.agreements, label=label, level=level, reference=reference)


@dataclass(frozen=True, eq=False)
class FrameProbabilities:
    """A model's per-frame probabilities ``(frames, labels)`` of one recording; timing as in :mod:`hark.evaluate.events`."""

    recording: str
    probabilities: np.ndarray
    hop: int
    offset: int = 0
    length: int | None = None


@dataclass(frozen=True)
class SweepPoint(Agreement):
    threshold: float


@dataclass(frozen=True, eq=False)
class ThresholdSweep:
    """Agreements as one threshold, applied to every label, varies; and the dense thresholds.

    ``dense`` holds, per label and ratio, the threshold where precision / recall against
    ``reference`` at ``level`` equals the ratio; at 1.0 that is where "only hark" (false
    positives) and "only human" (false negatives) cross.
    """

    thresholds: tuple[float, ...]
    points: tuple[SweepPoint, ...]
    dense: tuple[ThresholdRow, ...]
    level: str
    reference: str

    def curve(self, label: str, level: str | None = None, reference: str | None = None) -> list[SweepPoint]:
        level, reference = level or self.level, reference or self.reference
        return [p for p in self.points if (p.label, p.level, p.reference) == (label, level, reference)]


@dataclass(frozen=True)
class DenseFiles:
    """The annotation CSVs of a folder: ``annotated[name]`` and ``predicted[ratio]`` paths."""

    annotated: Mapping[str, tuple[Path, ...]]
    predicted: Mapping[str, tuple[Path, ...]]


@dataclass
class _HumanSide:
    """One recording and label: the annotators' marks inside the counted portion, and references."""

    names: tuple[str, ...]
    lo: int
    hi: int
    events: list[np.ndarray]  # per annotator, (n, 2) closed spans touching [lo, hi]
    tics: list[np.ndarray]  # per annotator, merged and clipped to [lo, hi)
    references: dict[str, tuple[np.ndarray, np.ndarray]]  # name -> (event spans, tics)

    def hark_side(self, spans: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _touching(spans, self.lo, self.hi), tics.clip(tics.merged(spans), self.lo, self.hi)


def congruence(
    annotations: Mapping[str, Sequence[Event]],
    predicted: Sequence[Event],
    *,
    samplerate: float,
    tolerance_ms: float = 10.0,
    labels: Sequence[str] | None = None,
    extents: Mapping[str, Mapping[str, tuple[int, int]]] | None = None,
) -> Congruence:
    """Regions and agreements of ``predicted`` against ``annotations`` (annotator -> events).

    ``labels`` defaults to every label the annotators used. A recording counts when every
    annotator covers it; hark's events of other recordings are ignored, and a counted
    recording without predicted events is one where hark found nothing.
    """
    tolerance = tolerance_tics(tolerance_ms, samplerate)
    sides, names, chosen = _human_sides(annotations, labels, extents, tolerance, extra_labels={e.label for e in predicted})
    spans = _spans_by(predicted)
    parties = (*names, HARK)
    k = len(parties)
    regions: dict[tuple[str, str], np.ndarray] = defaultdict(lambda: np.zeros(1 + 2 * k, np.int64))
    agreements: dict[tuple[str, str, str], np.ndarray] = defaultdict(lambda: np.zeros(3, np.int64))
    intervals: list[RegionInterval] = []
    region_names = ["everyone", *(f"only {p}" for p in parties), *(f"not {p}" for p in parties)]
    for (recording, label), side in sides.items():
        hark_events, hark_tics = side.hark_side(spans.get((recording, label), np.zeros((0, 2), np.int64)))
        counts_by_level, where = _regions(side, hark_events, hark_tics, tolerance)
        for level, counts in counts_by_level.items():
            regions[(label, level)] += counts
        for region, found in zip(region_names, where):
            intervals.extend(RegionInterval(recording, label, region, int(a), int(b)) for a, b in found)
        for key, counts in _agreements(side, hark_events, hark_tics, tolerance).items():
            agreements[(label, *key)] += counts
    tables = []
    for (label, level), counts in sorted(regions.items(), key=lambda item: (chosen.index(item[0][0]), LEVELS.index(item[0][1]))):
        only, all_but = counts[1 : 1 + k].tolist(), counts[1 + k :].tolist()
        tables.append(Regions(label, level, parties, int(counts[0]), dict(zip(parties, only)), dict(zip(parties, all_but))))
    order = sorted(agreements, key=lambda key: (chosen.index(key[0]), *key[1:]))
    intervals.sort(key=lambda r: (r.recording, chosen.index(r.label), region_names.index(r.region), r.start))
    agreed = tuple(Agreement(*map(int, agreements[key]), *key) for key in order)
    return Congruence(parties, chosen, tuple(tables), agreed, tuple(intervals))


def threshold_sweep(
    annotations: Mapping[str, Sequence[Event]],
    probabilities: Sequence[FrameProbabilities],
    labels: Sequence[str],
    *,
    samplerate: float,
    thresholds: Sequence[float] = DEFAULT_SWEEP,
    ratios: Sequence[float] = (1.0,),
    exclusive: bool = True,
    tolerance_ms: float = 10.0,
    level: str = "event",
    reference: str = UNION,
    extents: Mapping[str, Mapping[str, tuple[int, int]]] | None = None,
) -> ThresholdSweep:
    """Agreements of the events made at each threshold (the same for every label), and dense thresholds.

    ``labels`` names the probability columns; the labels evaluated are those the annotators
    used. Only recordings with both probabilities and annotations count.
    """
    if level not in LEVELS:
        raise HarkError(f"unknown level {level!r} (known: {', '.join(LEVELS)})")
    ratios = [check_ratio(r) for r in ratios]
    grid = sorted({float(t) for t in thresholds})
    if not grid:
        raise HarkError("the threshold sweep needs at least one threshold")
    tolerance = tolerance_tics(tolerance_ms, samplerate)
    columns = tuple(labels)
    used = sorted({e.label for events in annotations.values() for e in events})
    sides, names, chosen = _human_sides(annotations, [x for x in used if x in columns], extents, tolerance, extra_labels=set(columns))
    if reference not in (*names, UNION, INTERSECTION):
        raise HarkError(f"unknown reference {reference!r} (known: {', '.join((*names, UNION, INTERSECTION))})")
    if not {(f.recording, label) for f in probabilities for label in chosen} & set(sides):
        raise HarkError("no probabilities for any annotated recording (recording names must match the CSVs' wavfile column)")
    points = []
    for threshold in grid:
        totals: dict[tuple[str, str, str], np.ndarray] = defaultdict(lambda: np.zeros(3, np.int64))
        for frames in probabilities:
            runs = probability_runs(frames.probabilities, columns, [threshold] * len(columns), exclusive=exclusive)
            for run in runs:
                side = sides.get((frames.recording, run.label))
                if side is None:
                    continue
                spans = frames_to_samples(run.starts, run.stops, frames.hop, frames.offset, frames.length)
                hark_events, hark_tics = side.hark_side(spans[spans[:, 1] > spans[:, 0]])
                for key, counts in _agreements(side, hark_events, hark_tics, tolerance).items():
                    totals[(run.label, *key)] += counts
        points += [SweepPoint(*map(int, totals[k]), *k, threshold) for k in sorted(totals)]
    dense = []
    for label in chosen:
        curve = [p for p in points if (p.label, p.level, p.reference) == (label, level, reference)]
        operating = ([p.threshold for p in curve], [p.precision for p in curve], [p.recall for p in curve])
        dense += [ThresholdRow(label, ratio, *threshold_for_ratio(*operating, ratio)) for ratio in ratios]
    return ThresholdSweep(tuple(grid), tuple(points), tuple(dense), level, reference)


def find_dense_files(folder: str | Path) -> DenseFiles:
    """The ``-annotated-<name>.csv`` and ``-predicted-<ratio>pr.csv`` files in ``folder`` and below."""
    folder = Path(folder)
    if not folder.is_dir():
        raise HarkError(f"{folder}: no such folder")
    annotated: dict[str, list[Path]] = defaultdict(list)
    predicted: dict[str, list[Path]] = defaultdict(list)
    for path in sorted(folder.rglob("*.csv")):
        name = parse_annotation_name(path.name)
        if name is not None and name.kind is Kind.ANNOTATED:
            annotated[name.annotator].append(path)
        elif name is not None and name.kind is Kind.PREDICTED and not name.denoised:  # a denoised file has no ratio
            predicted[name.ratio].append(path)
    return DenseFiles({k: tuple(v) for k, v in annotated.items()}, {k: tuple(v) for k, v in predicted.items()})


def read_events(paths: Sequence[str | Path], kind: Kind | str) -> list[Event]:
    """The events of ``kind`` in the CSVs ``paths``; a malformed file raises its FileFormatError."""
    kind = check_kind(kind)
    return [e for path in paths for e in read_csv(path, allow_empty=True) if e.kind is kind]


def _human_sides(annotations, labels, extents, tolerance, extra_labels) -> tuple[dict, tuple[str, ...], tuple[str, ...]]:
    names = tuple(annotations)
    if not names:
        raise HarkError("congruence needs the annotations of at least one annotator")
    if HARK in names:
        raise HarkError(f"an annotator may not be called {HARK!r}: that name stands for hark's predictions")
    used = sorted({e.label for events in annotations.values() for e in events})
    if labels is None:
        chosen = tuple(used)
    else:
        chosen = tuple(dict.fromkeys(labels))
        unknown = [x for x in chosen if x not in used and x not in extra_labels]
        if unknown:
            raise HarkError(f"unknown label {unknown[0]!r} (labels annotated: {', '.join(used) or 'none'})")
    portions = [_extents(annotations[n], (extents or {}).get(n, {})) for n in names]
    spans = [_spans_by(annotations[n]) for n in names]
    sides = {}
    for recording in sorted(set.intersection(*(set(p) for p in portions))):
        lo, hi = max(p[recording][0] for p in portions), min(p[recording][1] for p in portions)
        if lo > hi:
            continue  # the annotators' portions do not meet: nothing counts here
        for label in chosen:
            events = [_touching(s.get((recording, label), np.zeros((0, 2), np.int64)), lo, hi) for s in spans]
            marks = [tics.clip(tics.merged(e), lo, hi) for e in events]
            sides[(recording, label)] = _HumanSide(names, lo, hi, events, marks, _references(names, events, marks, tolerance))
    if not chosen:
        raise HarkError("no label to compare: the annotators used none of the labels given")
    if not sides:
        raise HarkError(f"no recording is annotated by every one of {', '.join(names)}, so nothing can be compared")
    return sides, names, chosen


def _references(names, events, marks, tolerance) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    references = dict(zip(names, zip(events, marks)))
    # event-level union and intersection: groups of matching human events, spanning them all
    group_of, count = clusters(events, tolerance)
    parties = np.zeros(count, np.int64)
    first = np.full(count, np.iinfo(np.int64).max)
    last = np.full(count, np.iinfo(np.int64).min)
    for k, (spans, group) in enumerate(zip(events, group_of)):
        np.bitwise_or.at(parties, group, 1 << k)
        np.minimum.at(first, group, spans[:, 0])
        np.maximum.at(last, group, spans[:, 1])
    grouped = np.stack([first, last], axis=1).reshape(-1, 2)
    everybody = parties == (1 << len(names)) - 1
    references[UNION] = (grouped, tics.merged(np.concatenate(marks)))
    references[INTERSECTION] = (grouped[everybody], tics.intersection(marks))
    return references


def _agreements(side: _HumanSide, hark_events, hark_tics, tolerance) -> dict[tuple[str, str], np.ndarray]:
    """``{(level, reference): [TP, FP, FN]}`` of hark against every reference."""
    result = {}
    hark_total = tics.total(hark_tics)
    for reference, (events, marks) in side.references.items():
        matched = len(match_one_to_one(events, hark_events, tolerance)[0])
        result[("event", reference)] = np.array([matched, len(hark_events) - matched, len(events) - matched])
        both = tics.shared(marks, hark_tics)
        result[("tic", reference)] = np.array([both, hark_total - both, tics.total(marks) - both])
    return result


def _regions(side: _HumanSide, hark_events, hark_tics, tolerance) -> tuple[dict[str, np.ndarray], list[np.ndarray]]:
    """``{level: [everyone, only per party..., all-but per party...]}``, parties = annotators
    then hark, and the tic intervals of each of those regions in the same order (merged)."""
    k = len(side.names) + 1
    single = 1 << np.arange(k)  # each party's bit in a pattern of who marked something
    full = (1 << k) - 1
    starts, lengths, covered = tics.segments([*side.tics, hark_tics])
    pattern = covered.astype(np.int64) @ single if len(lengths) else np.zeros(0, np.int64)
    group_of, count = clusters([*side.events, hark_events], tolerance)
    grouped = np.zeros(count, np.int64)
    for bit, group in zip(single, group_of):
        np.bitwise_or.at(grouped, group, bit)
    wanted = [full, *single, *(full ^ single)]
    counts = {
        "tic": np.array([lengths[pattern == w].sum() for w in wanted], dtype=np.int64),
        "event": np.array([np.sum(grouped == w) for w in wanted], dtype=np.int64),
    }
    where = [tics.merged(np.stack([starts[pattern == w], starts[pattern == w] + lengths[pattern == w]], axis=1)) for w in wanted]
    return counts, where


def _extents(events: Sequence[Event], given: Mapping[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """Per recording, the annotated portion ``(first start, last stop)``, or the given one."""
    portions: dict[str, tuple[int, int]] = {}
    for e in events:
        lo, hi = portions.get(e.recording, (e.start, e.stop))
        portions[e.recording] = (min(lo, e.start), max(hi, e.stop))
    for recording, (lo, hi) in given.items():
        if not (0 <= int(lo) <= int(hi)):
            raise HarkError(f"annotated extent {lo}-{hi} of {recording} must be 0 <= start <= stop samples")
        portions[recording] = (int(lo), int(hi))
    return portions


def _spans_by(events: Sequence[Event]) -> dict[tuple[str, str], np.ndarray]:
    grouped: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for e in events:
        grouped[(e.recording, e.label)].append((e.start, e.stop))
    return {k: np.array(v, dtype=np.int64).reshape(-1, 2) for k, v in grouped.items()}


def _touching(spans: np.ndarray, lo: int, hi: int) -> np.ndarray:
    return spans[(spans[:, 0] <= hi) & (spans[:, 1] >= lo)]


def _pick(items, **wanted):
    for item in items:
        if all(getattr(item, k) == v for k, v in wanted.items()):
            return item
    raise HarkError("no congruence result for " + ", ".join(f"{k} {v!r}" for k, v in wanted.items()))
