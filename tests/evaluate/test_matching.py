"""One-to-one event matching with a tolerance: edge cases and the optimum greedy matching misses."""

from __future__ import annotations

import numpy as np
import pytest

from hark.annotations.event import Event
from hark.errors import HarkError
from hark.evaluate import match_events, match_one_to_one, tolerance_tics
from hark.evaluate.matching import candidate_pairs, clusters


def _points(*positions):
    return np.array([[p, p] for p in positions], dtype=np.int64).reshape(-1, 2)


def test_tolerance_in_samples_rounds_down():
    assert tolerance_tics(10, 2500) == 25
    assert tolerance_tics(10, 44100) == 441
    assert tolerance_tics(0.1, 5000) == 0
    assert tolerance_tics(1, 1500) == 1  # 1.5 samples: a 2-sample gap would exceed 1 ms
    for bad in (-1, float("nan"), "x"):
        with pytest.raises(HarkError, match="tolerance"):
            tolerance_tics(bad, 2500)
    with pytest.raises(HarkError, match="sample rate"):
        tolerance_tics(10, 0)


def test_points_match_up_to_exactly_the_tolerance():
    ia, ib = match_one_to_one(_points(1000, 2000), _points(1025, 1974), tolerance=25)
    assert ia.tolist() == [0] and ib.tolist() == [0]  # 25 apart matches, 26 does not


def test_each_event_is_matched_once():
    # one prediction between two annotated pulses: one true positive, one miss
    ia, _ = match_one_to_one(_points(100, 120), _points(110), tolerance=25)
    assert len(ia) == 1
    counts = match_events(
        [Event("r.wav", t, t, "annotated", "pulse") for t in (100, 120)],
        [Event("r.wav", 110, 110, "predicted", "pulse")],
        samplerate=2500,
    )
    assert (counts.true_positives, counts.false_positives, counts.false_negatives) == (1, 0, 1)
    assert counts.f1 == pytest.approx(2 / 3)


def test_the_optimum_pairs_more_than_greedy_nearest_would():
    # greedy nearest gives 15 to 19 (4 away), leaving 28 unmatched (10 is 18 away)
    ia, ib = match_one_to_one(_points(10, 19), _points(15, 28), tolerance=10)
    assert list(zip(ia.tolist(), ib.tolist())) == [(0, 0), (1, 1)]


def test_of_equally_many_pairs_the_closest_are_taken():
    ia, ib = match_one_to_one(_points(100, 200), _points(193, 105, 205), tolerance=10)
    assert dict(zip(ia.tolist(), ib.tolist())) == {0: 1, 1: 2}


def test_intervals_match_when_they_overlap_or_touch():
    a = np.array([[0, 100]])
    assert len(match_one_to_one(a, np.array([[100, 200]]), 0)[0]) == 1
    assert len(match_one_to_one(a, np.array([[101, 200]]), 0)[0]) == 0
    # the tolerance is for points: intervals must overlap whatever it is
    assert len(match_one_to_one(a, np.array([[101, 200]]), 50)[0]) == 0
    # a point inside an interval, or within the tolerance of it
    assert len(match_one_to_one(a, _points(50), 0)[0]) == 1
    assert len(match_one_to_one(a, _points(150), 50)[0]) == 1
    assert len(match_one_to_one(a, _points(151), 50)[0]) == 0


def test_candidate_pairs_see_past_a_long_event():
    b = np.array([[0, 1000], [10, 20], [500, 510]])
    ia, ib = candidate_pairs(np.array([[505, 506], [2000, 2001]]), b, 0)
    assert sorted(zip(ia.tolist(), ib.tolist())) == [(0, 0), (0, 2)]


def test_events_match_within_their_recording_and_label_only():
    ref = [Event("a.wav", 100, 100, "annotated", "pulse"), Event("a.wav", 500, 500, "annotated", "pulse")]
    found = [
        Event("b.wav", 100, 100, "predicted", "pulse"),
        Event("a.wav", 500, 500, "predicted", "sine"),
    ]
    assert match_events(ref, found, samplerate=2500).true_positives == 0
    assert match_events(ref, found, samplerate=2500, by_label=False).true_positives == 1


def test_clusters_join_only_through_another_party():
    groups, count = clusters([_points(0, 20), _points(10), _points(500)], tolerance=10)
    # 0 and 20 are both within 10 of 10: one group; 500 alone
    assert count == 2
    assert groups[0][0] == groups[0][1] == groups[1][0] != groups[2][0]
    alone, count = clusters([_points(0, 5)], tolerance=10)
    assert count == 2 and alone[0][0] != alone[0][1]


def test_matching_an_hour_of_pulses_matches_one_to_one():
    # its speed is a benchmark's business (a timed test fails on a busy machine); this is the hour's answer
    rng = np.random.default_rng(3)
    truth = np.sort(rng.choice(3600 * 10000, 30000, replace=False))
    kept = truth[rng.random(len(truth)) > 0.1]
    jitter = rng.integers(-120, 121, len(kept))
    found = np.sort(np.concatenate([kept + jitter, rng.choice(3600 * 10000, 2000)]))
    ia, ib = match_one_to_one(_points(*truth), _points(*found), tolerance=100)
    # every kept pulse moved by at most the tolerance has a partner; the 10 % dropped and most moved further have none
    assert np.count_nonzero(np.abs(jitter) <= 100) <= len(ia) < len(truth) * 0.9
    assert len(set(ia.tolist())) == len(ia) and len(set(ib.tolist())) == len(ib)
    assert np.all(np.abs(truth[ia] - found[ib]) <= 100)
    assert len(ia) >= 0.8 * len(kept)
