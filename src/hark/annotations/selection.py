"""Choosing events: by kind, by label, and the one-recording rule of Raven and Audacity files."""

from __future__ import annotations

from collections.abc import Iterable

from hark.annotations.event import KIND_NAMES, Event, Kind
from hark.errors import HarkError


def check_kind(kind: Kind | str) -> Kind:
    """``kind`` as a Kind, or a one-line HarkError listing the known kinds."""
    try:
        return Kind(kind)
    except ValueError:
        raise HarkError(f"unknown kind {kind!r} (known: {', '.join(KIND_NAMES)})") from None


def check_kinds(kinds: Iterable[Kind | str] | None) -> frozenset[Kind] | None:
    """A set of Kinds, None meaning all; a single string is one kind, not its letters."""
    if kinds is None:
        return None
    if isinstance(kinds, str):
        kinds = [kinds]
    return frozenset(check_kind(k) for k in kinds)


def filter_events(
    events: Iterable[Event],
    kinds: Iterable[Kind | str] | None = None,
    labels: Iterable[str] | None = None,
) -> list[Event]:
    """The events whose kind is in ``kinds`` and label in ``labels`` (None: any), in order."""
    wanted_kinds = check_kinds(kinds)
    wanted_labels = None if labels is None else frozenset([labels] if isinstance(labels, str) else labels)
    return [
        e
        for e in events
        if (wanted_kinds is None or e.kind in wanted_kinds) and (wanted_labels is None or e.label in wanted_labels)
    ]


def recordings_of(events: Iterable[Event]) -> list[str]:
    """The distinct recording names of ``events``, sorted."""
    return sorted({e.recording for e in events})


def single_recording(events: Iterable[Event], what: str) -> str | None:
    """The one recording of ``events`` (None if there are no events).

    Raven and Audacity files hold the events of one recording; several is a HarkError that
    names how many, since times from different recordings would be mixed up in one table.
    """
    names = recordings_of(events)
    if len(names) > 1:
        shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        raise HarkError(
            f"the events belong to {len(names)} recordings ({shown}), but {what} holds one recording; "
            "convert one recording at a time"
        )
    return names[0] if names else None
