"""Per-frame probabilities to events at the right samples, and misses."""

from __future__ import annotations

import numpy as np
import pytest

from hark.annotations.event import Event, Kind
from hark.errors import HarkError
from hark.evaluate import frames_to_samples, misses, probabilities_to_events

LABELS = ["pulse", "sine"]
#           frame: 0    1    2    3    4    5    6    7
TRACE = np.array(
    [
        [0.1, 0.2, 0.7, 0.9, 0.6, 0.1, 0.3, 0.8],  # pulse
        [0.0, 0.1, 0.2, 0.1, 0.7, 0.8, 0.6, 0.1],  # sine
    ]
).T


def _spans(events, label):
    return [(e.start, e.stop, e.score) for e in events if e.label == label]


def test_runs_land_on_the_samples_their_frames_describe():
    events = probabilities_to_events(TRACE, LABELS, {"pulse": 0.5, "sine": 0.5}, recording="r.wav", hop=100, offset=1000, exclusive=False)
    # pulse frames 2-4 and 7: [1000 + 200 - 50, 1000 + 400 + 50), [1650, 1750)
    assert _spans(events, "pulse") == [(1150, 1450, 0.9), (1650, 1750, 0.8)]
    # sine frames 4-6: [1350, 1650)
    assert _spans(events, "sine") == [(1350, 1650, 0.8)]
    assert all(e.kind is Kind.PREDICTED and e.recording == "r.wav" for e in events)
    assert [e.start for e in events] == sorted(e.start for e in events)


def test_exclusive_classes_need_the_label_to_be_the_most_probable():
    events = probabilities_to_events(TRACE, LABELS, [0.5, 0.5], recording="r.wav", hop=100, offset=1000)
    # frame 4: pulse 0.6 >= 0.5 but sine 0.7 is the argmax
    assert _spans(events, "pulse") == [(1150, 1350, 0.9), (1650, 1750, 0.8)]
    assert _spans(events, "sine") == [(1350, 1650, 0.8)]


def test_events_are_clipped_to_the_recording():
    events = probabilities_to_events(TRACE, LABELS, [0.5, 0.5], recording="r.wav", hop=100, offset=0, length=720, exclusive=False)
    assert _spans(events, "pulse")[-1][:2] == (650, 720)
    start_on = np.array([[0.9], [0.1]])
    assert probabilities_to_events(start_on, ["pulse"], [0.5], recording="r.wav", hop=100)[0].start == 0


def test_neighbouring_frames_tile_without_gaps_for_odd_hops_too():
    spans = frames_to_samples(np.arange(4), np.arange(1, 5), hop=5, offset=10)
    assert spans.tolist() == [[8, 13], [13, 18], [18, 23], [23, 28]]
    assert frames_to_samples(np.array([0]), np.array([4]), hop=5, offset=10).tolist() == [[8, 28]]


def test_a_nan_threshold_predicts_nothing_for_its_label():
    events = probabilities_to_events(TRACE, LABELS, {"pulse": float("nan"), "sine": 0.5}, recording="r.wav", hop=10, exclusive=False)
    assert {e.label for e in events} == {"sine"}
    assert probabilities_to_events(np.zeros((0, 2)), LABELS, [0.5, 0.5], recording="r.wav", hop=10) == []


@pytest.mark.parametrize(
    "thresholds, kwargs, message",
    [
        ({"pulse": 0.5}, {}, "no threshold for label 'sine'"),
        ({"pulse": 0.5, "sine": 0.5, "song": 0.5}, {}, "unknown label 'song'"),
        ([0.5], {}, "1 thresholds for 2 labels"),
        ([0.5, "x"], {}, "must be numbers"),
        ([0.5, float("inf")], {}, "finite"),
        ([0.5, 0.5], {"hop": 0}, "hop 0"),
        ([0.5, 0.5], {"hop": 2.5}, "hop 2.5"),
    ],
)
def test_bad_thresholds_and_timing_are_one_line_errors(thresholds, kwargs, message):
    kwargs = {"recording": "r.wav", "hop": 10, **kwargs}
    with pytest.raises(HarkError) as err:
        probabilities_to_events(TRACE, LABELS, thresholds, **kwargs)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_probabilities_and_labels_must_agree():
    with pytest.raises(HarkError, match="3 labels given for 2 columns"):
        probabilities_to_events(TRACE, ["a", "b", "c"], [0.5] * 3, recording="r.wav", hop=10)
    with pytest.raises(HarkError, match="NaN"):
        probabilities_to_events(np.full((3, 2), np.nan), LABELS, [0.5, 0.5], recording="r.wav", hop=10)


def _e(start, stop, kind, label, recording="r.wav"):
    return Event(recording, start, stop, kind, label)


def test_misses_are_detected_events_no_prediction_touches():
    detected = [
        _e(0, 100, "detected", "time"),  # overlapped
        _e(150, 200, "detected", "frequency"),  # nothing near
        _e(300, 300, "detected", "time"),  # a point on a prediction's edge
        _e(0, 100, "detected", "neither", recording="other.wav"),  # no predictions there
    ]
    predicted = [_e(50, 120, "predicted", "pulse"), _e(250, 300, "predicted", "sine")]
    missed = misses(detected, predicted)
    assert [(e.start, e.stop, e.label, e.recording) for e in missed] == [(150, 200, "frequency", "r.wav"), (0, 100, "neither", "other.wav")]
    assert all(e.kind is Kind.MISSED for e in missed)
    assert misses([], predicted) == [] and len(misses(detected, [])) == 4


def test_a_run_scores_only_its_own_frames():
    from hark.evaluate.events import probability_runs

    # frame 1 predicts label b; its 0.45 for label a must not raise a's run (frame 0 alone)
    runs = probability_runs([[0.4, 0.3, 0.3], [0.45, 0.55, 0.0]], ["a", "b", "c"], [0.35, 0.35, 0.35])
    assert runs[0].starts.tolist() == [0] and runs[0].stops.tolist() == [1]
    assert runs[0].peaks.tolist() == [0.4]
