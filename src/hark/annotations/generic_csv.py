"""crowsetta's ``generic-seq`` CSV: one row per segment of any number of recordings, with a header.

The columns, in crowsetta's order: ``label``, the times in seconds (``onset_s``, ``offset_s``)
and/or in samples (``onset_sample``, ``offset_sample``), ``notated_path`` (the audio file),
``annot_path`` (the annotation file the segment came from), and ``sequence`` and ``annotation``
(indexes that group rows into crowsetta objects). vak and crowsetta's ``to_csv`` write it, which
makes it the common exchange format between bird-song tools.

Reading needs ``label``, ``notated_path`` and one pair of times; other columns may be absent
and unknown ones are ignored. Times in samples are taken as they are; times in seconds need the
sample rate and are rounded to the nearest sample. Events are ``annotated``, with ``generic-seq``
as their annotator, and their recording is ``notated_path`` as written (or only its file name).

The file is parsed with Python's ``csv`` module rather than crowsetta's ``GenericSeq``: that one
goes through pandas, which reads labels such as ``NA`` or ``null`` as missing values, and it
reports no line numbers. The tests check that each reads the other's files.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable
from pathlib import Path

from hark.annotations.event import Event, Kind
from hark.annotations.selection import check_kind
from hark.annotations.textfile import csv_cells, first_text_line, read_text_lines
from hark.annotations.timebase import check_samplerate, format_float, seconds_to_tics, tics_to_seconds
from hark.errors import FileFormatError, HarkError
from hark.fileio import atomic_path

ANNOTATOR = "generic-seq"
COLUMNS = ("label", "onset_s", "offset_s", "onset_sample", "offset_sample", "notated_path", "annot_path", "sequence", "annotation")
SECONDS, SAMPLES = ("onset_s", "offset_s"), ("onset_sample", "offset_sample")
# crowsetta writes a missing notated_path as the text "None".
_NO_PATH = {"", "None"}


def _cells(path: Path, number: int, line: str) -> list[str]:
    try:
        return csv_cells(line)
    except ValueError as err:
        raise FileFormatError(path, str(err), line=number) from None


def looks_like_generic_csv(header_line: str) -> bool:
    """Whether a CSV's first line is a generic-seq header (``label``, ``notated_path`` and a pair of times)."""
    try:
        columns = set(csv_cells(header_line)) if header_line.strip() else set()
    except ValueError:
        return False
    return {"label", "notated_path"} <= columns and (set(SECONDS) <= columns or set(SAMPLES) <= columns)


def read_generic_csv(
    path: str | Path,
    samplerate: float | None = None,
    *,
    basename: bool = False,
    kind: Kind | str = Kind.ANNOTATED,
    allow_empty: bool = False,
) -> list[Event]:
    """The segments of a generic-seq CSV as events, in file order.

    ``samplerate`` is needed only for rows whose times are in seconds alone. ``basename``
    names recordings by their file name only, dropping the folders of ``notated_path``.
    """
    path = Path(path)
    rate = None if samplerate is None else check_samplerate(samplerate)
    kind = check_kind(kind)
    lines = read_text_lines(path)
    first = first_text_line(lines)
    if first is None:
        raise FileFormatError(path, "file is empty (no header and no segments)")
    header_number, header_line = first
    header = _cells(path, header_number, header_line)
    columns = {name: index for index, name in reversed(list(enumerate(header)))}
    _check_header(path, header_number, header, columns, rate)

    events = []
    for number, line in enumerate(lines[header_number:], start=header_number + 1):
        if not line.strip():
            continue
        cells = _cells(path, number, line)
        if len(cells) != len(header):
            raise FileFormatError(path, f"wrong number of columns ({len(cells)}; the header has {len(header)})", line=number)
        row = {name: cells[index] for name, index in columns.items()}
        start, stop = _row_times(path, number, row, rate)
        recording = row["notated_path"]
        if recording in _NO_PATH:
            raise FileFormatError(path, "notated_path is empty: hark needs the recording each segment is in", line=number)
        if basename:
            recording = re.split(r"[\\/]", recording)[-1]
        try:
            events.append(Event(recording, start, stop, kind, row["label"], annotator=ANNOTATOR))
        except ValueError as err:
            raise FileFormatError(path, str(err), line=number) from None
    if not events and not allow_empty:
        raise FileFormatError(path, "no segments (the file has only a header)")
    return events


