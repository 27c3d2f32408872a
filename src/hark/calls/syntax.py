"""Syntax of calls (DeepSqueak's syntax analysis): bouts, first-order transitions, bout statistics.

A recording's labelled events, in time order, are its sequence of call types. The sequence is
split into **bouts** wherever the silence before a call is longer than ``bout_gap_ms``: the
silence is measured from the end of the latest-ending earlier call of the bout (so overlapping
calls never open a bout) to the start of the call. Within a bout, each call and the next make
one **transition** ``from -> to``; no transition crosses a bout's edge. With ``bout_edges``,
each bout also contributes ``<start> -> first call`` and ``last call -> <end>`` (the states
:data:`BOUT_START` and :data:`BOUT_END`), so that how bouts open and close is counted too.

The probability of ``from -> to`` is its count over all transitions out of ``from`` (a
first-order Markov chain's estimate); pooled counts are the sums of the recordings' counts,
and pooled probabilities are computed from the pooled counts. Definitions of the bout and
interval statistics are in docs/calls.md; files and figures: :mod:`hark.calls.syntax_tables`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import Field

from hark.annotations.event import Event
from hark.errors import HarkError, ParameterError
from hark.params import Params

BOUT_START = "<start>"  # the state before a bout's first call (with bout_edges)
BOUT_END = "<end>"  # the state after a bout's last call (with bout_edges)
PERCENTILES = (5, 25, 75, 95)  # of the inter-call intervals, besides mean and median
DEFAULT_BOUT_GAP_MS = 300.0
# A silence equal to the bout gap keeps the bout; times in seconds computed from samples differ
# from the decimal the user typed by rounding, which this margin absorbs.
GAP_TOLERANCE_S = 1e-9


class SyntaxParams(Params):
    """How calls are grouped into bouts and counted (``hark syntax``)."""

    bout_gap_ms: float = Field(
        DEFAULT_BOUT_GAP_MS,
        ge=0,
        allow_inf_nan=False,
        description="A silence longer than this (ms, from the end of the bout's calls so far to the next call's start) starts a new bout.",
    )
    bout_edges: bool = Field(False, description=f"Count {BOUT_START} -> first call and last call -> {BOUT_END} of every bout as transitions too.")


@dataclass(frozen=True)
class Call:
    """One call of a sequence: its type and its times in seconds from the recording's start."""

    label: str
    start_s: float
    stop_s: float


@dataclass(frozen=True)
class Bout:
    """Calls of one recording with no silence longer than the bout gap between them."""

    recording: str
    number: int  # from 1, in time order within the recording
    calls: tuple[Call, ...]

    @property
    def start_s(self) -> float:
        return self.calls[0].start_s

    @property
    def stop_s(self) -> float:
        return max(call.stop_s for call in self.calls)

    @property
    def duration_s(self) -> float:
        return self.stop_s - self.start_s

    @property
    def call_rate_per_s(self) -> float | None:
        """Calls per second of the bout; None for a bout of no length (one point event)."""
        return len(self.calls) / self.duration_s if self.duration_s > 0 else None

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(call.label for call in self.calls)


@dataclass(frozen=True)
class Interval:
    """Two successive calls of a bout: onset-to-onset interval and the silence before the second."""

    recording: str
    bout: int
    before: str
    after: str
    onset_interval_s: float  # start of the second minus start of the first
    gap_s: float  # start of the second minus the latest end of the bout's calls before it (negative: overlap)


@dataclass(frozen=True)
class RecordingSyntax:
    """One recording's bouts, intervals and transition counts."""

    recording: str
    bouts: tuple[Bout, ...]
    intervals: tuple[Interval, ...]
    transitions: dict[tuple[str, str], int]

    @property
    def calls(self) -> int:
        return sum(len(b.calls) for b in self.bouts)


@dataclass(frozen=True)
class SyntaxResult:
    """Every recording's syntax, the pooled counts, the call types and what the user should know."""

    params: SyntaxParams
    recordings: tuple[RecordingSyntax, ...]
    transitions: dict[tuple[str, str], int]  # pooled
    labels: tuple[str, ...]  # the call types, sorted
    notes: tuple[str, ...]

    @property
    def states(self) -> tuple[str, ...]:
        """The rows and columns of the transition matrix: the call types, and the bout edges if counted."""
        if not self.params.bout_edges:
            return self.labels
        return (BOUT_START, *self.labels, BOUT_END)

    @property
    def bouts(self) -> list[Bout]:
        return [bout for recording in self.recordings for bout in recording.bouts]

    @property
    def intervals(self) -> list[Interval]:
        return [interval for recording in self.recordings for interval in recording.intervals]


def calls_of(events: Iterable[Event], samplerate: float) -> list[Call]:
    """``events`` (of one recording, times in samples) as calls in seconds, in time order."""
    ordered = sorted(events, key=lambda e: (e.start, e.stop, e.label))
    return [Call(e.label, e.start / samplerate, e.stop / samplerate) for e in ordered]


