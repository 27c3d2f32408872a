"""Combining the events of two thresholds of one recording.

:func:`not_fewer_events` is the rule by which ``hark ethogram --sensitivity high-recall`` (a
ratio below 1) never finds fewer events than ``balanced``; it lives here, below both
``hark.infer`` and ``hark.validate``, so that a nested ``hark generalize`` scores the presets
as ethogram makes them. (``hark.infer.ethogram`` still holds its own copy of it;
``tests/evaluate/test_event_sets.py`` checks that the two agree.)
"""

from __future__ import annotations

from collections.abc import Sequence

from hark.annotations.event import Event


def not_fewer_events(looser: Sequence[Event], stricter: Sequence[Event], per_label: bool = False) -> list[Event]:
    """The events of a lower threshold (``looser``), made never fewer than those of a higher one.

    Both are one recording's. Events of both that overlap, directly or through others, form a
    group. A group with two or more stricter events keeps those (the lower threshold joined
    what the higher one separated); a group with one keeps its looser events (the same call,
    with the lower threshold's wider bounds), or that one when it has no looser event; a group
    without stricter events keeps its looser ones (calls only the lower threshold finds). So
    every group has at least as many events as it has stricter ones. ``per_label``: groups are
    made per label (overlapped labels, whose events may overlap each other), else across them.
    """
    kept: list[Event] = []
    key = (lambda e: e.label) if per_label else (lambda e: "")
    for group_key in sorted({key(e) for e in [*looser, *stricter]}):
        tagged = [(e, False) for e in looser if key(e) == group_key] + [(e, True) for e in stricter if key(e) == group_key]
        tagged.sort(key=lambda item: (item[0].start, item[0].stop))
        group: list[tuple[Event, bool]] = []
        end = 0  # the group's last sample (exclusive): an event starting there or later opens a new group
        for event, strict in tagged:
            if group and event.start >= end:
                kept += _group_events(group)
                group = []
            group.append((event, strict))
            end = event.stop if len(group) == 1 else max(end, event.stop)
        if group:
            kept += _group_events(group)
    kept.sort(key=lambda e: (e.start, e.stop, e.label))
    return kept


def _group_events(group: list[tuple[Event, bool]]) -> list[Event]:
    strict = [e for e, is_strict in group if is_strict]
    loose = [e for e, is_strict in group if not is_strict]
    return strict if len(strict) >= 2 or not loose else loose
