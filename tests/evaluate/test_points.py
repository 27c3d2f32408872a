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
