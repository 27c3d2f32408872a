"""How well a classifier's probabilities agree with the true labels of validation examples.

Two kinds of truth:

- exclusive classes: ``truth`` is ``(N,)`` class indices; the prediction is the argmax;
- overlapped classes: ``truth`` is ``(N, C)`` 0/1 with ``mask`` ``(N, C)`` marking the known
  entries (unknown ones are ignored everywhere); label L is predicted where ``p[:, L] >=
  decision_threshold``.

Every per-label number is one-vs-rest: for label L the examples are split into positives
(truly L) and negatives, and "predicted L" is the decision above. Definitions are in
docs/accuracy.md. Nothing here writes files: see :mod:`hark.evaluate.report`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hark.errors import HarkError
from hark.evaluate.checks import Truth, check_probabilities, check_ratio, check_truth


@dataclass(frozen=True)
class Counts:
    """True and false positives and false negatives, and what follows from them.

    Precision is NaN when nothing was predicted, recall when there was nothing to find;
    F1 = 2TP / (2TP + FP + FN) is the harmonic mean of the two where both exist, 0 when
    something was predicted or missed but nothing found, and NaN only with no events at all.
    """

    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        return _ratio(self.true_positives, self.true_positives + self.false_positives)

    @property
    def recall(self) -> float:
        return _ratio(self.true_positives, self.true_positives + self.false_negatives)

    @property
    def f1(self) -> float:
        tp = self.true_positives
        return _ratio(2 * tp, 2 * tp + self.false_positives + self.false_negatives)


@dataclass(frozen=True)
class LabelMetrics(Counts):
    """One label, one-vs-rest; ``support`` is the number of examples truly of the label."""

    label: str
    true_negatives: int

    @property
    def support(self) -> int:
        return self.true_positives + self.false_negatives


@dataclass(frozen=True, eq=False)
class Metrics:
    """The scores of one set of validation results.

    ``confusion`` (exclusive classes only, else None): rows are the true label, columns the
    predicted one, in ``labels`` order. ``accuracy`` is the fraction of examples whose argmax
    is right (exclusive) or of known (example, label) entries decided right (overlapped).
    """

    labels: tuple[str, ...]
    exclusive: bool
    examples: int
    per_label: tuple[LabelMetrics, ...]
    accuracy: float
    confusion: np.ndarray | None

    @property
    def micro(self) -> Counts:
        """Counts summed over labels; with exclusive classes its P = R = F1 = accuracy."""
        return Counts(*(sum(getattr(m, f) for m in self.per_label) for f in ("true_positives", "false_positives", "false_negatives")))

    @property
    def macro_precision(self) -> float:
        return _mean_defined(m.precision for m in self.per_label)

    @property
    def macro_recall(self) -> float:
        return _mean_defined(m.recall for m in self.per_label)

    @property
    def macro_f1(self) -> float:
        """Mean of the per-label F1s (over the labels where F1 is defined): each label weighs the same."""
        return _mean_defined(m.f1 for m in self.per_label)

    def label(self, name: str) -> LabelMetrics:
        return self.per_label[_index_of(self.labels, name)]


@dataclass(frozen=True)
class ThresholdRow:
    """For ``label``, the threshold where precision / recall is ``ratio``, and the P and R there."""

    label: str
    ratio: float
    threshold: float
    precision: float
    recall: float


@dataclass(frozen=True, eq=False)
class Curves:
    """One label's precision-recall and ROC curves (one-vs-rest) and their areas.

    Arrays are as scikit-learn returns them; all empty and areas NaN when the label has no
    positives or no negatives, for which neither curve is defined.
    """

    label: str
    precision: np.ndarray
    recall: np.ndarray
    average_precision: float
    false_positive_rate: np.ndarray
    true_positive_rate: np.ndarray
    roc_auc: float


@dataclass(frozen=True, eq=False)
class Density:
    """Histograms of one label's probability over [0, 1], for its positives and its negatives."""

    label: str
    edges: np.ndarray
    positive: np.ndarray
    negative: np.ndarray

    def densities(self) -> tuple[np.ndarray, np.ndarray]:
        """Counts scaled so that each histogram integrates to 1 (zeros where it has no examples)."""
        widths = np.diff(self.edges)
        return tuple(c / (c.sum() * widths) if c.sum() else np.zeros_like(widths) for c in (self.positive, self.negative))


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Everything :func:`hark.evaluate.report.write_accuracy_report` shows of one set of results."""

    metrics: Metrics
    thresholds: tuple[ThresholdRow, ...]
    curves: tuple[Curves, ...]
    densities: tuple[Density, ...]


def evaluate(
    probabilities,
    truth,
    labels: Sequence[str],
    *,
    mask=None,
    ratios: Sequence[float] = (1.0,),
    decision_threshold: float = 0.5,
    bins: int = 50,
) -> Evaluation:
    """Metrics, ratio thresholds, curves and densities of one set of validation results."""
    p, names = check_probabilities(probabilities, labels)
    checked = check_truth(truth, mask, p.shape)
    return Evaluation(
        metrics=_metrics(p, checked, names, decision_threshold),
        thresholds=_ratio_thresholds(p, checked, names, ratios),
        curves=tuple(_curves(*_one_vs_rest(p, checked, c), name) for c, name in enumerate(names)),
        densities=_densities(p, checked, names, bins),
    )


def compute_metrics(probabilities, truth, labels: Sequence[str], *, mask=None, decision_threshold: float = 0.5) -> Metrics:
    """Confusion matrix, per-label and overall precision, recall, F1, and accuracy."""
    p, names = check_probabilities(probabilities, labels)
    return _metrics(p, check_truth(truth, mask, p.shape), names, decision_threshold)


def ratio_thresholds(probabilities, truth, labels: Sequence[str], ratios: Sequence[float], *, mask=None) -> tuple[ThresholdRow, ...]:
    """For each label and ratio, the threshold on the label's probability where precision / recall = ratio.

    Rows are ordered by label, then ratio as given. See :func:`threshold_for_ratio`.
    """
    p, names = check_probabilities(probabilities, labels)
    return _ratio_thresholds(p, check_truth(truth, mask, p.shape), names, ratios)


def operating_points(scores: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(thresholds, precision, recall)`` of "score >= threshold" at every distinct score, descending.

    Below the lowest score nothing changes, and above the highest positive recall is 0, so
    these are all the different operating points there are. Recall is NaN without positives.
    """
    if len(scores) == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    order = np.argsort(-scores, kind="stable")
    ordered, hits = scores[order], positive[order]
    true_pos = np.cumsum(hits)
    selected = np.arange(1, len(ordered) + 1)
    last_of_tie = np.r_[ordered[1:] != ordered[:-1], True]  # counts after every tied score is in
    positives = int(hits.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = true_pos[last_of_tie] / positives if positives else np.full(int(last_of_tie.sum()), np.nan)
        return ordered[last_of_tie], true_pos[last_of_tie] / selected[last_of_tie], recall


def threshold_for_ratio(thresholds, precision, recall, ratio: float) -> tuple[float, float, float]:
    """``(threshold, precision, recall)`` where precision / recall equals ``ratio``.

    The operating points (any order) are sorted by threshold and compared in log(P/R), so
    that ratios 10 and 0.1 are equally far from 1. Where log(P/R) crosses log(ratio) between
    two neighbouring points, the threshold is interpolated linearly, and log P and log R at
    the same fraction, so the returned P / R is exactly ``ratio``. Of several crossings the
    one with the highest recall wins (at a fixed ratio it also has the highest precision).
    When no crossing exists, the point nearest the ratio is returned with its own P and R.
    Points with P or R zero or undefined are skipped; (nan, nan, nan) when none is left.

    A perfectly separated validation set (precision and recall 1 at the lowest positive score)
    keeps P = R = 1 all the way down to the highest negative score: the threshold is then the
    middle of that margin in log-odds (:func:`margin_middle`), not its top edge, which is only
    where the validation's least confident positive happened to fall.
    """
    ratio = check_ratio(ratio)
    t, p, r = (np.asarray(x, dtype=np.float64) for x in (thresholds, precision, recall))
    usable = np.isfinite(t) & (p > 0) & (r > 0)
    order = np.argsort(t[usable], kind="stable")
    t, p, r = t[usable][order], p[usable][order], r[usable][order]
    if len(t) == 0:
        return math.nan, math.nan, math.nan
    log_p, log_r = np.log(p), np.log(r)
    gap = log_p - log_r - math.log(ratio)
    # (recall, threshold, precision) of every point on the ratio, then of every crossing
    candidates = [(float(r[i]), float(t[i]), float(p[i])) for i in np.flatnonzero(np.abs(gap) <= 1e-12)]
    for i in np.flatnonzero(gap[:-1] * gap[1:] < 0):
        f = gap[i] / (gap[i] - gap[i + 1])
        candidates.append((math.exp(_lerp(log_r, i, f)), _lerp(t, i, f), math.exp(_lerp(log_p, i, f))))
    if candidates:
        best_r, best_t, best_p = max(candidates, key=lambda c: (c[0], -c[1]))
        below = t[t < best_t]
        if best_p == 1.0 and best_r == 1.0 and len(below):  # separated: the same counts down to the next score
            best_t = margin_middle(float(below[-1]), best_t)
        return best_t, best_p, best_r
    nearest = int(np.argmin(np.abs(gap)))
    return float(t[nearest]), float(p[nearest]), float(r[nearest])


def margin_middle(low: float, high: float) -> float:
    """The point halfway between two scores: in log-odds when both are probabilities (so a
    calibration's sharpening, which scales the log-odds, moves it with them), else plainly."""
    if not (0.0 <= low < high <= 1.0):
        return (low + high) / 2
    # within what float32 probabilities (hark classify's) can hold: one that rounded to exactly 0
    # or 1 counts as the nearest value short of it, so its log-odds stays finite
    lowest, highest = float(np.finfo(np.float32).smallest_subnormal), 1.0 - float(np.finfo(np.float32).epsneg)
    log_odds = [math.log(x) - math.log1p(-x) for x in (min(max(low, lowest), highest), min(max(high, lowest), highest))]
    middle = (log_odds[0] + log_odds[1]) / 2
    return 1.0 / (1.0 + math.exp(-middle)) if middle >= 0 else math.exp(middle) / (1.0 + math.exp(middle))


def _metrics(p: np.ndarray, truth: Truth, names: tuple[str, ...], decision_threshold: float) -> Metrics:
    n, c = p.shape
    if truth.classes is not None:
        predicted = np.argmax(p, axis=1)
        decided = np.zeros((n, c), dtype=bool)
        decided[np.arange(n), predicted] = True
        confusion = np.bincount(truth.classes * c + predicted, minlength=c * c).reshape(c, c)
        confusion.setflags(write=False)
        accuracy = float(np.mean(predicted == truth.classes))
    else:
        decided = p >= decision_threshold
        confusion = None
        right = (decided == truth.positive) & truth.known
        accuracy = _ratio(int(right.sum()), int(truth.known.sum()))
    pos, neg = truth.positive & truth.known, ~truth.positive & truth.known
    per_label = tuple(
        LabelMetrics(
            true_positives=int(np.sum(decided[:, i] & pos[:, i])),
            false_positives=int(np.sum(decided[:, i] & neg[:, i])),
            false_negatives=int(np.sum(~decided[:, i] & pos[:, i])),
            label=name,
            true_negatives=int(np.sum(~decided[:, i] & neg[:, i])),
        )
        for i, name in enumerate(names)
    )
    return Metrics(names, truth.classes is not None, n, per_label, accuracy, confusion)


def _ratio_thresholds(p: np.ndarray, truth: Truth, names: tuple[str, ...], ratios: Sequence[float]) -> tuple[ThresholdRow, ...]:
    ratios = [check_ratio(r) for r in ([ratios] if np.isscalar(ratios) else ratios)]
    rows = []
    for c, name in enumerate(names):
        points = operating_points(*_one_vs_rest(p, truth, c))
        for ratio in ratios:
            rows.append(ThresholdRow(name, ratio, *threshold_for_ratio(*points, ratio)))
    return tuple(rows)


def _curves(scores: np.ndarray, positive: np.ndarray, name: str) -> Curves:
    if positive.all() or not positive.any():
        empty = np.zeros(0)
        return Curves(name, empty, empty, math.nan, empty, empty, math.nan)
    # scikit-learn's import takes most of a second, so only what needs it pays for it
    from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

    precision, recall, _ = precision_recall_curve(positive, scores)
    fpr, tpr, _ = roc_curve(positive, scores)
    return Curves(
        name,
        precision,
        recall,
        float(average_precision_score(positive, scores)),
        fpr,
        tpr,
        float(roc_auc_score(positive, scores)),
    )


def _densities(p: np.ndarray, truth: Truth, names: tuple[str, ...], bins: int) -> tuple[Density, ...]:
    if int(bins) < 1:
        raise HarkError(f"the probability histograms need at least 1 bin, not {bins}")
    edges = np.linspace(0.0, 1.0, int(bins) + 1)
    densities = []
    for c, name in enumerate(names):
        scores, positive = _one_vs_rest(p, truth, c)
        densities.append(Density(name, edges, np.histogram(scores[positive], edges)[0], np.histogram(scores[~positive], edges)[0]))
    return tuple(densities)


def _lerp(values: np.ndarray, i: int, fraction: float) -> float:
    return float(values[i] + fraction * (values[i + 1] - values[i]))


def _one_vs_rest(p: np.ndarray, truth: Truth, c: int) -> tuple[np.ndarray, np.ndarray]:
    """Label ``c``'s scores and whether each example is truly of it, over the known entries."""
    known = truth.known[:, c]
    return p[known, c], truth.positive[known, c]


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else math.nan


def _mean_defined(values) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return sum(finite) / len(finite) if finite else math.nan


def _index_of(names: Sequence[str], name: str) -> int:
    try:
        return list(names).index(name)
    except ValueError:
        raise HarkError(f"unknown label {name!r} (known: {', '.join(names)})") from None

