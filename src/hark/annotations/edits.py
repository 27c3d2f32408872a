"""An annotation-editing session: one person's edits of one recording, saved after every edit.

The GUI (and anything else that edits annotations interactively) goes through
:class:`AnnotationEditor`. It owns exactly one file, ``<rec>-annotated-<annotator>.csv``
beside the recording, and rewrites it atomically after *every* edit, so a crash of the
browser or the server loses nothing but the undo history. Files written by machines
(``-detected.csv``, ``-predicted-*.csv``, ...) and other people's annotation files are
never written: editing one of their events (a new label, an accept/reject verdict, a redrawn
box) adds an ``annotated`` copy of it to the editor's own file, as SongExplorer's GUI does
when a detected sound is given a label.

Several editors may work on one file at once (two browser windows, the GUI and a script, in
one process or several). Every write happens under an exclusive lock (``fcntl.flock`` on a
hidden ``.<file>.lock`` beside the CSV; the kernel drops it when a process dies, so no
stale lock is ever left) and after a version check: the editor re-reads the file under the
lock, and if someone else wrote it since, applies its own edit on top of their rows (a
merge) instead of over its older copy. An edit that no longer applies (deleting or changing
an annotation the other writer already removed or changed) is refused with a one-line
error naming it: a conflict is reported, never resolved by dropping someone's edit.

Undo and redo step through this editor's own edits, each recorded as the rows it removed and
the rows it added, so they too apply on top of whatever others wrote meanwhile; every step
is saved too.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hark.annotations.event import Event, Kind, Status, label_problem
from hark.annotations.naming import annotation_csv_name
from hark.annotations.songexplorer import read_csv, write_csv
from hark.errors import HarkError


@dataclass(frozen=True)
class Edit:
    """One step of the history: what was done, the own rows it removed and those it added."""

    description: str
    removed: tuple[Event, ...]
    added: tuple[Event, ...]

    def inverse(self) -> Edit:
        return Edit(self.description, self.added, self.removed)


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
        self._disk_version: bytes | None = None
        self._replaced: tuple[Event, ...] = ()  # the own rows before a reload within the current write
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
        event = self._new_event(start, stop, label, low_hz=low_hz, high_hz=high_hz)
        what = "point" if event.is_point else "range"
        with self._writing():
            self._apply(Edit(f"add {what} {label!r} at {start}", (), (event,)))
        return event

    def delete(self, event: Event) -> None:
        """Remove one of the own file's annotations."""
        with self._writing():
            own = self._events[self._index_of(event)]
            self._apply(Edit(f"delete {event.label!r} at {event.start}", (own,), ()))

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
        """Revert this editor's last edit (and save); its description, or None when there is nothing to undo.

        Others' rows written meanwhile stay. If another writer already removed or changed
        what the edit added, the edit cannot be reverted: a one-line error says so and the
        edit leaves the history.
        """
        return self._step(self._undo, self._redo, "undo")

    def redo(self) -> str | None:
        """Apply again the last undone edit (and save); its description, or None."""
        return self._step(self._redo, self._undo, "redo")

    # -- internals -------------------------------------------------------------------------

    def _step(self, source: list[Edit], target: list[Edit], verb: str) -> str | None:
        with self._writing():
            if not source:
                return None
            edit = source.pop()
            step = edit.inverse() if verb == "undo" else edit
            try:
                self._commit(step)
            except HarkError:
                raise HarkError(f"{self.path.name}: cannot {verb} {edit.description!r}: another window or program "
                                f"changed those annotations since; the step is dropped") from None  # fmt: skip
            target.append(edit)
            return edit.description

    def _change(self, event: Event, description: str, **changes) -> Event:
        """Replace an own event by its changed copy, or add a changed annotated copy of another's."""
        with self._writing():
            if self.owns(event):
                own = self._events[self._index_of(event)]
                try:
                    changed = self._checked(own.with_(**changes))
                except ValueError as err:
                    raise HarkError(f"{self.path.name}: cannot change {event.label!r} at {event.start}: {err}") from None
                removed: tuple[Event, ...] = (own,)
            else:
                fields = {"low_hz": event.low_hz, "high_hz": event.high_hz, "score": event.score, "status": event.status}
                fields.update(changes)
                start, stop, label = fields.pop("start", event.start), fields.pop("stop", event.stop), fields.pop("label", event.label)
                changed = self._new_event(start, stop, label, **fields)
                existing = self.find_own(event)
                removed = ()
                if existing is not None:  # edited before: change that copy rather than adding a second
                    changed = self._checked(existing.with_(**changes))
                    removed = (existing,)
            self._apply(Edit(description, removed, (changed,)))
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
        if any(same_event(event, own) for own in self._replaced):
            raise HarkError(self._conflict(event))
        raise HarkError(f"{event.label!r} at {event.start} is not in {self.path.name}; only its own annotations can be deleted")

    def _conflict(self, event: Event) -> str:
        return f"{self.path.name}: {event.label!r} at {event.start} was changed or removed by another window or program; its rows are shown now"

    def _apply(self, edit: Edit) -> None:
        """Commit a new edit (under the lock, on the file's current rows) and record it for undo."""
        self._commit(edit)
        self._undo.append(edit)
        self._redo.clear()

    def _commit(self, edit: Edit) -> None:
        """Remove ``edit.removed`` from and add ``edit.added`` to the current rows, and save; a removed
        row that is no longer there (another writer took or changed it) is a conflict: HarkError, nothing saved."""
        events = list(self._events)
        for gone in edit.removed:
            index = next((i for i, own in enumerate(events) if same_event(gone, own)), None)
            if index is None:
                raise HarkError(self._conflict(gone))
            del events[index]
        self._save(events + list(edit.added))

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold the file's lock, with the own rows read afresh if another writer changed the file since."""
        lock_path = self.path.with_name(f".{self.path.name}.lock")
        try:
            handle = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as err:
            raise HarkError(f"{lock_path}: cannot create the lock that guards {self.path.name} ({err.strerror or err})") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            self._replaced = ()
            if self._version() != self._disk_version:
                self._replaced = self._events  # what this editor showed before: to tell a conflict from a mistake
                self._load()
                self.notices.append(f"{self.path.name} was changed by another program or window; "
                                    f"reloaded it and applied your edit on top of its rows")  # fmt: skip
            yield
        finally:
            os.close(handle)  # closing releases the lock

    def _save(self, events: Iterable[Event]) -> None:
        ordered = tuple(sorted(events, key=event_order))
        write_csv(self.path, ordered)
        self._events = ordered
        self._disk_version = self._version()

    def _load(self) -> None:
        version = self._version()
        if version is not None:
            events = read_csv(self.path, allow_empty=True)
            strangers = sorted({e.recording for e in events if e.recording != self.recording.name})
            if strangers:
                raise HarkError(f"{self.path}: rows name recording(s) {', '.join(strangers)}, not {self.recording.name}")
            self._events = tuple(sorted(events, key=event_order))
        else:
            self._events = ()
        # only once read: a file that cannot be read stays "changed", so no edit is ever written over it
        self._disk_version = version

    def _version(self) -> bytes | None:
        """The own file's version: a digest of its bytes (None when it does not exist).

        Its bytes, not its time stamp: two writes within the file system's time resolution
        (or a rename that reuses an inode) would otherwise look like no change.
        """
        try:
            return hashlib.sha256(self.path.read_bytes()).digest()
        except FileNotFoundError:
            return None
