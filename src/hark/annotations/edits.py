"""An annotation-editing session: one person's edits of one recording, saved after every edit.

The GUI (and anything else that edits annotations interactively) goes through
:class:`AnnotationEditor`. It owns exactly one file, ``<rec>-annotated-<annotator>.csv``
beside the recording, and rewrites it atomically after *every* edit, so a crash of the
browser or the server loses nothing but the undo history. Files written by machines
(``-detected.csv``, ``-predicted-*.csv``, ...) and other people's annotation files are
never written: editing one of their events (a new label, an accept/reject verdict, a redrawn
box) adds an ``annotated`` copy of it to the editor's own file, as SongExplorer's GUI does
when a detected sound is given a label.

Undo and redo step through whole states of the own file (each edit records the events
before and after), and every step is saved too. If the file changes on disk behind the
editor's back (another browser tab, another program), the next edit first reloads it, so
the other writer's rows are kept; the undo history, which no longer applies, is dropped.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from hark.annotations.event import Event, Kind, Status, label_problem
from hark.annotations.naming import annotation_csv_name
from hark.annotations.songexplorer import read_csv, write_csv
from hark.errors import HarkError


@dataclass(frozen=True)
class Edit:
    """One step of the history: the own file's events before and after, and what was done."""

    description: str
    before: tuple[Event, ...]
    after: tuple[Event, ...]


def same_event(a: Event, b: Event) -> bool:
    """Equal in every field a person can edit (Event's ``==`` ignores frequency and status)."""
    return a == b and (a.low_hz, a.high_hz, a.status, a.score) == (b.low_hz, b.high_hz, b.status, b.score)


def own_file_of(recording: Path, annotator: str) -> Path:
    """``<rec>.wav-annotated-<who>.csv`` beside ``recording``, or the older ``<rec>-annotated-<who>.csv`` if only that exists."""
    path = recording.with_name(annotation_csv_name(recording.name, Kind.ANNOTATED, annotator=annotator))
    older = recording.with_name(annotation_csv_name(recording.stem, Kind.ANNOTATED, annotator=annotator))
    return older if older.exists() and not path.exists() else path


def event_order(event: Event) -> tuple:
    return (event.start, event.stop, event.label, event.low_hz or 0.0, event.high_hz or 0.0)


