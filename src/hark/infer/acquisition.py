"""What makes a sound worth annotating next (``hark suggest``): the acquisition terms and the greedy pick.

Each candidate sound has, from the model (or the mean of its replicates):

- **near threshold** ``c = exp(-|logit p - logit t|)``: ``p`` the highest probability of the
  candidate's label over its frames, ``t`` that label's threshold (``hark accuracy``'s, at the
  chosen precision/recall ratio). 1 on the threshold, 1/e where the odds differ e-fold: the
  model cannot tell whether it is that sound. Measured in log-odds because a model's
  probabilities crowd at 0 and 1. A threshold outside [0.1, 0.9] counts as that bound: such a
  threshold comes from a validation set the model separates completely (any value in the gap
  would do), and closeness to 0.997 or 0.003 would favour the confident sounds.
- **replicates disagree** ``d = min(1, 2 * sd)``: the standard deviation of ``p`` over the
  replicates (a model folder of ``hark train --replicates``: ``1r``, ``2r``, ...); the largest
  possible deviation of values in [0, 1] is 0.5, hence the 2. With a single model ``d = 0``.
- **novel** ``n = min(1, 1 - s)``: ``s`` the largest cosine similarity of the candidate's
  embedding to the embeddings of the sounds already annotated (each a mean of the model's
  last hidden layer over the sound's frames, centred on the candidates' mean as ``hark embed``
  centres an index). 1 when nothing is annotated yet, so that it then ranks no candidate
  above another.

The usefulness is the weighted mean ``u = (wc c + wd d + wn n) / (wc + wd + wn)``, in [0, 1].
**Diversity**: the budget is filled greedily, each time with the candidate of highest
``u - diversity * max(0, s_picked)``, ``s_picked`` its largest cosine similarity to the ones
already picked (maximal marginal relevance), so that twenty copies of one sound do not fill
the list; a candidate that overlaps a picked one in time is never picked. The score written
for each pick is that marginal usefulness, which falls from pick to pick, so ordering by score
(the GUI's review does) keeps the order picked. Ties are broken by a
permutation drawn from ``seed``, so the same inputs and seed give the same list.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hark.infer.suggest_request import SuggestParams

REASONS = ("near threshold", "replicates disagree", "novel")


@dataclass(frozen=True)
class Terms:
    """The acquisition terms of ``n`` candidates, each in [0, 1]."""

    near_threshold: np.ndarray
    disagreement: np.ndarray
    novelty: np.ndarray


THRESHOLD_BOUNDS = (0.1, 0.9)
"""Where a threshold is taken to lie at most (see the module doc)."""


def effective_threshold(threshold: float) -> float:
    return float(np.clip(threshold, *THRESHOLD_BOUNDS))


def near_threshold(peak: np.ndarray, threshold: np.ndarray) -> np.ndarray:
    """``exp(-|logit p - logit t|)``, ``t`` bounded to :data:`THRESHOLD_BOUNDS`."""
    p = np.clip(np.asarray(peak, float), 1e-7, 1 - 1e-7)
    t = np.clip(np.asarray(threshold, float), *THRESHOLD_BOUNDS)
    return np.exp(-np.abs(np.log(p / (1 - p)) - np.log(t / (1 - t))))


def disagreement(member_peaks: np.ndarray) -> np.ndarray:
    """``min(1, 2 * sd)`` over the members (axis 1 of ``(candidates, members)``); 0 for one member."""
    member_peaks = np.asarray(member_peaks, float)
    if member_peaks.shape[1] < 2:
        return np.zeros(len(member_peaks))
    return np.clip(2 * member_peaks.std(axis=1), 0, 1)


def centred(vectors: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Rows minus ``mean``, scaled to unit length (a zero row stays zero)."""
    rows = np.asarray(vectors, float) - mean
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms > 0, norms, 1.0)


def novelty(candidates: np.ndarray, annotated: np.ndarray) -> np.ndarray:
    """``min(1, 1 - s)``: ``s`` each (unit) candidate's largest cosine similarity to the (unit) annotated rows."""
    if len(annotated) == 0:
        return np.ones(len(candidates))
    similarity = np.asarray(candidates) @ np.asarray(annotated).T
    return np.clip(1 - similarity.max(axis=1), 0, 1)


def usefulness(terms: Terms, params: SuggestParams) -> np.ndarray:
    weights = np.array([params.near_threshold_weight, params.disagreement_weight, params.novelty_weight])
    stacked = np.stack([terms.near_threshold, terms.disagreement, terms.novelty])
    total = weights.sum()
    return (weights @ stacked) / total if total > 0 else np.zeros(stacked.shape[1])


def reasons(terms: Terms, params: SuggestParams) -> list[str]:
    """Each candidate's reason: the terms of value at least 0.5, the largest weighted contribution first
    (the largest one alone when none is); joined by ``+`` (hark's CSVs are split at commas)."""
    weights = np.array([params.near_threshold_weight, params.disagreement_weight, params.novelty_weight])
    stacked = np.stack([terms.near_threshold, terms.disagreement, terms.novelty]).T
    found = []
    for values in stacked:
        contributions = values * weights
        order = [i for i in np.argsort(-contributions, kind="stable") if weights[i] > 0]
        strong = [REASONS[i] for i in order if values[i] >= 0.5]
        found.append("+".join(strong) if strong else (REASONS[order[0]] if order else "candidate"))
    return found


def pick(
    scores: np.ndarray, embeddings: np.ndarray, spans: list[tuple[str, int, int]], budget: int, diversity: float, seed: int
) -> list[tuple[int, float]]:
    """``(index, marginal usefulness)`` of at most ``budget`` candidates, in the order picked (see
    the module doc). The marginal usefulness (``u`` less the diversity penalty when picked) never
    rises from one pick to the next, since penalties only grow: sorted by it, the picks keep their order.

    ``embeddings``: unit rows; ``spans``: each candidate's ``(recording, start, stop)``.
    """
    n = len(scores)
    if n == 0:
        return []
    tie_order = np.random.default_rng(seed).permutation(n)
    rank = np.empty(n, dtype=np.int64)
    rank[tie_order] = np.arange(n)
    scores = np.asarray(scores, float)
    names = {name: i for i, name in enumerate(dict.fromkeys(r for r, _, _ in spans))}
    recordings = np.array([names[r] for r, _, _ in spans])
    starts = np.array([s for _, s, _ in spans], dtype=np.int64)
    stops = np.maximum(np.array([e for _, _, e in spans], dtype=np.int64), starts + 1)  # a point covers its sample
    closest = np.full(n, -np.inf)  # largest similarity to a picked candidate
    available = np.ones(n, dtype=bool)
    picked: list[int] = []
    marginal: list[float] = []
    while len(picked) < budget and available.any():
        penalty = diversity * np.maximum(closest, 0) if picked else np.zeros(n)
        adjusted = np.where(available, scores - penalty, -np.inf)
        best = adjusted.max()
        tied = np.flatnonzero(adjusted >= best - 1e-12)
        choice = int(tied[np.argmin(rank[tied])])
        picked.append(choice)
        marginal.append(float(adjusted[choice]))
        available[choice] = False
        available &= ~((recordings == recordings[choice]) & (starts < stops[choice]) & (stops > starts[choice]))
        closest = np.maximum(closest, embeddings @ embeddings[choice])
    return list(zip(picked, marginal))
