from hark.annotations.event import Event
from hark.evaluate import overlap_score


def _e(start, stop, recording="a.wav", label="x", kind="annotated"):
    return Event(recording, start, stop, kind, label)


def test_points_and_ranges_hit_when_they_touch_a_found_interval():
    found = [_e(10, 20, kind="detected"), _e(0, 100, recording="b.wav", kind="detected"), _e(50, 60, kind="detected")]
    reference = [
        _e(15, 15),  # point inside
        _e(20, 20),  # point on the edge
        _e(21, 21),  # point in the gap
        _e(25, 55),  # range overlapping the second interval
        _e(61, 70),  # after everything
        _e(5, 5, recording="c.wav"),  # a recording with nothing found
    ]
    score = overlap_score(reference, found)
    assert (score.hit, score.total) == (3, 6)
    assert score.fraction == 0.5


def test_a_long_early_interval_still_counts_after_short_later_ones():
    found = [_e(0, 1000, kind="detected"), _e(100, 110, kind="detected")]
    assert overlap_score([_e(500, 500)], found).hit == 1
