"""How many events of each kind and label: what ``hark info`` shows of annotations."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from hark.annotations.event import Event, Kind

_KIND_ORDER = {kind: index for index, kind in enumerate(Kind)}


def count_by_kind_and_label(events: Iterable[Event]) -> dict[tuple[Kind, str], int]:
    """``{(kind, label): count}``, ordered by kind (as :class:`Kind` lists them), then label."""
    counts = Counter((e.kind, e.label) for e in events)
    return {key: counts[key] for key in sorted(counts, key=lambda k: (_KIND_ORDER[k[0]], k[1]))}


def merge_counts(*counts: dict[tuple[Kind, str], int]) -> dict[tuple[Kind, str], int]:
    """The sum of several :func:`count_by_kind_and_label` results, in the same order."""
    total: Counter = Counter()
    for c in counts:
        total.update(c)
    return {key: total[key] for key in sorted(total, key=lambda k: (_KIND_ORDER[k[0]], k[1]))}
