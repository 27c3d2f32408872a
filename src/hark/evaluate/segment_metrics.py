"""How well predicted syllables agree with reference ones: DAS's measures and DCASE's.

Each is computed per recording, then summed over recordings (definitions, with examples,
in docs/segmentation.md):

- **on- and offset precision, recall and F1** within a tolerance, as DAS reports them: the
  onsets of both sides are points, paired one-to-one when at most the tolerance apart
  (:func:`hark.evaluate.matching.match_one_to_one`: the most pairs, then the closest),
  whatever the labels; likewise the offsets. The **median absolute error** (ms) of the pairs.
- **label accuracy**: syllables are paired one-to-one by overlap (the most pairs, then the
  largest total overlap); the fraction of pairs with the same label.
- **syllable error rate**: the edit (Levenshtein) distance between the label sequences
  (ordered by onset), summed over recordings, over the number of reference syllables.
- **DCASE event-based** scores, as sed_eval computes them: a predicted event is correct when
  it has the reference's label, its onset is within ``collar_ms`` and its offset within
  ``max(collar_ms, offset_fraction * reference duration)`` (the most such pairs); of what
  is left, a reference and a predicted event meeting the timing with another label are a
  substitution (paired greedily in onset order); the rest are deletions and insertions.
- **DCASE segment-based** scores: time is cut into segments of ``segment_ms``; a label is
  active in a segment that any of its events touches; per segment, substitutions are
  ``min(ref, pred) - correct`` labels, deletions ``max(0, ref - pred)``, insertions
  ``max(0, pred - ref)``.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from pydantic import Field

from hark.annotations.event import Event
from hark.errors import HarkError
from hark.evaluate.matching import candidate_pairs, match_one_to_one, tolerance_tics
from hark.evaluate.metrics import Counts
from hark.params import Params


class ScoringParams(Params):
    """The tolerances of the syllable scores."""

    tolerance_ms: float = Field(10.0, ge=0, description="on- and offsets match when at most this far apart")
    collar_ms: float = Field(200.0, gt=0, description="DCASE event-based: the on- and offset collar")
    offset_fraction: float = Field(0.2, ge=0, le=1, description="DCASE event-based: the offset may also be off by this fraction of the reference's duration")
    segment_ms: float = Field(1000.0, gt=0, description="DCASE segment-based: the length of a segment")


@dataclass(frozen=True)
class ErrorCounts(Counts):
    """Counts with substitutions, deletions and insertions: error rate = (S + D + I) / reference events."""

    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0

    @property
    def error_rate(self) -> float:
        reference = self.true_positives + self.false_negatives
        return (self.substitutions + self.deletions + self.insertions) / reference if reference else math.nan

    def __add__(self, other: ErrorCounts) -> ErrorCounts:
        return ErrorCounts(*(getattr(self, f) + getattr(other, f) for f in _ERROR_FIELDS))


_ERROR_FIELDS = ("true_positives", "false_positives", "false_negatives", "substitutions", "deletions", "insertions")
NO_ERRORS = ErrorCounts(0, 0, 0)


@dataclass(frozen=True)
class DcaseScores:
    """DCASE scores over all labels (``overall``) and per label (substitutions count only overall)."""

    overall: ErrorCounts = NO_ERRORS
    per_label: Mapping[str, ErrorCounts] = field(default_factory=dict)

    def __add__(self, other: DcaseScores) -> DcaseScores:
        labels = dict.fromkeys([*self.per_label, *other.per_label])
        return DcaseScores(self.overall + other.overall, {x: self.per_label.get(x, NO_ERRORS) + other.per_label.get(x, NO_ERRORS) for x in labels})


@dataclass(frozen=True)
class BoundaryScores(Counts):
    """Onsets (or offsets) matched within the tolerance; ``errors_ms``: predicted minus reference, per pair."""

    errors_ms: tuple[float, ...] = ()

    @property
    def median_error_ms(self) -> float:
        """The median absolute error of the matched boundaries (NaN without any)."""
        return float(np.median(np.abs(self.errors_ms))) if self.errors_ms else math.nan

    def __add__(self, other: BoundaryScores) -> BoundaryScores:
        counts = (getattr(self, f) + getattr(other, f) for f in _ERROR_FIELDS[:3])
        return BoundaryScores(*counts, errors_ms=self.errors_ms + other.errors_ms)


@dataclass(frozen=True)
class SyllableScores:
    """Everything :func:`recording_scores` measures, for one recording or summed over several."""

    onsets: BoundaryScores = BoundaryScores(0, 0, 0)
    offsets: BoundaryScores = BoundaryScores(0, 0, 0)
    reference_syllables: int = 0
    predicted_syllables: int = 0
    edit_distance: int = 0
    label_pairs: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (reference, predicted) label -> overlapping pairs
    dcase_events: DcaseScores = DcaseScores()
    dcase_segments: DcaseScores = DcaseScores()

    @property
    def overlapping_pairs(self) -> int:
        return sum(self.label_pairs.values())

    @property
    def label_accuracy(self) -> float:
        """Of the syllables paired by overlap, the fraction labelled alike (NaN without pairs)."""
        same = sum(n for (a, b), n in self.label_pairs.items() if a == b)
        return same / self.overlapping_pairs if self.overlapping_pairs else math.nan

    @property
    def syllable_error_rate(self) -> float:
        return self.edit_distance / self.reference_syllables if self.reference_syllables else math.nan

    def __add__(self, other: SyllableScores) -> SyllableScores:
        pairs = Counter(self.label_pairs)
        pairs.update(other.label_pairs)
        return SyllableScores(
            self.onsets + other.onsets, self.offsets + other.offsets, self.reference_syllables + other.reference_syllables,
            self.predicted_syllables + other.predicted_syllables, self.edit_distance + other.edit_distance, dict(pairs),
            self.dcase_events + other.dcase_events, self.dcase_segments + other.dcase_segments,
        )  # fmt: skip


def syllable_scores(reference: Sequence[Event], predicted: Sequence[Event], *, samplerate, params: ScoringParams = ScoringParams(), labels: Sequence[str] | None = None) -> SyllableScores:
    """The scores summed over every recording either side names; see :func:`recording_scores`."""
    return sum(recording_scores(reference, predicted, samplerate=samplerate, params=params, labels=labels).values(), SyllableScores())


def recording_scores(
    reference: Sequence[Event],
    predicted: Sequence[Event],
    *,
    samplerate: float | Mapping[str, float],
    params: ScoringParams = ScoringParams(),
    labels: Sequence[str] | None = None,
) -> dict[str, SyllableScores]:
    """The scores of each recording either side names, by recording name (see the module doc).

    ``samplerate`` is one rate for all, or each recording's. ``labels`` (default: every
    label of either side) are the DCASE classes; events of other labels are an error.
    """
    chosen = tuple(dict.fromkeys(labels)) if labels is not None else tuple(sorted({e.label for e in (*reference, *predicted)}))
    stray = sorted({e.label for e in (*reference, *predicted)} - set(chosen))
    if stray:
        raise HarkError(f"events labelled {stray[0]!r}, which is not among the labels scored ({', '.join(chosen)})")
    by_recording: dict[str, tuple[list[Event], list[Event]]] = defaultdict(lambda: ([], []))
    for side, events in enumerate((reference, predicted)):
        for e in events:
            by_recording[e.recording][side].append(e)
    scores = {}
    for recording in sorted(by_recording):
        rate = samplerate.get(recording) if isinstance(samplerate, Mapping) else samplerate
        if rate is None:
            raise HarkError(f"no sample rate for {recording}")
        ref, pred = (_Syllables.of(events, chosen) for events in by_recording[recording])
        scores[recording] = _score(ref, pred, float(rate), params, chosen)
    return scores


def edit_distance(a: Sequence, b: Sequence) -> int:
    """The Levenshtein distance: the fewest insertions, deletions and substitutions turning ``a`` into ``b``."""
    codes = {x: i for i, x in enumerate(dict.fromkeys([*a, *b]))}
    x, y = np.array([codes[v] for v in a], np.int64), np.array([codes[v] for v in b], np.int64)
    row = np.arange(len(y) + 1)  # distances from a[:0] to each prefix of b
    steps = np.arange(len(y) + 1)
    for i, symbol in enumerate(x, start=1):
        # without insertions, from the row above; an insertion adds 1 per step along the row,
        # so the best over all is a running minimum of (value - step) + step
        best = np.empty_like(row)
        best[0] = i
        best[1:] = np.minimum(row[1:] + 1, row[:-1] + (y != symbol))
        row = np.minimum.accumulate(best - steps) + steps
    return int(row[-1])


@dataclass(frozen=True, eq=False)
class _Syllables:
    """One side of one recording, ordered by onset: spans (n, 2) in samples and label indices."""

    spans: np.ndarray
    labels: np.ndarray

    @staticmethod
    def of(events: Sequence[Event], chosen: tuple[str, ...]) -> _Syllables:
        ordered = sorted(events, key=lambda e: (e.start, e.stop, e.label))
        spans = np.array([(e.start, e.stop) for e in ordered], np.int64).reshape(-1, 2)
        return _Syllables(spans, np.array([chosen.index(e.label) for e in ordered], np.int64))


def _score(ref: _Syllables, pred: _Syllables, rate: float, params: ScoringParams, chosen: tuple[str, ...]) -> SyllableScores:
    tolerance = tolerance_tics(params.tolerance_ms, rate)
    boundaries = [_boundaries(ref.spans[:, k], pred.spans[:, k], tolerance, rate) for k in (0, 1)]
    ia, ib = _overlap_pairs(ref.spans, pred.spans)
    label_pairs = Counter(zip((chosen[i] for i in ref.labels[ia]), (chosen[j] for j in pred.labels[ib])))
    return SyllableScores(
        *boundaries, len(ref.labels), len(pred.labels), edit_distance(ref.labels.tolist(), pred.labels.tolist()), dict(label_pairs),
        _dcase_events(ref, pred, tolerance_tics(params.collar_ms, rate), params.offset_fraction, chosen),
        _dcase_segments(ref, pred, _fraction(params.segment_ms) * _fraction(rate) / 1000, chosen),
    )  # fmt: skip


def _boundaries(ref: np.ndarray, pred: np.ndarray, tolerance: int, rate: float) -> BoundaryScores:
    ia, ib = match_one_to_one(np.stack([ref, ref], axis=1), np.stack([pred, pred], axis=1), tolerance)
    errors = (pred[ib] - ref[ia]) * 1000 / rate
    return BoundaryScores(len(ia), len(pred) - len(ia), len(ref) - len(ia), errors_ms=tuple(errors.tolist()))


def _overlap_pairs(ref: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ia, ib = candidate_pairs(ref, pred, 0)  # the pairs that overlap or touch
    overlap = np.minimum(ref[ia, 1], pred[ib, 1]) - np.maximum(ref[ia, 0], pred[ib, 0])
    # touching is no overlap, but a point (a pulse marked at its centre) inside a syllable
    # overlaps it by the one sample it marks
    point = (ref[ia, 0] == ref[ia, 1]) | (pred[ib, 0] == pred[ib, 1])
    overlap = np.where(point, 1, overlap)
    keep = overlap > 0
    return _most_pairs(ia[keep], ib[keep], -overlap[keep].astype(np.float64), len(ref))


def _most_pairs(ia: np.ndarray, ib: np.ndarray, cost: np.ndarray, n_a: int) -> tuple[np.ndarray, np.ndarray]:
    """Of the candidate pairs ``(ia, ib)``, each index used once: the most pairs, then the least total cost."""
    if len(ia) == 0:
        return ia, ib
    from scipy.optimize import linear_sum_assignment
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    _, b_index = np.unique(ib, return_inverse=True)
    nodes = n_a + int(b_index.max()) + 1
    graph = coo_matrix((np.ones(len(ia)), (ia, n_a + b_index)), shape=(nodes, nodes))
    component = connected_components(graph, directed=False)[1][ia]
    alone = np.bincount(component)[component] == 1  # the usual case: one candidate, no rival
    chosen = list(zip(ia[alone].tolist(), ib[alone].tolist()))
    rest = np.flatnonzero(~alone)
    rest = rest[np.argsort(component[rest], kind="stable")]
    for group in np.split(rest, np.flatnonzero(np.diff(component[rest])) + 1) if len(rest) else []:
        rows, row_of = np.unique(ia[group], return_inverse=True)
        cols, col_of = np.unique(ib[group], return_inverse=True)
        # a non-pair costs more than any set of pairs can differ by, so the count of pairs comes first
        never = 2 * np.abs(cost[group]).sum() + 1.0
        matrix = np.full((len(rows), len(cols)), never)
        matrix[row_of, col_of] = cost[group]
        r, c = linear_sum_assignment(matrix)
        valid = matrix[r, c] < never
        chosen += [(a, b) for a, b in zip(rows[r[valid]].tolist(), cols[c[valid]].tolist())]
    chosen.sort()
    return np.array([a for a, _ in chosen], np.int64), np.array([b for _, b in chosen], np.int64)


def _dcase_events(ref: _Syllables, pred: _Syllables, collar: int, fraction: float, chosen: tuple[str, ...]) -> DcaseScores:
    ia, ib = _collar_pairs(ref.spans, pred.spans, collar, fraction)
    same = ref.labels[ia] == pred.labels[ib]
    distance = np.abs(ref.spans[ia] - pred.spans[ib]).sum(axis=1).astype(np.float64)
    ta, tb = _most_pairs(ia[same], ib[same], distance[same], len(ref.labels))
    correct_ref, correct_pred = np.zeros(len(ref.labels), bool), np.zeros(len(pred.labels), bool)
    correct_ref[ta], correct_pred[tb] = True, True
    substitutions = 0
    for a, b in zip(ia.tolist(), ib.tolist()):  # sed_eval's greedy order: by reference, then by prediction
        if not correct_ref[a] and not correct_pred[b]:
            correct_ref[a] = correct_pred[b] = True
            substitutions += 1
    tp = len(ta)
    fp, fn = len(pred.labels) - tp, len(ref.labels) - tp
    overall = ErrorCounts(tp, fp, fn, substitutions, fn - substitutions, fp - substitutions)
    per_label = {}
    for k, label in enumerate(chosen):
        hits = int(np.sum(ref.labels[ta] == k))
        missed, extra = int(np.sum(ref.labels == k)) - hits, int(np.sum(pred.labels == k)) - hits
        per_label[label] = ErrorCounts(hits, extra, missed, 0, missed, extra)
    return DcaseScores(overall, per_label)


def _collar_pairs(ref: np.ndarray, pred: np.ndarray, collar: int, fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs with onsets at most ``collar`` apart and offsets at most ``max(collar, fraction * reference duration)``."""
    if len(ref) == 0 or len(pred) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    lo = np.searchsorted(pred[:, 0], ref[:, 0] - collar, side="left")  # pred is ordered by onset
    hi = np.searchsorted(pred[:, 0], ref[:, 0] + collar, side="right")
    count = hi - lo
    ia = np.repeat(np.arange(len(ref)), count)
    ib = np.repeat(lo, count) + np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    reach = np.maximum(collar, fraction * (ref[ia, 1] - ref[ia, 0]))
    keep = np.abs(ref[ia, 1] - pred[ib, 1]) <= reach
    return ia[keep], ib[keep]


