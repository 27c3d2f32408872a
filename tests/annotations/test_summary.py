"""Counts per kind and label, and choosing events by kind, label and recording."""

from __future__ import annotations

import pytest

from hark.annotations import Event, Kind, count_by_kind_and_label, filter_events, merge_counts, single_recording
from hark.errors import HarkError

EVENTS = [
    Event("a.wav", 1, 2, "predicted", "sine"),
    Event("a.wav", 1, 2, "annotated", "sine"),
    Event("a.wav", 3, 4, "annotated", "pulse"),
    Event("b.wav", 3, 4, "annotated", "pulse"),
    Event("b.wav", 5, 6, "detected", "loud"),
]


def test_counts_are_ordered_by_kind_then_label():
    counts = count_by_kind_and_label(EVENTS)
    assert list(counts.items()) == [
        ((Kind.ANNOTATED, "pulse"), 2),
        ((Kind.ANNOTATED, "sine"), 1),
        ((Kind.DETECTED, "loud"), 1),
        ((Kind.PREDICTED, "sine"), 1),
    ]
    assert count_by_kind_and_label([]) == {}


def test_merged_counts_add_up():
    merged = merge_counts(count_by_kind_and_label(EVENTS[:2]), count_by_kind_and_label(EVENTS[1:]))
    assert merged[(Kind.ANNOTATED, "sine")] == 2 and merged[(Kind.PREDICTED, "sine")] == 1
    assert sum(merged.values()) == len(EVENTS) + 1


def test_filter_events_by_kind_and_label():
    assert filter_events(EVENTS, kinds="annotated", labels="pulse") == EVENTS[2:4]
    assert filter_events(EVENTS, kinds=[Kind.DETECTED, "predicted"]) == [EVENTS[0], EVENTS[4]]
    assert filter_events(EVENTS) == EVENTS
    with pytest.raises(HarkError, match="unknown kind 'x'"):
        filter_events(EVENTS, kinds=["x"])


def test_single_recording_names_the_count():
    assert single_recording(EVENTS[:3], "a Raven table") == "a.wav"
    assert single_recording([], "a Raven table") is None
    with pytest.raises(HarkError, match=r"belong to 2 recordings \(a.wav, b.wav\), but a Raven table holds one"):
        single_recording(EVENTS, "a Raven table")
