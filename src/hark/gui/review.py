"""The review queue: which events a person still has to review, narrowed by filters, in a chosen order.

No Bokeh here: the GUI's review widgets only fill a :class:`ReviewFilter` and step through a
:class:`ReviewQueue`, and the tests drive both without a browser.

- The queue holds the events of others (machines' ``detected``, ``predicted``, ... events and
  other people's annotations) that the person has not reviewed yet. An event is reviewed once
  the person's own file holds a copy of it: at the same place (a verdict or a new label), or
  redrawn elsewhere (a drag in review), which :class:`ReviewLinks` remembers. So a verdict takes
  the event out of the queue, and an undo puts it back.
- Filters: kind, label, annotator and a score range (an event without a score passes only an
  open range).
- Orders: by time, by score (highest or lowest first) or by suggestion: when
  ``<rec>-suggested.csv`` lies beside the recording (rows ``wav,start,stop,suggested,label,
  low_hz,high_hz,score``, as hark's other CSVs), each event is ranked by the highest score of
  the suggestions that overlap it in time; events no suggestion overlaps come last, in time order.
  The suggestions themselves (kind ``suggested``, :mod:`hark.gui.suggest_events`) come in their
  own score's order, which is the file's: the Suggestions queue.
- :func:`verdict_label`: the label an own copy of a machine-made event gets: the event's own
  label when it is a label of the folder's list, else the person's current label; a detector's
  class (``time``, ``frequency``, ``neither``) never becomes a person's label.
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from pathlib import Path

from hark.annotations.event import Event, Kind
from hark.errors import FileFormatError, HarkError
from hark.fileio import atomic_write_text
from hark.gui.loaded import ShownEvent

ORDERS = {"time": "time", "score, highest first": "score", "score, lowest first": "score-up", "suggestion": "suggestion"}
SUGGESTED_KIND = "suggested"


@cache
def detector_classes() -> frozenset[str]:
    """The labels the registered detectors put on their events (``time``, ``frequency``, ``neither``, ...)."""
    from hark.detect.base import detectors

    classes: set[str] = set()
    for _, detector_class in detectors.items():
        try:
            classes.update(detector_class().labels())
        except Exception:  # noqa: BLE001 - a plugin that cannot be built with defaults names no classes
            continue
    return frozenset(classes)


def verdict_label(event: Event, current_label: str | None, labels: Iterable[str]) -> str | None:
    """The label of the own copy a verdict, new box or relabelling of ``event`` makes (None: the person must choose one).

    A person's annotation keeps its label; a machine-made event keeps its label only when that
    label is one of the folder's labels (a model's prediction ``mel-pulse``), else it takes the
    person's current label (a detector's ``time`` or ``neither`` never does).
    """
    if event.kind is Kind.ANNOTATED or event.label in set(labels):
        return event.label
    return current_label


def place(event: Event) -> tuple:
    return (event.start, event.stop, event.low_hz, event.high_hz)


def origin_key(event: Event) -> list:
    return [event.kind.value, event.start, event.stop, event.low_hz, event.high_hz, event.label]


class ReviewLinks:
    """Which own event each redrawn machine-made (or other person's) event became, kept on disk.

    A redrawn detection's own copy is somewhere else than the detection, so the place alone
    cannot tell that the detection was reviewed. The links live in
    ``DATA_DIR/.hark/reviewed/<recording>.<annotator>.json``; a link whose own event is gone
    (undone, deleted) no longer counts.
    """

    def __init__(self, path: Path):
        self.path = path
        self._links: dict[tuple, tuple] = {}
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
            self._links = {tuple(origin): tuple(own) for origin, own in rows}
        except FileNotFoundError:
            pass
        except (OSError, ValueError, TypeError) as err:
            raise HarkError(f"{path}: cannot read which redrawn events were reviewed ({err}); starting afresh") from None

    @classmethod
    def of(cls, settings_dir: Path, relative: str, annotator: str) -> ReviewLinks:
        path = settings_dir / "reviewed" / f"{relative}.{annotator}.json"
        try:
            return cls(path)
        except HarkError:
            links = cls.__new__(cls)
            links.path, links._links = path, {}
            return links

    def link(self, origin: Event, own: Event) -> None:
        """``origin`` (not the person's) was redrawn as ``own``."""
        self._links[tuple(origin_key(origin))] = place(own)
        self._save()

    def moved(self, before: Event, after: Event) -> None:
        """An own event that is a redrawn copy was redrawn again: follow it."""
        old = place(before)
        changed = False
        for origin, own in self._links.items():
            if own == old:
                self._links[origin] = place(after)
                changed = True
        if changed:
            self._save()

    def reviewed_origins(self, own_places: set[tuple]) -> set[tuple]:
        """The origins whose own copy still exists."""
        return {origin for origin, own in self._links.items() if own in own_places}

    def _save(self) -> None:
        rows = [[list(origin), list(own)] for origin, own in self._links.items()]
        try:
            atomic_write_text(self.path, json.dumps(rows) + "\n")
        except (HarkError, OSError):
            pass  # a data folder that cannot be written: the links last as long as the page


@dataclass(frozen=True)
class ReviewFilter:
    """What the queue holds: empty ``kinds``/``labels``/``annotators`` and open score bounds admit everything."""

    kinds: frozenset[str] = frozenset()
    labels: frozenset[str] = frozenset()
    annotators: frozenset[str] = frozenset()
    min_score: float | None = None
    max_score: float | None = None
    order: str = "time"

    def __post_init__(self) -> None:
        if self.order not in ORDERS.values():
            raise HarkError(f"review order {self.order!r}: expected one of {', '.join(ORDERS.values())}")
        if self.min_score is not None and self.max_score is not None and self.min_score > self.max_score:
            raise HarkError(f"review score range {self.min_score:g}-{self.max_score:g}: the lower bound is above the upper")

    def admits(self, event: Event) -> bool:
        if self.kinds and event.kind.value not in self.kinds:
            return False
        if self.labels and event.label not in self.labels:
            return False
        if self.annotators and (event.annotator or "") not in self.annotators:
            return False
        if self.min_score is not None or self.max_score is not None:
            if event.score is None:
                return False
            if self.min_score is not None and event.score < self.min_score:
                return False
            if self.max_score is not None and event.score > self.max_score:
                return False
        return True


def parse_score(text: str, what: str) -> float | None:
    """A score bound typed into the page: empty is no bound."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise HarkError(f"{what} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise HarkError(f"{what} {text!r} is not a finite number")
    return value


def suggestion_file(recording: Path) -> Path | None:
    """``<rec>.wav-suggested.csv`` (or ``<rec>-suggested.csv``) beside ``recording``, if there is one."""
    for name in (f"{recording.name}-{SUGGESTED_KIND}.csv", f"{recording.stem}-{SUGGESTED_KIND}.csv"):
        path = recording.with_name(name)
        if path.is_file():
            return path
    return None


def read_suggestions(path: Path) -> list[tuple[int, int, float]]:
    """``(start, stop, score)`` of each row of a suggestions file; a malformed row is ``file:line: reason``."""
    suggestions = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise FileFormatError(path, f"cannot be read ({err})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        cells = line.split(",")
        if len(cells) < 8 or cells[3] != SUGGESTED_KIND:
            raise FileFormatError(path, f"expected wav,start,stop,{SUGGESTED_KIND},label,low_hz,high_hz,score", number)
        try:
            start, stop, score = int(cells[1]), int(cells[2]), float(cells[7])
        except ValueError:
            raise FileFormatError(path, "start and stop must be whole numbers and score a number", number) from None
        if start > stop or not math.isfinite(score):
            raise FileFormatError(path, "start after stop, or a score that is not finite", number)
        suggestions.append((start, stop, score))
    return suggestions


def suggestion_scores(events: list[Event], suggestions: list[tuple[int, int, float]]) -> list[float | None]:
    """For each event, the highest score of the suggestions overlapping it in time (None: none does)."""
    ordered = sorted(suggestions)
    starts = [s[0] for s in ordered]
    longest = max((stop - start for start, stop, _ in ordered), default=0)
    scores = []
    for event in events:
        first = bisect.bisect_left(starts, event.start - longest)
        last = bisect.bisect_right(starts, event.stop)
        found = [score for start, stop, score in ordered[first:last] if stop >= event.start]
        scores.append(max(found) if found else None)
    return scores


class ReviewQueue:
    """The events still to review among ``candidates`` (ShownEvents of a recording), filtered and ordered.

    ``own`` are the person's own events (a candidate with a copy there is reviewed);
    ``reviewed_origins`` the origins of redrawn copies (:class:`ReviewLinks`); ``suggestions``
    the rows of the recording's suggestions file.
    """

    def __init__(self, candidates: Iterable[ShownEvent], own: Iterable[Event], review_filter: ReviewFilter,
                 reviewed_origins: set[tuple] = frozenset(), suggestions: list[tuple[int, int, float]] = ()):  # fmt: skip
        self.filter = review_filter
        own_places = {place(e) for e in own}
        admitted = [s for s in candidates if not s.own and review_filter.admits(s.event)]
        pending = [s for s in admitted if place(s.event) not in own_places]
        if reviewed_origins:  # (an hour of detections is tens of thousands of candidates: skip what cannot matter)
            pending = [s for s in pending if tuple(origin_key(s.event)) not in reviewed_origins]
        self._suggested: dict[tuple, float | None] = {}
        if review_filter.order == "suggestion":  # of the reviewed ones too: the current one keeps its place once reviewed
            scores = suggestion_scores([s.event for s in admitted], list(suggestions))
            # a suggestion itself keeps its own place in the file's order (its score falls from pick to pick)
            self._suggested = {position_of(s): s.event.score if s.event.kind is Kind.SUGGESTED else score for s, score in zip(admitted, scores)}
        keyed = sorted(((self.key(s), s) for s in pending), key=itemgetter(0))  # each key computed once
        self.items = [s for _, s in keyed]
        self._keys = [key for key, _ in keyed]

    def __len__(self) -> int:
        return len(self.items)

    def key(self, shown: ShownEvent) -> tuple:
        """Where ``shown`` sorts in this queue's order (also for an event that has left it)."""
        event = shown.event
        at = (event.start, event.stop, shown.lane, event.label)
        order = self.filter.order
        if order == "time":
            return at
        if order in ("score", "score-up"):
            score = event.score
            rank = math.inf if score is None else (-score if order == "score" else score)
            return (rank, *at)
        score = self._suggested.get(position_of(shown))
        return (math.inf if score is None else -score, *at)

    def index(self, shown: ShownEvent) -> int | None:
        key = self.key(shown)
        index = bisect.bisect_left(self._keys, key)
        return index if index < len(self._keys) and self._keys[index] == key else None

    def after(self, shown: ShownEvent | None) -> ShownEvent | None:
        """The first queued event after ``shown`` in the order (the first of all when ``shown`` is None)."""
        if shown is None:
            return self.items[0] if self.items else None
        index = bisect.bisect_right(self._keys, self.key(shown))
        return self.items[index] if index < len(self.items) else None

    def before(self, shown: ShownEvent | None) -> ShownEvent | None:
        if shown is None:
            return self.items[-1] if self.items else None
        index = bisect.bisect_left(self._keys, self.key(shown))
        return self.items[index - 1] if index > 0 else None


class QueueMemo:
    """The last review queue and what it was built from: stepping through an unchanged queue reuses it
    (an hour of detections is tens of thousands of candidates, whose filtering and sorting cost
    more than the step's redraw). ``identities`` are compared by identity (the open recording,
    the tuple of own events an edit replaces, the suggestions list), ``values`` by equality."""

    def __init__(self) -> None:
        self._identities: tuple = ()
        self._values: tuple | None = None
        self._queue: ReviewQueue | None = None

    def get(self, identities: tuple, values: tuple, build) -> ReviewQueue:
        same = (self._queue is not None and len(identities) == len(self._identities)
                and all(a is b for a, b in zip(identities, self._identities)) and values == self._values)  # fmt: skip
        if not same:
            self._queue, self._identities, self._values = build(), identities, values
        return self._queue


def position_of(shown: ShownEvent) -> tuple:
    return (shown.event.start, shown.event.stop, shown.lane, shown.event.label)


def other_annotators(candidates: Iterable[ShownEvent]) -> list[str]:
    return sorted({s.event.annotator for s in candidates if not s.own and s.event.annotator})