def split_bouts(recording: str, calls: Sequence[Call], bout_gap_s: float) -> tuple[list[Bout], list[Interval]]:
    """``calls`` (in time order) split into bouts at silences longer than ``bout_gap_s``, and the intervals within bouts."""
    bouts: list[Bout] = []
    intervals: list[Interval] = []
    current: list[Call] = []
    latest_stop = -math.inf
    for call in calls:
        gap = call.start_s - latest_stop
        if current and gap > bout_gap_s + GAP_TOLERANCE_S:
            bouts.append(Bout(recording, len(bouts) + 1, tuple(current)))
            current = []
        if current:
            previous = current[-1]
            intervals.append(Interval(recording, len(bouts) + 1, previous.label, call.label, call.start_s - previous.start_s, gap))
            latest_stop = max(latest_stop, call.stop_s)
        else:
            latest_stop = call.stop_s
        current.append(call)
    if current:
        bouts.append(Bout(recording, len(bouts) + 1, tuple(current)))
    return bouts, intervals


def transition_counts(bouts: Iterable[Bout], bout_edges: bool = False) -> dict[tuple[str, str], int]:
    """First-order transition counts within ``bouts``, ``(from, to) -> count``, sorted by pair."""
    counts: Counter = Counter()
    for bout in bouts:
        labels = bout.labels
        states = (BOUT_START, *labels, BOUT_END) if bout_edges else labels
        counts.update(zip(states[:-1], states[1:]))
    return {pair: counts[pair] for pair in sorted(counts)}


def transition_probabilities(counts: dict[tuple[str, str], int]) -> dict[tuple[str, str], float]:
    """Each pair's count over all transitions out of its ``from`` state."""
    out_of: Counter = Counter()
    for (before, _), count in counts.items():
        out_of[before] += count
    return {pair: count / out_of[pair[0]] for pair, count in counts.items()}


def transition_matrix(counts: dict[tuple[str, str], int], states: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Counts and row probabilities as square arrays over ``states`` (a row without transitions: NaN probabilities)."""
    index = {state: i for i, state in enumerate(states)}
    matrix = np.zeros((len(states), len(states)), dtype=np.int64)
    for (before, after), count in counts.items():
        matrix[index[before], index[after]] = count
    totals = matrix.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        probabilities = np.where(totals > 0, matrix / np.maximum(totals, 1), np.nan)
    return matrix, probabilities


def summary_statistics(values: Sequence[float]) -> dict[str, float | None]:
    """Mean, median and :data:`PERCENTILES` of ``values`` (None each when there are none)."""
    names = ["mean", "median", *(f"p{p}" for p in PERCENTILES)]
    if len(values) == 0:
        return dict.fromkeys(names)
    array = np.asarray(values, dtype=float)
    found = [float(np.mean(array)), float(np.median(array)), *(float(v) for v in np.percentile(array, PERCENTILES))]
    return dict(zip(names, found))


def analyse_syntax(calls_by_recording: dict[str, Sequence[Call]], params: SyntaxParams | None = None) -> SyntaxResult:
    """Bouts, intervals and transitions of each recording's calls (each in time order), and the pooled counts.

    A HarkError when there is nothing to analyse: fewer than two calls in all, or no two calls
    in one bout (no transition within any bout). One call type is allowed, with a note: its
    transitions are all ``type -> type``, but the bout statistics still say how calls group.
    """
    params = params or SyntaxParams()
    total = sum(len(calls) for calls in calls_by_recording.values())
    if total == 0:
        raise HarkError("no labelled events to analyse")
    if total == 1:
        [(recording, [call])] = [(name, calls) for name, calls in calls_by_recording.items() if calls]
        raise HarkError(f"only one call ({call.label!r} in {recording}): a syntax needs at least two calls")
    labels = tuple(sorted({call.label for calls in calls_by_recording.values() for call in calls}))
    clash = [state for state in (BOUT_START, BOUT_END) if state in labels]
    if params.bout_edges and clash:
        raise HarkError(f"a call type is named {clash[0]!r}, as the bout edges are; rename it or leave bout edges out")
    recordings = []
    for name in sorted(calls_by_recording):
        bouts, intervals = split_bouts(name, calls_by_recording[name], params.bout_gap_ms / 1000)
        recordings.append(RecordingSyntax(name, tuple(bouts), tuple(intervals), transition_counts(bouts, params.bout_edges)))
    if not any(r.intervals for r in recordings):
        raise ParameterError(
            "bout_gap_ms",
            f"no two calls are within {params.bout_gap_ms:g} ms of each other: every bout is one call and there is "
            "no transition to count; give a longer {param}",
        )
    pooled: Counter = Counter()
    for recording in recordings:
        pooled.update(recording.transitions)
    notes = []
    if len(labels) == 1:
        notes.append(f"one call type ({labels[0]!r}): every transition is {labels[0]} -> {labels[0]}; the bout statistics still apply")
    return SyntaxResult(params, tuple(recordings), {pair: pooled[pair] for pair in sorted(pooled)}, labels, tuple(notes))
