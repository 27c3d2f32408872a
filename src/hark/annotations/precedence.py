"""Which of several annotations of one sound counts: verdicts, relabels and ranked annotators.

When a person double-checks another's annotations (SongExplorer's "double-check", hark's
GUI), their verdict or new label is written to their own ``<rec>-annotated-<who>.csv`` as a
copy of the event; the other person's file is left as it was. Both files then describe the
same sound. This module finds such pairs and says which event is *superseded* (left out of
training, never deleted) and which pairs are *conflicts* nobody has settled.

Two events are at the **same place** when they annotate the same recording, come from
different files, and are both points at the same sample or both ranges that overlap by at
least half of their union (a relabelled copy has the same extent; a redrawn box overlaps
most of it). They are **about the same thing** when they have the same label, or labels that
contradict each other: two different labels, or ``x`` and ``not_x``. A ``not_x`` beside a
different label ``y`` says nothing about ``y`` (fly song's ``not_mel-pulse`` ranges lie over
``mel-sine`` ranges), so such pairs are independent.

For each pair at the same place about the same thing, in this order:

1. a person's (``annotated``) event supersedes a machine-made one (detected, predicted, ...);
2. with a ranking of annotators (``hark train --annotators alice,person1``), the event of
   the higher-ranked annotator supersedes the other (an annotator not named ranks below all
   named ones);
3. otherwise, with the same label: an event with a verdict (accepted or rejected)
   supersedes one without (the verdict was given on it); two events with the same verdict
   (or none) are duplicates and both stay;
4. otherwise (different labels, or ``accepted`` against ``rejected``) it is a **conflict**:
   training refuses with one line naming both files and the place and pointing to
   ``--annotators``; ``hark info`` lists them. File times are not used to pick the later
   edit: copying a folder changes them.

Pairs of two machine-made events (two thresholds of one model) are never compared.
A conflict where either event is superseded by a third one is settled by that.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hark.annotations.event import Event, Kind

MIN_OVERLAP = 0.5  # of the union: ranges overlapping less are two sounds, not one annotated twice


def same_place(a: Event, b: Event) -> bool:
    """Whether ``a`` and ``b`` mark the same sound: both points at one sample, or ranges overlapping by half their union."""
    if a.recording != b.recording or a.is_point != b.is_point:
        return False
    if a.is_point:
        return a.start == b.start
    shared = min(a.stop, b.stop) - max(a.start, b.start)
    return shared > 0 and shared >= MIN_OVERLAP * (max(a.stop, b.stop) - min(a.start, b.start))


def labels_contradict(a: str, b: str, not_prefix: str = "not_") -> bool:
    """Whether two different labels at one place cannot both hold (``x`` and ``y``, or ``x`` and ``not_x``)."""
    if a == b:
        return False
    if a == not_prefix + b or b == not_prefix + a:
        return True
    return not (a.startswith(not_prefix) or b.startswith(not_prefix))


@dataclass(frozen=True)
class Conflict:
    """Two events at one place about the same thing that no rule settles."""

    first: tuple[Event, Path]
    second: tuple[Event, Path]

    def describe(self, shown: Callable[[Path], str] = str) -> str:
        (a, a_csv), (b, b_csv) = self.first, self.second
        return (
            f"{shown(a_csv)} says {_verdict(a)} and {shown(b_csv)} says {_verdict(b)} at "
            f"{a.recording} {a.start}..{a.stop}"
        )


def _verdict(event: Event) -> str:
    return repr(event.label) + (f" ({event.status})" if event.status is not None else "")


@dataclass(frozen=True)
class Precedence:
    """What :func:`resolve` found: ``superseded`` maps an index of the input to the index of the event that won over it."""

    superseded: dict[int, int]
    conflicts: list[Conflict]


def resolve(items: Sequence[tuple[Event, Path]], ranking: Sequence[str] = (), not_prefix: str = "not_") -> Precedence:
    """Apply the module's rules to ``(event, csv)`` pairs; see the module's docstring."""
    rank = {name: i for i, name in enumerate(ranking)}
    superseded: dict[int, int] = {}
    undecided: list[tuple[int, int]] = []
    for i, j in _pairs_at_same_place(items):
        (a, a_csv), (b, b_csv) = items[i], items[j]
        if a_csv == b_csv or (a.kind is not Kind.ANNOTATED and b.kind is not Kind.ANNOTATED):
            continue
        if a.label != b.label and not labels_contradict(a.label, b.label, not_prefix):
            continue
        loser = _loser(a, b, rank)
        if loser is None:
            if a.label != b.label or (a.status is not None and b.status is not None and a.status != b.status):
                undecided.append((i, j))
            continue
        lost, won = (i, j) if loser == 0 else (j, i)
        superseded.setdefault(lost, won)
    conflicts = [
        Conflict(items[i], items[j]) for i, j in undecided if i not in superseded and j not in superseded
    ]
    return Precedence(superseded, conflicts)


def _loser(a: Event, b: Event, rank: dict[str, int]) -> int | None:
    """0 if ``a`` is superseded by ``b``, 1 if ``b`` by ``a``, None if neither rule decides."""
    people = (a.kind is Kind.ANNOTATED, b.kind is Kind.ANNOTATED)
    if people[0] != people[1]:
        return 0 if people[1] else 1
    unranked = len(rank)
    rank_a, rank_b = rank.get(a.annotator or "", unranked), rank.get(b.annotator or "", unranked)
    if rank_a != rank_b:
        return 0 if rank_a > rank_b else 1
    if a.label == b.label and (a.status is None) != (b.status is None):
        return 0 if a.status is None else 1
    return None


def _pairs_at_same_place(items: Sequence[tuple[Event, Path]]) -> list[tuple[int, int]]:
    """Index pairs ``(i, j)``, ``i < j``, of events at the same place (any files)."""
    points: dict[tuple[str, int], list[int]] = {}
    ranges: dict[str, list[int]] = {}
    for index, (event, _) in enumerate(items):
        if event.is_point:
            points.setdefault((event.recording, event.start), []).append(index)
        else:
            ranges.setdefault(event.recording, []).append(index)
    pairs = [(i, j) for group in points.values() for n, i in enumerate(group) for j in group[n + 1 :]]
    for group in ranges.values():
        group.sort(key=lambda k: (items[k][0].start, items[k][0].stop))
        for n, i in enumerate(group):
            first = items[i][0]
            for j in group[n + 1 :]:
                other = items[j][0]
                if other.start >= first.stop:
                    break  # sorted by start: no later range overlaps ``first``
                if same_place(first, other):
                    pairs.append((min(i, j), max(i, j)))
    return sorted(pairs)
