"""Syllable scores against hand-computed answers (the DCASE ones also agree with sed_eval 0.2.1)."""

import math

import pytest

from hark.annotations.event import Event, Kind
from hark.errors import HarkError
from hark.evaluate.segment_metrics import ErrorCounts, ScoringParams, edit_distance, recording_scores, syllable_scores


def events(kind, *spans, recording="r.wav"):
    return [Event(recording, start, stop, kind, label) for start, stop, label in spans]


def annotated(*spans, recording="r.wav"):
    return events(Kind.ANNOTATED, *spans, recording=recording)


def predicted(*spans, recording="r.wav"):
    return events(Kind.PREDICTED, *spans, recording=recording)


def test_boundaries_match_within_the_tolerance_inclusive_and_whatever_the_label():
    ref = annotated((100, 200, "a"), (300, 400, "a"), (500, 600, "b"))
    pred = predicted((110, 190, "b"), (311, 395, "a"), (500, 640, "b"), (800, 850, "a"))
    scores = syllable_scores(ref, pred, samplerate=1000)  # 10 ms = 10 samples
    # onsets: 100-110 (10: matched), 300-311 (11: not), 500-500; 800 unmatched
    assert (scores.onsets.true_positives, scores.onsets.false_positives, scores.onsets.false_negatives) == (2, 2, 1)
    assert scores.onsets.f1 == pytest.approx(4 / 7)
    assert sorted(scores.onsets.errors_ms) == [0.0, 10.0] and scores.onsets.median_error_ms == 5.0
    # offsets: 200-190 (-10: matched), 400-395, 600-640 (not); 850 unmatched
    assert sorted(scores.offsets.errors_ms) == [-10.0, -5.0] and scores.offsets.median_error_ms == 7.5
    assert (scores.offsets.precision, scores.offsets.recall) == (0.5, pytest.approx(2 / 3))
    assert (scores.reference_syllables, scores.predicted_syllables) == (3, 4)


def test_the_tolerance_is_whole_samples_at_any_rate():
    ref = annotated((44100, 88200, "a"), (441000, 500000, "a"))
    pred = predicted((44100 + 441, 88200 - 441, "a"), (441000 - 442, 500000, "a"))
    scores = syllable_scores(ref, pred, samplerate=44100)  # 10 ms = 441 samples
    assert scores.onsets.true_positives == 1 and scores.onsets.errors_ms == (10.0,)
    assert scores.offsets.true_positives == 2
    assert syllable_scores(ref, pred, samplerate=44100, params=ScoringParams(tolerance_ms=9.99)).offsets.true_positives == 1


def test_label_accuracy_pairs_syllables_by_overlap():
    ref = annotated((0, 100, "a"), (100, 150, "c"), (300, 400, "a"))
    pred = predicted((0, 30, "b"), (30, 100, "a"), (120, 160, "a"), (400, 450, "a"))
    scores = syllable_scores(ref, pred, samplerate=1000)
    # (0,100) overlaps both (0,30) and (30,100): the pair of largest overlap; (100,150) only
    # (120,160), as touching (30,100) is no overlap; (300,400) only touches (400,450)
    assert scores.label_pairs == {("a", "a"): 1, ("c", "a"): 1}
    assert scores.overlapping_pairs == 2 and scores.label_accuracy == 0.5


def test_a_point_inside_a_syllable_overlaps_it():
    ref = annotated((50, 50, "pulse"), (120, 120, "pulse"), (300, 300, "pulse"))
    pred = predicted((40, 60, "pulse"), (100, 120, "sine"), (200, 250, "pulse"))  # ends count: closed
    assert syllable_scores(ref, pred, samplerate=1000).label_pairs == {("pulse", "pulse"): 1, ("pulse", "sine"): 1}


def test_overlap_pairing_takes_the_most_pairs_first():
    ref = annotated((0, 100, "x"), (100, 200, "y"))
    pred = predicted((50, 200, "x"), (0, 40, "x"))
    # (50,200) overlaps x by 50 and y by 100; pairing it with y lets (0,40) pair with x
    assert syllable_scores(ref, pred, samplerate=1000).label_pairs == {("x", "x"): 1, ("y", "x"): 1}


def test_edit_distance_known_answers():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance(["a", "b", "c"], ["a", "c"]) == 1
    assert edit_distance([], ["a", "b"]) == 2 and edit_distance(["a"], []) == 1 and edit_distance([], []) == 0
    assert edit_distance(["ab", "b"], ["b", "ab"]) == 2  # labels are whole symbols, however long


