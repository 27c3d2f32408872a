"""A recording opened in the GUI: its audio, the person's editor and everyone else's events.

Opening never writes anything. A recording that cannot be read raises a one-line HarkError
(the page shows it and keeps what it had); an annotation file with malformed rows is left
out with its ``file:line: reason`` in ``problems``; if the person's own file is the
malformed one, editing is switched off for the recording so that it is never overwritten.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from hark.annotations.edits import AnnotationEditor, own_file_of
from hark.annotations.event import Event, Kind
from hark.annotations.folder import RecordingEntry, read_annotation_file
from hark.audio.recording import Recording, open_recording
from hark.errors import HarkError
from hark.gui.lane_layout import overlap_rows
from hark.gui.paths import DataFolder


def own_lane(annotator: str) -> str:
    return f"annotated: {annotator}"


def lane_of(event: Event) -> str:
    """The lane of an event from someone else's file: one per annotator, one per machine kind."""
    if event.kind is Kind.ANNOTATED:
        return own_lane(event.annotator or "others")
    return event.kind.value


class AnnotationCache:
    """The events of annotation files a page has read, kept while each file stays the same.

    Reopening a recording (coming back to it from another) then skips parsing its machine-made
    files again: 21,748 detections of a generated hour were most of the server's time of opening
    it. A file counts as the same while its size, modification time and inode are; any write
    (a job's new detections, an edit, a rename over it) changes them and it is read again.
    """

    def __init__(self, files: int = 8):
        self._files = files
        self._events: dict[tuple, list[Event]] = {}

    def read(self, annotation_path: Path, recording_path: Path) -> list[Event]:
        try:
            stat = annotation_path.stat()
        except OSError:  # gone or unreadable: reading it says so, as a one-line error
            return read_annotation_file(annotation_path, recording_path)
        key = (str(annotation_path.absolute()), str(recording_path), stat.st_size, stat.st_mtime_ns, stat.st_ino)
        events = self._events.pop(key, None)
        if events is None:
            events = read_annotation_file(annotation_path, recording_path)
            while len(self._events) >= self._files:
                self._events.pop(next(iter(self._events)))  # the least recently used
        self._events[key] = events
        return events


@dataclass(frozen=True)
class ShownEvent:
    """An event as drawn: the lane (row) it sits in and whether the person's own file holds it."""

    event: Event
    lane: str
    own: bool


