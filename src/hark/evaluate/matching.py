"""Which events of two (or more) parties are the same sound.

Two events match when they overlap or touch as closed intervals; when one of them is a
point event (start == stop) it may also lie up to a tolerance away, since a point marks
a moment that two people (or a person and a model) never place on the same sample. In
samples: ``max(starts) - min(stops) <= (tolerance if either is a point else 0)``.

- :func:`match_one_to_one` pairs events so that each is used at most once: the most pairs
  possible, and of those the pairing with the smallest total distance between centres
  (an optimal assignment, scipy's ``linear_sum_assignment``, run on each group of events
  that could match among themselves, so it stays fast on long recordings). Greedy nearest
  matching can pair a pulse with the wrong neighbour and leave its true partner unmatched;
  the optimum cannot. This is how event precision, recall and F1 are counted.
- :func:`clusters` joins every event to every event of another party it matches, and
  takes the connected groups: the units of the event-level congruence table.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from hark.annotations.event import Event
from hark.errors import HarkError
from hark.evaluate.metrics import Counts
from hark.evaluate.tics import as_intervals

_NO_PAIRS = (np.zeros(0, np.int64), np.zeros(0, np.int64))


def tolerance_tics(tolerance_ms: float, samplerate: float) -> int:
    """A tolerance in ms as whole samples, rounded down so that it is never exceeded."""
    ms, rate = _number(tolerance_ms), _number(samplerate)
    if not (math.isfinite(ms) and ms >= 0):
        raise HarkError(f"tolerance {tolerance_ms!r} ms must be a number >= 0")
    if not (math.isfinite(rate) and rate > 0):
        raise HarkError(f"sample rate {samplerate!r} must be a positive number of Hz")
    return math.floor(ms * rate / 1000 + 1e-9)


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def candidate_pairs(a, b, tolerance: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(ia, ib)`` of every pair of events of ``a`` and ``b`` (``(n, 2)`` spans) that match."""
    a, b = as_intervals(a), as_intervals(b)
    if len(a) == 0 or len(b) == 0:
        return _NO_PAIRS
    order = np.argsort(b[:, 0], kind="stable")
    b_start, b_stop = b[order, 0], b[order, 1]
    reach = np.maximum.accumulate(b_stop)
    # b's before `lo` end (and all before them) too early; those from `hi` start too late
    lo = np.searchsorted(reach, a[:, 0] - tolerance, side="left")
    hi = np.searchsorted(b_start, a[:, 1] + tolerance, side="right")
    count = np.maximum(hi - lo, 0)
    ia = np.repeat(np.arange(len(a)), count)
    jb = np.repeat(lo, count) + np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    gap = np.maximum(a[ia, 0], b_start[jb]) - np.minimum(a[ia, 1], b_stop[jb])
    has_point = (a[ia, 0] == a[ia, 1]) | (b_start[jb] == b_stop[jb])
    keep = gap <= np.where(has_point, tolerance, 0)
    return ia[keep], order[jb[keep]]


def match_one_to_one(a, b, tolerance: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(ia, ib)`` of matched pairs, each event in at most one (see the module doc)."""
    a, b = as_intervals(a), as_intervals(b)
    ia, ib = candidate_pairs(a, b, tolerance)
    if len(ia) == 0:
        return _NO_PAIRS
    component = _components(len(a) + len(b), ia, len(a) + ib)[ia]
    edges = np.bincount(component)
    alone = edges[component] == 1  # the usual case: one event on each side, nothing near
    pairs_a, pairs_b = [ia[alone]], [ib[alone]]
    centre_a, centre_b = a.sum(axis=1) / 2, b.sum(axis=1) / 2
    rest = np.flatnonzero(~alone)
    rest = rest[np.argsort(component[rest], kind="stable")]
    for group in np.split(rest, np.flatnonzero(np.diff(component[rest])) + 1) if len(rest) else []:
        rows, row_of = np.unique(ia[group], return_inverse=True)
        cols, col_of = np.unique(ib[group], return_inverse=True)
        distance = np.abs(centre_a[ia[group]] - centre_b[ib[group]])
        # A non-pair costs more than all pairs together, so the optimum first takes as
        # many pairs as possible, then the closest ones.
        never = distance.sum() + 1.0
        cost = np.full((len(rows), len(cols)), never)
        cost[row_of, col_of] = distance
        from scipy.optimize import linear_sum_assignment

        r, c = linear_sum_assignment(cost)
        valid = cost[r, c] < never
        pairs_a.append(rows[r[valid]])
        pairs_b.append(cols[c[valid]])
    matched_a, matched_b = np.concatenate(pairs_a), np.concatenate(pairs_b)
    order = np.argsort(matched_a, kind="stable")
    return matched_a[order], matched_b[order]


def clusters(sets: Sequence, tolerance: int) -> tuple[list[np.ndarray], int]:
    """Groups of events joined by matches between different sets.

    Returns, for each set, the group number of each of its events, and the number of
    groups. Events of one set are joined only through an event of another set.
    """
    spans = [as_intervals(s) for s in sets]
    offsets = np.cumsum([0] + [len(s) for s in spans])
    heads, tails = [], []
    for i in range(len(spans)):
        for j in range(i + 1, len(spans)):
            ia, ib = candidate_pairs(spans[i], spans[j], tolerance)
            heads.append(ia + offsets[i])
            tails.append(ib + offsets[j])
    head = np.concatenate(heads) if heads else np.zeros(0, np.int64)
    tail = np.concatenate(tails) if tails else np.zeros(0, np.int64)
    group = _components(int(offsets[-1]), head, tail)
    count = int(group.max()) + 1 if len(group) else 0
    return [group[offsets[k] : offsets[k + 1]] for k in range(len(spans))], count


def match_events(
    reference: Sequence[Event],
    found: Sequence[Event],
    *,
    samplerate: float,
    tolerance_ms: float = 10.0,
    by_label: bool = True,
) -> Counts:
    """True positives (one-to-one matches), false positives and false negatives of ``found``.

    Events match only within one recording and, with ``by_label``, one label. This is
    "event F1 with a 10 ms tolerance": ``match_events(annotated, predicted, samplerate=rate).f1``.
    """
    tolerance = tolerance_tics(tolerance_ms, samplerate)
    groups: dict[tuple, list[list[tuple[int, int]]]] = defaultdict(lambda: [[], []])
    for side, events in enumerate((reference, found)):
        for e in events:
            groups[(e.recording, e.label if by_label else None)][side].append((e.start, e.stop))
    matched = sum(len(match_one_to_one(ref, hits, tolerance)[0]) for ref, hits in groups.values())
    return Counts(matched, len(found) - matched, len(reference) - matched)


def _components(nodes: int, head: np.ndarray, tail: np.ndarray) -> np.ndarray:
    """Connected component of each node of the undirected graph with edges ``head[i] - tail[i]``."""
    if nodes == 0:
        return np.zeros(0, np.int64)
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(head), dtype=np.int8), (head, tail)), shape=(nodes, nodes))
    return connected_components(graph, directed=False)[1]
