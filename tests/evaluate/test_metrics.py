"""Metrics against answers worked out by hand: confusion, P/R/F1, ratio thresholds, curves, densities."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hark.errors import HarkError
from hark.evaluate.calibration import apply_temperature
from hark.evaluate import compute_metrics, evaluate, operating_points, ratio_thresholds, threshold_for_ratio

LABELS = ["pulse", "sine", "ambient"]
# argmax: pulse, pulse, sine, ambient, sine, pulse
P = np.array(
    [
        [0.7, 0.2, 0.1],
        [0.5, 0.4, 0.1],
        [0.2, 0.6, 0.2],
        [0.1, 0.1, 0.8],
        [0.3, 0.4, 0.3],
        [0.6, 0.1, 0.3],
    ]
)
Y = np.array([0, 1, 1, 2, 2, 0])


def test_confusion_and_scores_of_a_tiny_exclusive_set():
    m = compute_metrics(P, Y, LABELS)
    # rows true, columns predicted
    assert m.confusion.tolist() == [[2, 0, 0], [1, 1, 0], [0, 1, 1]]
    assert m.accuracy == pytest.approx(4 / 6)
    pulse, sine, ambient = m.per_label
    assert (pulse.true_positives, pulse.false_positives, pulse.false_negatives, pulse.true_negatives) == (2, 1, 0, 3)
    assert (pulse.precision, pulse.recall, pulse.f1) == pytest.approx((2 / 3, 1.0, 0.8))
    assert (sine.precision, sine.recall, sine.f1) == pytest.approx((0.5, 0.5, 0.5))
    assert (ambient.precision, ambient.recall, ambient.f1) == pytest.approx((1.0, 0.5, 2 / 3))
    assert [x.support for x in m.per_label] == [2, 2, 2]
    # one predicted and one true label per example: micro P = R = F1 = accuracy
    assert (m.micro.precision, m.micro.recall, m.micro.f1) == pytest.approx((4 / 6,) * 3)
    assert m.macro_precision == pytest.approx((2 / 3 + 0.5 + 1) / 3)
    assert m.macro_recall == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert m.macro_f1 == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert m.label("sine") is sine and m.examples == 6 and m.exclusive


def test_a_label_never_true_nor_predicted_is_left_out_of_the_macro_averages():
    m = compute_metrics([[0.9, 0.1, 0.0], [0.2, 0.8, 0.0]], [0, 1], LABELS)
    ambient = m.label("ambient")
    assert math.isnan(ambient.precision) and math.isnan(ambient.recall) and math.isnan(ambient.f1)
    assert m.macro_f1 == 1.0


def test_a_label_predicted_but_never_true_has_f1_zero():
    m = compute_metrics([[0.9, 0.1, 0.0], [0.8, 0.2, 0.0]], [0, 1], LABELS)
    sine = m.label("sine")
    assert (sine.f1, sine.recall) == (0.0, 0.0) and math.isnan(sine.precision)


def test_overlapped_classes_count_only_the_known_entries():
    p = np.array([[0.9, 0.2], [0.6, 0.7], [0.1, 0.4], [0.3, 0.9]])
    y = np.array([[1, 0], [0, 1], [0, 0], [1, 1]])
    mask = np.array([[1, 1], [1, 1], [1, 0], [0, 1]], dtype=bool)
    m = compute_metrics(p, y, ["a", "b"], mask=mask)
    a, b = m.per_label
    # a, known rows 0-2: decided 1,1,0 against 1,0,0
    assert (a.true_positives, a.false_positives, a.false_negatives, a.true_negatives) == (1, 1, 0, 1)
    # b, known rows 0,1,3: decided 0,1,1 against 0,1,1
    assert (b.true_positives, b.false_positives, b.false_negatives, b.true_negatives) == (2, 0, 0, 1)
    assert m.confusion is None and not m.exclusive
    assert m.accuracy == pytest.approx(5 / 6)
    # whatever sits in the unknown entries changes nothing
    garbage = y.astype(float)
    garbage[~mask] = np.nan
    assert compute_metrics(p, garbage, ["a", "b"], mask=mask).per_label == m.per_label
    assert compute_metrics(p, y, ["a", "b"], mask=mask, decision_threshold=0.95).label("a").true_positives == 0


# Label "x": positives score 0.9, 0.8, 0.4; negatives 0.7, 0.3, 0.2.
# score >= 0.9: P 1, R 1/3 | >= 0.8: P 1, R 2/3 | >= 0.7: P 2/3, R 2/3 | >= 0.4: P 3/4, R 1 ...
X_SCORES = np.array([0.9, 0.8, 0.4, 0.7, 0.3, 0.2])
X_POSITIVE = np.array([1, 1, 1, 0, 0, 0], dtype=bool)


def _two_label(scores=X_SCORES, positive=X_POSITIVE):
    p = np.stack([scores, 1 - scores], axis=1)
    return p, np.where(positive, 0, 1)


def test_operating_points_are_every_distinct_score():
    t, precision, recall = operating_points(X_SCORES, X_POSITIVE)
    assert t.tolist() == [0.9, 0.8, 0.7, 0.4, 0.3, 0.2]
    assert precision == pytest.approx([1, 1, 2 / 3, 3 / 4, 3 / 5, 1 / 2])
    assert recall == pytest.approx([1 / 3, 2 / 3, 2 / 3, 1, 1, 1])
    tied_t, tied_p, _ = operating_points(np.array([0.5, 0.5, 0.1]), np.array([True, False, True]))
    assert tied_t.tolist() == [0.5, 0.1] and tied_p.tolist() == [0.5, 2 / 3]


def test_the_threshold_where_precision_equals_recall_is_found_exactly():
    p, y = _two_label()
    row = ratio_thresholds(p, y, ["x", "rest"], [1.0])[0]
    assert (row.label, row.ratio) == ("x", 1.0)
    assert (row.threshold, row.precision, row.recall) == pytest.approx((0.7, 2 / 3, 2 / 3))


def test_a_ratio_between_two_operating_points_is_interpolated_in_log_p_over_r():
    p, y = _two_label()
    row = ratio_thresholds(p, y, ["x", "rest"], [2.0])[0]
    # between >= 0.8 (P/R 1.5) and >= 0.9 (P/R 3): the fraction log(2/1.5) / log(3/1.5)
    f = math.log(2 / 1.5) / math.log(2)
    assert row.threshold == pytest.approx(0.8 + 0.1 * f)
    assert row.precision == pytest.approx(1.0) and row.recall == pytest.approx(0.5)
    assert row.precision / row.recall == pytest.approx(2.0)


def test_an_unreachable_ratio_gives_the_nearest_operating_point():
    p, y = _two_label()
    high, low = ratio_thresholds(p, y, ["x", "rest"], [100.0, 0.01])[:2]
    assert (high.threshold, high.precision, high.recall) == pytest.approx((0.9, 1.0, 1 / 3))
    assert (low.threshold, low.precision, low.recall) == pytest.approx((0.2, 0.5, 1.0))


def test_of_several_crossings_the_one_with_the_highest_recall_wins():
    # P/R: 0.667, 1.125, 0.833, 2 -> crosses 1 between 0.1-0.2 and again between 0.2-0.3
    t, precision, recall = threshold_for_ratio([0.1, 0.2, 0.3, 0.4], [0.6, 0.9, 0.5, 0.8], [0.9, 0.8, 0.6, 0.4], 1.0)
    assert 0.1 < t < 0.2 and precision == pytest.approx(recall) and recall > 0.8


def test_a_label_without_positives_has_no_threshold_and_no_curves():
    p = np.array([[0.9, 0.1, 0.0], [0.2, 0.8, 0.0]])
    result = evaluate(p, [0, 1], LABELS, ratios=[1.0])
    row = [r for r in result.thresholds if r.label == "ambient"][0]
    assert all(math.isnan(v) for v in (row.threshold, row.precision, row.recall))
    curve = result.curves[2]
    assert math.isnan(curve.roc_auc) and math.isnan(curve.average_precision) and len(curve.recall) == 0


def test_perfectly_separated_scores_have_areas_of_one_and_random_ones_about_a_half():
    perfect = evaluate(*_two_label(np.array([0.9, 0.8, 0.6, 0.4, 0.3, 0.2])), ["x", "rest"]).curves[0]
    assert perfect.roc_auc == 1.0 and perfect.average_precision == 1.0
    rng = np.random.default_rng(7)
    scores, positive = rng.random(20000), rng.random(20000) < 0.3
    noise = evaluate(*_two_label(scores, positive), ["x", "rest"]).curves[0]
    assert noise.roc_auc == pytest.approx(0.5, abs=0.02)
    assert noise.average_precision == pytest.approx(0.3, abs=0.02)  # chance AP is the prevalence
    assert noise.false_positive_rate[0] == 0 and noise.true_positive_rate[-1] == 1


def test_densities_histogram_each_labels_positives_and_negatives():
    result = evaluate(P, Y, LABELS, bins=10)
    pulse = result.densities[0]
    assert pulse.edges.tolist() == pytest.approx(np.linspace(0, 1, 11).tolist())
    assert pulse.positive.sum() == 2 and pulse.negative.sum() == 4
    assert pulse.positive.tolist() == np.histogram([0.7, 0.6], pulse.edges)[0].tolist()
    assert pulse.negative.tolist() == np.histogram([0.5, 0.2, 0.1, 0.3], pulse.edges)[0].tolist()
    positive, negative = pulse.densities()
    assert (positive * 0.1).sum() == pytest.approx(1.0) and (negative * 0.1).sum() == pytest.approx(1.0)


def test_overlapped_thresholds_and_curves_use_only_known_entries():
    scores = np.array([0.9, 0.8, 0.7, 0.4, 0.3, 0.2, 0.95])
    truth = np.array([1, 1, 0, 1, 0, 0, 0])[:, None]
    mask = np.array([1, 1, 1, 1, 1, 1, 0], dtype=bool)[:, None]  # the 0.95 negative is unknown
    result = evaluate(scores[:, None], truth, ["x"], mask=mask)
    assert result.thresholds[0].threshold == pytest.approx(0.7)
    assert result.densities[0].negative.sum() == 3


def test_an_overlapped_label_with_no_known_entry_has_nothing_defined():
    p = np.array([[0.9, 0.2], [0.1, 0.7]])
    result = evaluate(p, np.array([[1, 0], [0, 1]]), ["a", "b"], mask=np.array([[1, 0], [1, 0]], dtype=bool))
    b = result.metrics.label("b")
    assert (b.true_positives, b.false_positives, b.false_negatives, b.true_negatives) == (0, 0, 0, 0)
    assert math.isnan(result.thresholds[1].threshold) and math.isnan(result.curves[1].roc_auc)
    assert result.metrics.macro_f1 == 1.0


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ((P, Y[:5], LABELS), {}, "5 true labels for 6 examples"),
        ((P, Y, ["a", "b"]), {}, "2 labels given for 3 columns"),
        ((P, Y, ["a", "a", "b"]), {}, "labels must be distinct"),
        ((P, Y, ["a", "b,c", "d"]), {}, "comma"),
        ((P * 10, Y, LABELS), {}, "not logits"),
        ((np.full((2, 3), np.nan), [0, 1], LABELS), {}, "NaN"),
        ((P, Y + 1, LABELS), {}, "outside 0..2"),
        ((P, Y.astype(float) + 0.5, LABELS), {}, "whole class indices"),
        ((P, Y, LABELS), {"mask": np.ones((6, 3))}, "a mask goes with overlapped"),
        ((P, np.ones((6, 2)), LABELS), {}, "does not match"),
        ((P, np.ones((6, 3)), LABELS), {"mask": np.ones((5, 3))}, "mask of shape"),
        ((P, np.full((6, 3), 2), LABELS), {}, "0 or 1"),
        ((P[0], Y, LABELS), {}, "(examples, labels) array"),
        ((np.zeros((0, 3)), [], LABELS), {}, "no examples"),
        ((P, Y, LABELS), {"ratios": [0.0]}, "must be a positive number"),
        ((P, Y, LABELS), {"ratios": [-1]}, "must be a positive number"),
        ((P, Y, LABELS), {"ratios": ["fast"]}, "is not a number"),
    ],
)
def test_bad_inputs_are_one_line_errors(args, kwargs, message):
    with pytest.raises(HarkError) as err:
        evaluate(*args, **kwargs)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_unknown_label_lookup_is_a_one_line_error():
    with pytest.raises(HarkError, match="unknown label 'song'"):
        compute_metrics(P, Y, LABELS).label("song")


def test_a_perfectly_separated_validation_set_gets_the_middle_of_its_margin_in_log_odds():
    positives, negatives = [0.9, 0.95, 0.99], [0.01, 0.001, 0.2]
    p = np.array([[s, 1 - s] for s in positives + negatives])
    y = np.array([0] * 3 + [1] * 3)
    row = ratio_thresholds(p, y, ["x", "rest"], [1.0])[0]
    # P = R = 1 for any threshold in (0.2, 0.9]: halfway between log(0.2/0.8) and log(0.9/0.1)
    middle = 1 / (1 + math.sqrt((0.8 / 0.2) * (0.1 / 0.9)))
    assert (row.threshold, row.precision, row.recall) == pytest.approx((middle, 1.0, 1.0))
    assert 0.2 < row.threshold < 0.9
    # a temperature divides the log-odds, and the middle moves with them
    sharpened = apply_temperature(p, 0.5, overlapped=False)
    again = ratio_thresholds(sharpened, y, ["x", "rest"], [1.0])[0]
    log_odds = lambda q: math.log(q / (1 - q))  # noqa: E731
    assert log_odds(again.threshold) == pytest.approx(log_odds(row.threshold) / 0.5)
    # nothing below the lowest positive: its own score, as before
    alone = ratio_thresholds(p[:3], y[:3] * 0, ["x", "rest"], [1.0])[0]
    assert alone.threshold == pytest.approx(0.9)