@dataclass
class LoadedRecording:
    relative: str
    recording: Recording
    annotator: str
    editor: AnnotationEditor | None
    others: list[Event] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return self.recording.path

    @property
    def samplerate(self) -> int:
        return self.recording.samplerate

    def lanes(self, kinds: set[Kind]) -> list[str]:
        """Lane names for ``kinds``, top to bottom: own annotations, each other annotator's, then each machine kind."""
        names = []
        if Kind.ANNOTATED in kinds:
            names += [own_lane(self.annotator), *sorted(self._annotator_lanes - {own_lane(self.annotator)})]
        return names + [kind.value for kind in Kind if kind in kinds and kind is not Kind.ANNOTATED]

    def __post_init__(self) -> None:
        # others' events never change while the recording is open: sorted once, so that a
        # redraw finds those in view by bisection instead of looking at every one
        self._others = sorted((ShownEvent(e, lane_of(e), False) for e in self.others), key=lambda s: (s.event.start, s.event.stop))
        self._other_starts = [s.event.start for s in self._others]
        self._longest_other = max((s.event.duration_tics for s in self._others), default=0)
        self._other_counts = Counter((s.event.kind, s.lane, s.event.label) for s in self._others)
        self._annotator_lanes = {s.lane for s in self._others if s.event.kind is Kind.ANNOTATED}
        # rows within each lane for events that overlap, over the whole recording: a lane keeps its
        # height while the view moves, and an event keeps its row
        other_rows, self._other_depths = _rows_by_lane(self._others)
        self._other_rows_by_id = {id(s): other_rows[(s.lane, s.event)] for s in self._others}

    def rows(self, shown: list[ShownEvent]) -> tuple[list[int], dict[str, int]]:
        """The row (0: top) of each of ``shown`` within its lane, and how many rows each lane has."""
        own = [ShownEvent(e, own_lane(self.annotator), True) for e in self.editor.events] if self.editor is not None else []
        own_rows, own_depths = _rows_by_lane(own)
        depths = {**self._other_depths, **own_depths}
        # others' shown events are the very objects made at opening: found by identity, not by hashing each event
        return [own_rows.get((s.lane, s.event), 0) if s.own else self._other_rows_by_id.get(id(s), 0) for s in shown], depths

    def shown(self, kinds: set[Kind], start: int | None = None, stop: int | None = None) -> list[ShownEvent]:
        """The events of ``kinds`` (overlapping samples ``[start, stop]`` when given), own ones first, each with its lane."""
        lo = 0 if start is None else start
        hi = float("inf") if stop is None else stop
        own = [] if self.editor is None else [
            ShownEvent(e, own_lane(self.annotator), True) for e in self.editor.events if e.stop >= lo and e.start <= hi
        ]  # fmt: skip
        if start is None and stop is None:
            others = self._others
        else:
            first = bisect.bisect_left(self._other_starts, lo - self._longest_other)
            last = bisect.bisect_right(self._other_starts, hi)
            others = [s for s in self._others[first:last] if s.event.stop >= lo]
        return [s for s in own + others if s.event.kind in kinds]

    def counts(self, kinds: set[Kind]) -> Counter:
        """How many events of ``kinds`` there are per ``(lane, label)``."""
        counts = Counter({(lane, label): n for (kind, lane, label), n in self._other_counts.items() if kind in kinds})
        if self.editor is not None and Kind.ANNOTATED in kinds:
            counts.update((own_lane(self.annotator), e.label) for e in self.editor.events if e.kind in kinds)
        return counts

    def labels(self) -> list[str]:
        """Labels of the annotated events here (the person's and others'), sorted."""
        own = self.editor.events if self.editor is not None else ()
        return sorted({e.label for e in (*own, *self.others) if e.kind is Kind.ANNOTATED})


def _rows_by_lane(shown: list[ShownEvent]) -> tuple[dict[tuple[str, Event], int], dict[str, int]]:
    by_lane: dict[str, list[Event]] = {}
    for s in shown:
        by_lane.setdefault(s.lane, []).append(s.event)
    rows: dict[tuple[str, Event], int] = {}
    depths: dict[str, int] = {}
    for lane, events in by_lane.items():
        lane_rows, depths[lane] = overlap_rows([(e.start, e.stop) for e in events])
        rows.update(((lane, e), r) for e, r in zip(events, lane_rows))
    return rows, depths


def load_recording(
    folder: DataFolder, relative: str, annotator: str, entry: RecordingEntry | None = None, cache: AnnotationCache | None = None
) -> LoadedRecording:
    """Open ``relative`` (a path inside the data folder) with its annotation files (others' read through ``cache`` when given)."""
    path = folder.recording(relative, must_exist=True)
    recording = open_recording(path)
    relative = folder.recording_relative(path)
    problems: list[str] = []
    own_path = own_file_of(path, annotator)
    try:
        # the own file is read and rewritten: one linked in from outside is neither (its content never echoed)
        folder.readable(own_path, what="your annotation file")
        editor = AnnotationEditor(path, annotator, frames=recording.frames)
    except HarkError as err:
        editor = None
        problems.append(f"{err} — editing is off for this recording until {own_path.name} is fixed; it was not changed")
    others: list[Event] = []
    for annotation_path in (entry.annotation_paths() if entry is not None else []):
        if annotation_path.absolute() == own_path.absolute():
            continue
        try:
            folder.readable(annotation_path)
            events = cache.read(annotation_path, path) if cache is not None else read_annotation_file(annotation_path, path)
        except HarkError as err:
            problems.append(f"{err} — its events are not shown")
            continue
        # (a copy only where the name differs: checking tens of thousands of copies was half the time of opening an hour)
        others.extend(e if e.recording == path.name else e.with_(recording=path.name) for e in events)
    return LoadedRecording(relative, recording, annotator, editor, others, problems)