class AnnotationEditor:
    """Edits of ``recording``'s annotations by ``annotator``, saved to ``<rec>-annotated-<annotator>.csv``.

    ``frames``, when given, is the recording's length: events must lie within it.
    Every method that changes something saves before it returns and returns the event it
    made (or None for a deletion); a mistake (a bad label, an event not in the file, a time
    outside the recording) raises a one-line :class:`HarkError` and changes nothing.
    """

    def __init__(self, recording: str | Path, annotator: str, frames: int | None = None):
        self.recording = Path(recording)
        self.annotator = annotator
        self.frames = frames
        self.path = own_file_of(self.recording, annotator)
        self.notices: list[str] = []  # things the user should be told (a reload), taken by the caller
        self._undo: list[Edit] = []
        self._redo: list[Edit] = []
        self._events: tuple[Event, ...] = ()
        self._disk_state: tuple[int, int] | None = None
        self._load()

    # -- reading ---------------------------------------------------------------------------

    @property
    def events(self) -> tuple[Event, ...]:
        """The events of the own file, in time order."""
        return self._events

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def history(self) -> list[str]:
        """Descriptions of the edits that undo would revert, oldest first."""
        return [edit.description for edit in self._undo]

    def owns(self, event: Event) -> bool:
        """Whether ``event`` is a row of the own file (else editing it makes an annotated copy)."""
        return any(same_event(event, own) for own in self._events)

    def find_own(self, event: Event) -> Event | None:
        """The own event in the same place as ``event`` (same start, stop and frequency extent), if any.

        That is the annotated copy made when ``event`` (a detection, say) was edited before;
        one with the same label is preferred when several share the place.
        """
        place = (event.start, event.stop, event.low_hz, event.high_hz)
        found = [own for own in self._events if (own.start, own.stop, own.low_hz, own.high_hz) == place]
        return next((own for own in found if own.label == event.label), found[0] if found else None)

    # -- edits -----------------------------------------------------------------------------

    def add(self, start: int, stop: int, label: str, low_hz: float | None = None, high_hz: float | None = None) -> Event:
        """Lay a new annotation: a point when ``start == stop``, else a range."""
        self._check_disk()
        event = self._new_event(start, stop, label, low_hz=low_hz, high_hz=high_hz)
        what = "point" if event.is_point else "range"
        self._apply(f"add {what} {label!r} at {start}", self._current() + [event])
        return event

    def delete(self, event: Event) -> None:
        """Remove one of the own file's annotations."""
        self._check_disk()
        index = self._index_of(event)
        events = self._current()
        del events[index]
        self._apply(f"delete {event.label!r} at {event.start}", events)

    def relabel(self, event: Event, label: str) -> Event:
        """Give ``event`` a new label; a machine's or another person's event becomes an own copy."""
        self._check_label(label)
        return self._change(event, f"label {event.label!r} at {event.start} as {label!r}", label=label)

    def set_status(self, event: Event, status: Status | str | None) -> Event:
        """Accept or reject ``event`` (None clears the verdict), as DeepSqueak's review does."""
        status = None if status is None else Status(status)
        verb = {None: "clear the verdict of", Status.ACCEPTED: "accept", Status.REJECTED: "reject"}[status]
        return self._change(event, f"{verb} {event.label!r} at {event.start}", status=status)

    def reshape(self, event: Event, start: int, stop: int, frequency: tuple[float, float] | None = None) -> Event:
        """Redraw ``event``'s box: a new time extent and, when given, a new ``(low_hz, high_hz)``.

        Without ``frequency`` the event keeps its frequency extent (a box redrawn on the
        waveform changes only its times).
        """
        changes: dict = {"start": start, "stop": stop}
        if frequency is not None:
            changes["low_hz"], changes["high_hz"] = sorted(float(f) for f in frequency)
        return self._change(event, f"redraw {event.label!r} at {event.start}", **changes)

    def undo(self) -> str | None:
        """Revert the last edit (and save); its description, or None when there is nothing to undo."""
        self._check_disk()
        if not self._undo:
            return None
        edit = self._undo.pop()
        self._redo.append(edit)
        self._save(edit.before)
        return edit.description

    def redo(self) -> str | None:
        """Apply again the last undone edit (and save); its description, or None."""
        self._check_disk()
        if not self._redo:
            return None
        edit = self._redo.pop()
        self._undo.append(edit)
        self._save(edit.after)
        return edit.description

    # -- internals -------------------------------------------------------------------------

    def _change(self, event: Event, description: str, **changes) -> Event:
        """Replace an own event by its changed copy, or add a changed annotated copy of another's."""
        self._check_disk()
        events = self._current()
        if self.owns(event):
            index = self._index_of(event)
            try:
                changed = self._checked(events[index].with_(**changes))
            except ValueError as err:
                raise HarkError(f"{self.path.name}: cannot change {event.label!r} at {event.start}: {err}") from None
            events[index] = changed
        else:
            fields = {"low_hz": event.low_hz, "high_hz": event.high_hz, "score": event.score, "status": event.status}
            fields.update(changes)
            start, stop, label = fields.pop("start", event.start), fields.pop("stop", event.stop), fields.pop("label", event.label)
            changed = self._new_event(start, stop, label, **fields)
            existing = self.find_own(event)
            if existing is not None:  # edited before: change that copy rather than adding a second
                changed = self._checked(existing.with_(**changes))
                events[self._index_of(existing)] = changed
            else:
                events.append(changed)
        self._apply(description, events)
        return changed

    def _new_event(self, start: int, stop: int, label: str, **fields) -> Event:
        self._check_label(label)
        try:
            event = Event(self.recording.name, start, stop, Kind.ANNOTATED, label, annotator=self.annotator, **fields)
        except ValueError as err:
            raise HarkError(f"{self.path.name}: cannot annotate: {err}") from None
        return self._checked(event)

    def _checked(self, event: Event) -> Event:
        if self.frames is not None and event.stop > self.frames:
            raise HarkError(f"{self.recording.name}: samples {event.start}-{event.stop} run past the recording's end ({self.frames})")
        return event

    def _check_label(self, label: str) -> None:
        problem = label_problem(label)
        if problem:
            raise HarkError(f"cannot use that label: {problem}")

    def _index_of(self, event: Event) -> int:
        for index, own in enumerate(self._events):
            if same_event(event, own):
                return index
        raise HarkError(f"{event.label!r} at {event.start} is not in {self.path.name}; only its own annotations can be deleted")

    def _current(self) -> list[Event]:
        return list(self._events)

    def _apply(self, description: str, events: Iterable[Event]) -> None:
        before = self._events
        self._save(events)
        self._undo.append(Edit(description, before, self._events))
        self._redo.clear()

    def _save(self, events: Iterable[Event]) -> None:
        ordered = tuple(sorted(events, key=event_order))
        write_csv(self.path, ordered)
        self._events = ordered
        self._disk_state = self._stat()

    def _load(self) -> None:
        if self.path.exists():
            events = read_csv(self.path, allow_empty=True)
            strangers = sorted({e.recording for e in events if e.recording != self.recording.name})
            if strangers:
                raise HarkError(f"{self.path}: rows name recording(s) {', '.join(strangers)}, not {self.recording.name}")
            self._events = tuple(sorted(events, key=event_order))
        else:
            self._events = ()
        self._disk_state = self._stat()

    def _stat(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def _check_disk(self) -> None:
        """Reload the own file when someone else wrote it since we last did, keeping their rows."""
        if self._stat() == self._disk_state:
            return
        self._load()
        self._undo.clear()
        self._redo.clear()
        self.notices.append(f"{self.path.name} was changed by another program or window; reloaded it (undo history cleared)")