def _dcase_segments(ref: _Syllables, pred: _Syllables, length: Fraction, chosen: tuple[str, ...]) -> DcaseScores:
    # segment k is [k * length, (k + 1) * length) samples; exact in fractions, as sed_eval's floor and ceil
    segments = _segment_count(ref, pred, length)
    truth, guess = (_activity(side, length, segments, len(chosen)) for side in (ref, pred))
    per_segment_ref, per_segment_pred = truth.sum(axis=1), guess.sum(axis=1)
    both = truth & guess
    correct = both.sum(axis=1)
    overall = ErrorCounts(
        int(correct.sum()), int((guess & ~truth).sum()), int((truth & ~guess).sum()),
        int((np.minimum(per_segment_ref, per_segment_pred) - correct).sum()),
        int(np.maximum(0, per_segment_ref - per_segment_pred).sum()), int(np.maximum(0, per_segment_pred - per_segment_ref).sum()),
    )  # fmt: skip
    per_label = {}
    for k, label in enumerate(chosen):
        tp, fp, fn = int(both[:, k].sum()), int((guess[:, k] & ~truth[:, k]).sum()), int((truth[:, k] & ~guess[:, k]).sum())
        per_label[label] = ErrorCounts(tp, fp, fn, 0, fn, fp)
    return DcaseScores(overall, per_label)


def _segment_count(ref: _Syllables, pred: _Syllables, length: Fraction) -> int:
    stops = [int(s[:, 1].max()) for s in (ref.spans, pred.spans) if len(s)]
    return _ceil_div(max(stops), length) if stops else 0


def _activity(side: _Syllables, length: Fraction, segments: int, labels: int) -> np.ndarray:
    """``(segments, labels)``: which labels are active in which segments."""
    first = (side.spans[:, 0] * length.denominator) // length.numerator
    stop = np.array([_ceil_div(int(s), length) for s in side.spans[:, 1]], np.int64).reshape(-1)
    change = np.zeros((segments + 1, labels), np.int64)
    np.add.at(change, (first, side.labels), 1)
    np.add.at(change, (stop, side.labels), -1)
    return np.cumsum(change, axis=0)[:segments] > 0


def _fraction(value: float) -> Fraction:
    """``value`` as the simple fraction it was meant as (0.1, not the binary float nearest it)."""
    return Fraction(value).limit_denominator(10**6)


def _ceil_div(samples: int, length: Fraction) -> int:
    return -((-samples * length.denominator) // length.numerator)
