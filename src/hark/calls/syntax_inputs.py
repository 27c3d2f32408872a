"""The labelled events ``hark syntax`` reads: annotation files and ground-truth folders, as calls in seconds.

Each input is a ground-truth folder (recordings with their annotation files beside them, as
:func:`hark.annotations.folder.scan_folder` finds them: CSVs of any kind, ``.not.mat``,
TextGrid, a clip-label table) or one annotation file of any registered format (a CSV of
predictions, a Raven table...). Times in samples become seconds at the recording's sample
rate: a folder's recordings are opened (their headers only); for a file given by itself, the
rate its format read it at, else the one given (``samplerate``), else the rate of the recording
the file names, found beside it.

A recording's sequence must come from one annotation file: two (an annotated and a predicted
CSV of one recording, or two annotators') would interleave two versions of the same calls, so
that is an error asking to choose with ``kinds`` or to give one file. Events marked
``rejected`` are left out.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from hark.annotations.event import Event, Kind, Status
from hark.annotations.folder import lists_recordings, scan_folder
from hark.annotations.formats import Source, detect_format, get_format
from hark.annotations.selection import check_kinds
from hark.audio import open_recording
from hark.calls.syntax import Call, calls_of
from hark.errors import HarkError, ParameterError


def read_calls(
    inputs: Sequence[Path],
    kinds: Iterable[Kind | str] | None = None,
    labels: Iterable[str] | None = None,
    samplerate: float | None = None,
    progress: Callable[[float], None] | None = None,
) -> dict[str, list[Call]]:
    """Each recording's calls (its path as found -> calls in time order) from ``inputs``, keeping ``kinds`` and ``labels`` (None: all)."""
    if not inputs:
        raise HarkError("no annotation files or folders given")
    if samplerate is not None and not samplerate > 0:
        raise ParameterError("samplerate", f"{{param}} {samplerate:g}: the sample rate must be a positive number of Hz")
    try:
        wanted = check_kinds(kinds)
    except HarkError as err:
        raise ParameterError("kinds", f"{{param}}: {err}") from None
    wanted_labels = None if labels is None else frozenset([labels] if isinstance(labels, str) else labels)
    if wanted_labels is not None and not wanted_labels:
        raise ParameterError("labels", "{param} is empty: name at least one label, or leave it out for all")
    sources: dict[str, dict[Path, list[Event]]] = {}  # recording -> annotation file -> its events
    rates: dict[str, float] = {}
    read: set[Path] = set()  # annotation files already read: a file given beside its folder counts once
    for index, path in enumerate(inputs):
        path = Path(path)
        if not path.exists():
            raise HarkError(f"{path}: no such file or folder")
        if path.is_dir() or lists_recordings(path):
            # a folder's part of the bar advances file by file: one folder may hold thousands
            step = None if progress is None else (lambda done, i=index: progress((i + done) / len(inputs)))
            read |= _read_folder(path, wanted, sources, rates, read, step)
        elif path.resolve() not in read:
            _read_file(path, wanted, samplerate, sources, rates)
            read.add(path.resolve())
        if progress is not None:
            progress((index + 1) / len(inputs))
    given = ", ".join(str(p) for p in inputs[:3]) + (", ..." if len(inputs) > 3 else "")
    kinds_said = "" if wanted is None else f" of kind {', '.join(sorted(k.value for k in wanted))}"
    found = [e for by_file in sources.values() for events in by_file.values() for e in events]
    if not found:
        raise HarkError(f"{given}: no labelled events{kinds_said} (annotation files beside recordings, or annotation files themselves)")
    if wanted_labels is not None:
        present = {e.label for e in found}
        if not wanted_labels & present:
            shown = ", ".join(sorted(present)[:12]) + (", ..." if len(present) > 12 else "")
            raise ParameterError("labels", f"{{param}} {','.join(sorted(wanted_labels))}: no events with these labels (there are {shown})")
    calls: dict[str, list[Call]] = {}
    for recording, by_file in sources.items():
        by_file = {p: events for p, events in by_file.items() if events}
        if len(by_file) > 1:
            files = ", ".join(p.name for p in sorted(by_file))
            raise ParameterError(
                "kinds", f"{recording}: its events come from {len(by_file)} files ({files}); a sequence needs one: choose the kind with {{param}}, or give one file"
            )
        events = [e for events in by_file.values() for e in events if wanted_labels is None or e.label in wanted_labels]
        if events:
            calls[recording] = calls_of(events, rates[recording])
    return calls


def _read_folder(
    root: Path, wanted: frozenset[Kind] | None, sources: dict, rates: dict, read_before: set[Path], progress: Callable[[float], None] | None
) -> set[Path]:
    """Add the events of the folder's annotation files not in ``read_before`` to ``sources``; returns the files read."""
    folder = scan_folder(root)
    if not folder.entries:
        if folder.orphans:
            raise HarkError(
                f"{root}: no recordings there, only annotation files that name none (such as {folder.orphans[0].path.name}); "
                "give those files themselves, with the sample rate"
            )
        raise HarkError(f"{root}: no recordings and no annotation files there")
    files = 1 if folder.table is not None else max(1, sum(len(entry.annotation_paths(wanted)) for entry in folder.entries))
    read: set[Path] = set()
    for event, path in folder.annotations(wanted):
        source = path.resolve()
        if progress is not None and source not in read:
            progress(min(len(read) / files, 1.0))
        read.add(source)
        if event.status is Status.REJECTED or source in read_before:
            continue
        recording = os.path.normpath(folder.root / event.recording)
        if recording not in rates:
            rates[recording] = float(open_recording(recording).samplerate)
        sources.setdefault(recording, {}).setdefault(source, []).append(event)
    return read


def _read_file(path: Path, wanted: frozenset[Kind] | None, samplerate: float | None, sources: dict, rates: dict) -> None:
    fmt = get_format(detect_format(path))
    if fmt.is_project:
        raise HarkError(f"{path}: {fmt.description} holds several recordings; convert it into a folder first (hark convert)")
    events, rate = fmt.read(Source(path, samplerate, allow_empty=True))
    for event in events:
        if (wanted is not None and event.kind not in wanted) or event.status is Status.REJECTED:
            continue
        recording = os.path.normpath(path.parent / event.recording)
        if recording not in rates:
            rates[recording] = rate if rate is not None else _rate_of(path, Path(recording))
        sources.setdefault(recording, {}).setdefault(path.resolve(), []).append(event)


def _rate_of(annotations: Path, recording: Path) -> float:
    if not recording.is_file():
        raise ParameterError(
            "samplerate", f"{annotations}: no recording {recording.name} beside it to give the sample rate of its times; pass {{param}} HZ"
        )
    return float(open_recording(recording).samplerate)
