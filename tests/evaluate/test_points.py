"""Point events at probability peaks (DAS's events) on hand-made probability traces."""

from __future__ import annotations

import numpy as np
import pytest

from hark.annotations.event import Event, Kind
from hark.evaluate.points import events_as_points, peak_frames, refined_position


def test_peaks_are_local_maxima_and_a_lower_one_within_the_distance_gives_way():
    p = np.array([0.1, 0.6, 0.4, 0.9, 0.3, 0.2, 0.8, 0.1])
    assert peak_frames(p, 1).tolist() == [1, 3, 6]
    assert peak_frames(p, 3).tolist() == [3, 6]  # 1 is 2 frames from the higher 3
    assert peak_frames(p, 4).tolist() == [3]
    assert peak_frames(np.full(5, 0.7), 1).tolist() == [0]  # a plateau: its first frame
    assert peak_frames(np.zeros(0), 1).tolist() == []


def test_a_peak_between_frames_is_found_by_the_parabola_through_its_neighbours():
    frames = np.arange(10, dtype=float)
    true_peak = 4.3
    values = 1 - 0.05 * (frames - true_peak) ** 2  # an exact parabola: its vertex is found exactly
    assert refined_position(values, int(np.argmax(values))) == pytest.approx(true_peak)
    assert refined_position(values, 0) == 0.0  # at an edge: the frame itself


def test_ranges_of_point_labels_become_points_and_other_events_stay():
    frames = 200
    hop, offset = 4, 2
    p = np.zeros((frames, 3))  # background, pulse, sine
    for centre in (50.25, 62.0):  # two pulses 47 samples apart, merged into one range by the threshold
        p[:, 1] += np.exp(-0.5 * ((np.arange(frames) - centre) / 2.0) ** 2)
    p[:, 0] = 1 - p[:, 1]
    merged = Event("r.wav", offset + 40 * hop, offset + 72 * hop, Kind.PREDICTED, "pulse", score=0.9)
    sine = Event("r.wav", 100, 300, Kind.PREDICTED, "sine", score=0.8)
    out = events_as_points([merged, sine], p, ["background", "pulse", "sine"], ["pulse"], hop=hop, offset=offset, min_distance=20)
    points = [e for e in out if e.label == "pulse"]
    assert all(e.is_point for e in points) and sine in out
    assert [e.start for e in points] == [round(offset + 50.25 * hop), round(offset + 62.0 * hop)]
    assert all(0.9 < e.score <= 1.2 for e in points)
    # closer than the minimum distance, the lower peak gives way
    close = events_as_points([merged], p, ["background", "pulse", "sine"], ["pulse"], hop=hop, offset=offset, min_distance=60)
    assert len(close) == 1 and close[0].is_point


def _saturated_pulse_train(centres, frames=120):
    """Softmax rows (background, pulse, sine) of a confident model over a train of pulses: float32
    rounds the pulse's probability to exactly 1.0 all along the train, only the others still dip."""
    t = np.arange(frames)
    margin = 40.0 + sum(30.0 * np.exp(-0.5 * ((t - c) / 5.0) ** 2) for c in centres)  # logit lead of the pulse
    logits = np.stack([np.zeros(frames), margin, np.full(frames, -5.0)], axis=1)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (p / p.sum(axis=1, keepdims=True)).astype(np.float32)


def test_a_saturated_train_keeps_a_point_per_pulse_in_the_log_odds():
    centres = (30.0, 55.0, 80.0)
    p = _saturated_pulse_train(centres)
    assert np.all(p[:, 1] == 1.0)  # the probability itself is flat: no peak to find
    hop = 4
    train = Event("r.wav", 22 * hop, 88 * hop, Kind.PREDICTED, "pulse", score=1.0)  # rising at its start
    names = ["background", "pulse", "sine"]
    flat = events_as_points([train], p, names, ["pulse"], hop=hop, min_distance=8 * hop)
    assert len(flat) == 1  # one point for three pulses
    points = events_as_points([train], p, names, ["pulse"], hop=hop, min_distance=8 * hop, log_odds=True)
    assert [e.start for e in points] == [round(c * hop) for c in centres]
    assert all(e.is_point and e.score == 1.0 for e in points)


def test_below_saturation_the_log_odds_peaks_are_the_probability_peaks():
    rng = np.random.default_rng(4)
    logits = rng.normal(0.0, 1.5, size=(300, 3))
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    event = Event("r.wav", 0, 299 * 4, Kind.PREDICTED, "pulse", score=0.5)
    names = ["background", "pulse", "sine"]
    as_p = events_as_points([event], p, names, ["pulse"], hop=4, min_distance=12)
    as_log_odds = events_as_points([event], p, names, ["pulse"], hop=4, min_distance=12, log_odds=True)
    assert len(as_p) > 20
    # the same peak frames; the parabola through log-odds may place a point up to half a frame apart
    assert len(as_p) == len(as_log_odds)
    assert all(abs(a.start - b.start) <= 2 and a.score == b.score for a, b in zip(as_p, as_log_odds))