def test_syllable_error_rate_sums_edits_over_recordings():
    ref = annotated((0, 10, "a"), (20, 30, "b"), (40, 50, "c")) + annotated((0, 10, "a"), (20, 30, "a"), recording="s.wav")
    pred = predicted((0, 10, "a"), (20, 30, "b"), (40, 50, "d"))  # s.wav: nothing predicted
    per = recording_scores(ref, pred, samplerate={"r.wav": 1000, "s.wav": 2000})
    assert [per["r.wav"].edit_distance, per["s.wav"].edit_distance] == [1, 2]
    assert syllable_scores(ref, pred, samplerate=1000).syllable_error_rate == pytest.approx(3 / 5)
    # the sequence is in onset order, not the order given
    assert syllable_scores(annotated((20, 30, "b"), (0, 10, "a")), predicted((0, 10, "a"), (20, 30, "b")), samplerate=1000).edit_distance == 0


def test_dcase_event_based_collars_offset_fraction_and_substitutions():
    ref = annotated((1000, 2000, "a"), (3000, 6000, "a"), (7000, 7500, "b"), (9000, 9300, "b"))
    pred = predicted(
        (1200, 2150, "a"),  # onset off by exactly the 200 ms collar: correct
        (3100, 6600, "a"),  # offset off by 600 ms = 20% of 3 s: correct
        (7100, 7600, "a"),  # in time with (7000, 7500) but labelled a: a substitution
        (9300, 9400, "b"),  # onset 300 ms late: (9000, 9300) deleted, this inserted
    )  # fmt: skip
    scores = syllable_scores(ref, pred, samplerate=1000).dcase_events
    assert scores.overall == ErrorCounts(2, 2, 2, substitutions=1, deletions=1, insertions=1)
    assert (scores.overall.f1, scores.overall.error_rate) == (0.5, 0.75)
    assert scores.per_label["a"] == ErrorCounts(2, 1, 0, 0, 0, 1)  # F1 0.8, error rate 0.5
    assert (scores.per_label["a"].f1, scores.per_label["a"].error_rate) == (0.8, 0.5)
    assert (scores.per_label["b"].f1, scores.per_label["b"].error_rate) == (0.0, 1.5)
    late = predicted((1000, 2000, "a"), (3000, 6601, "a"))  # 601 ms: beyond 20%
    assert syllable_scores(ref, late, samplerate=1000).dcase_events.overall.true_positives == 1


def test_dcase_segment_based():
    ref = annotated((0, 1500, "a"), (2500, 2600, "b"))  # a in segments 0 and 1, b in 2
    pred = predicted((200, 900, "a"), (1200, 2100, "b"), (3000, 3001, "a"))  # a in 0 and 3, b in 1 and 2
    scores = syllable_scores(ref, pred, samplerate=1000).dcase_segments  # 1 s segments
    # segment 1: a annotated, b predicted: a substitution; segment 3: an insertion
    assert scores.overall == ErrorCounts(2, 2, 1, substitutions=1, deletions=0, insertions=1)
    assert (scores.overall.f1, scores.overall.error_rate) == (pytest.approx(4 / 7), pytest.approx(2 / 3))
    assert (scores.per_label["a"].f1, scores.per_label["a"].error_rate) == (0.5, 1.0)
    assert (scores.per_label["b"].f1, scores.per_label["b"].error_rate) == (pytest.approx(2 / 3), 1.0)
    fine = syllable_scores(ref, pred, samplerate=1000, params=ScoringParams(segment_ms=100)).dcase_segments
    # 100 ms segments: a 15 annotated, 7 predicted (2..8) + 1, shared 7; b 1 annotated, 9 predicted (12..20), shared 0
    assert (fine.per_label["a"].true_positives, fine.per_label["a"].false_positives, fine.per_label["a"].false_negatives) == (7, 1, 8)
    assert (fine.per_label["b"].true_positives, fine.per_label["b"].false_positives, fine.per_label["b"].false_negatives) == (0, 9, 1)


def test_empty_sides_and_undefined_values():
    scores = syllable_scores(annotated((0, 10, "a")), [], samplerate=1000)
    assert scores.onsets.f1 == 0.0 and math.isnan(scores.onsets.precision) and math.isnan(scores.onsets.median_error_ms)
    assert math.isnan(scores.label_accuracy) and scores.syllable_error_rate == 1.0
    nothing = syllable_scores([], predicted((0, 10, "a")), samplerate=1000)
    assert math.isnan(nothing.syllable_error_rate) and math.isnan(nothing.dcase_events.overall.error_rate)


def test_labels_and_sample_rates_are_checked():
    with pytest.raises(HarkError, match="events labelled 'b', which is not among the labels scored"):
        syllable_scores(annotated((0, 10, "a")), predicted((0, 10, "b")), samplerate=1000, labels=["a"])
    with pytest.raises(HarkError, match="no sample rate for r.wav"):
        syllable_scores(annotated((0, 10, "a")), [], samplerate={"other.wav": 1000})
