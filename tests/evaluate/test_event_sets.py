"""not_fewer_events (the rule hark ethogram and nested generalize share): known answers."""

from __future__ import annotations

from hark.annotations.event import Event, Kind
from hark.evaluate.event_sets import not_fewer_events


def _event(start: int, stop: int, label: str = "usv") -> Event:
    return Event("r.wav", start, stop, Kind.PREDICTED, label, score=0.9)


def test_a_lower_threshold_never_finds_fewer_events():
    stricter = [_event(10, 20), _event(30, 40), _event(50, 60), _event(200, 210)]
    looser = [_event(5, 65), _event(100, 120), _event(195, 230)]  # one run over three stricter events; a new one; a wider one
    assert not_fewer_events(looser, stricter) == [_event(10, 20), _event(30, 40), _event(50, 60), _event(100, 120), _event(195, 230)]
    assert not_fewer_events([], stricter) == stricter
    assert not_fewer_events([_event(0, 100, "a")], [_event(10, 20, "b"), _event(30, 40, "b")], per_label=True) == [
        _event(0, 100, "a"), _event(10, 20, "b"), _event(30, 40, "b"),
    ]  # fmt: skip