def _check_header(path: Path, number: int, header: list[str], columns: dict[str, int], rate: float | None) -> None:
    shown = ", ".join(header)
    for name in ("label", "notated_path"):
        if name not in columns:
            raise FileFormatError(path, f"not a generic-seq CSV: no {name!r} column (the columns are {shown})", line=number)
    for onset, offset in (SECONDS, SAMPLES):
        if (onset in columns) != (offset in columns):
            have, lack = (onset, offset) if onset in columns else (offset, onset)
            raise FileFormatError(path, f"has a {have!r} column but no {lack!r}", line=number)
    if SECONDS[0] not in columns and SAMPLES[0] not in columns:
        reason = f"not a generic-seq CSV: no onset_s,offset_s nor onset_sample,offset_sample columns (the columns are {shown})"
        raise FileFormatError(path, reason, line=number)
    if SAMPLES[0] not in columns and rate is None:
        raise HarkError(f"{path}: times are in seconds only; give the sample rate to turn them into samples")


def _row_times(path: Path, number: int, row: dict[str, str], rate: float | None) -> tuple[int, int]:
    """A row's onset and offset in samples: its sample columns if filled, else its seconds times the rate."""
    if row.get(SAMPLES[0]) and row.get(SAMPLES[1]):
        return _whole(path, number, SAMPLES[0], row[SAMPLES[0]]), _whole(path, number, SAMPLES[1], row[SAMPLES[1]])
    if not (row.get(SECONDS[0]) and row.get(SECONDS[1])):
        raise FileFormatError(path, "no onset and offset: both the sample and the seconds cells are empty", line=number)
    if rate is None:
        raise HarkError(f"{path}:{number}: this row's times are in seconds only; give the sample rate")
    onset, offset = (_number(path, number, name, row[name]) for name in SECONDS)
    try:
        return seconds_to_tics(onset, rate), seconds_to_tics(offset, rate)
    except ValueError as err:
        raise FileFormatError(path, str(err), line=number) from None


def _number(path: Path, number: int, column: str, cell: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise FileFormatError(path, f"{column} {cell!r} is not a number", line=number) from None
    if not math.isfinite(value):
        raise FileFormatError(path, f"{column} {cell!r} is not a finite number", line=number)
    return value


def _whole(path: Path, number: int, column: str, cell: str) -> int:
    # pandas writes an integer column holding a missing value as floats: 40889.0.
    value = _number(path, number, column, cell)
    if not value.is_integer():
        raise FileFormatError(path, f"{column} {cell!r} is not a whole number of samples", line=number)
    return int(value)


def write_generic_csv(
    path: str | Path,
    events: Iterable[Event],
    samplerate: float | None = None,
    *,
    annot_path: str | None = None,
) -> int:
    """Write ``events`` as a generic-seq CSV that crowsetta reads; returns the row count.

    Times are written in samples, and also in seconds when ``samplerate`` is given. Each
    recording becomes one crowsetta annotation (its ``annotation`` index, in order of first
    appearance) of one sequence, its segments in time order. ``annot_path`` fills the column of
    that name (default: the written file's own name); ``notated_path`` is each event's recording.
    """
    rate = None if samplerate is None else check_samplerate(samplerate)
    annot_path = Path(path).name if annot_path is None else annot_path
    events = list(events)
    annotation_of: dict[str, int] = {}
    for event in events:
        if not isinstance(event, Event):
            raise TypeError(f"write_generic_csv needs Event objects, got {type(event).__name__}")
        annotation_of.setdefault(event.recording, len(annotation_of))
    ordered = sorted(events, key=lambda e: (annotation_of[e.recording], e.start, e.stop))
    header = [c for c in COLUMNS if rate is not None or c not in SECONDS]
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        for event in ordered:
            row = {
                "label": event.label,
                "onset_sample": event.start,
                "offset_sample": event.stop,
                "notated_path": event.recording,
                "annot_path": annot_path,
                "sequence": 0,
                "annotation": annotation_of[event.recording],
            }
            if rate is not None:
                row["onset_s"] = format_float(tics_to_seconds(event.start, rate))
                row["offset_s"] = format_float(tics_to_seconds(event.stop, rate))
            writer.writerow([row[c] for c in header])
    return len(ordered)
