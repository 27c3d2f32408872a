"""Raven selection tables: tab-separated text with a header row, times in seconds.

Reading takes the columns ``Begin Time (s)`` and ``End Time (s)`` (required), ``Low Freq (Hz)``
and ``High Freq (Hz)`` (optional), the label from the first of :data:`LABEL_COLUMNS` present,
and ``Score`` if there is one; other columns are ignored. Raven repeats a selection once per
view (``Waveform 1``, ``Spectrogram 1``); rows sharing a ``Selection`` number but not a ``View``
are read once. When a table spans several files (``Begin File`` and ``File Offset (s)``
columns), times are taken relative to each row's own file.

Writing produces the columns Raven itself exports (``Selection``, ``View``, ``Channel``, times,
frequencies, ``Annotation``, plus ``Score`` when events have scores). An event without
frequency bounds is written as Raven draws a selection made in the waveform view: from 0 Hz
to the Nyquist frequency (half the sample rate).

The parsing is hand-written rather than crowsetta's ``Raven.from_file``: that goes through
``pandas.read_csv``, which turns labels such as ``NA`` or ``null`` into missing values and
strips quotes, accepts only ``.txt`` names (so it cannot write to a temporary file for an
atomic replace), and reports no line numbers. The tests check that crowsetta reads the
tables hark writes, and that hark reads crowsetta's example table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from hark.annotations.event import Event, Kind
from hark.annotations.selection import check_kind, single_recording
from hark.annotations.textfile import first_text_line, read_text_lines
from hark.annotations.timebase import check_samplerate, format_float, seconds_to_tics, tics_to_seconds
from hark.errors import FileFormatError, HarkError
from hark.fileio import atomic_write_text

BEGIN, END = "Begin Time (s)", "End Time (s)"
LOW, HIGH = "Low Freq (Hz)", "High Freq (Hz)"
BEGIN_FILE, FILE_OFFSET = "Begin File", "File Offset (s)"
SCORE = "Score"
LABEL_COLUMNS = ("Annotation", "Label", "Species", "Class", "Call Type", "Type")
WRITTEN_COLUMNS = ("Selection", "View", "Channel", BEGIN, END, LOW, HIGH, "Annotation")


def looks_like_raven(header_line: str) -> bool:
    """Whether a table's first line is a Raven header (tab-separated, with ``Begin Time (s)``)."""
    return BEGIN in (cell.strip() for cell in header_line.split("\t"))


def read_raven(
    path: str | Path,
    samplerate: float,
    recording: str | None = None,
    *,
    kind: Kind | str = Kind.ANNOTATED,
    label_column: str | None = None,
    allow_empty: bool = False,
) -> list[Event]:
    """The selections of a Raven table as events, times rounded to the nearest sample.

    ``recording`` names the recording of every event; if None, each row's ``Begin File`` is
    used, and a table without that column is an error.
    """
    path = Path(path)
    rate = check_samplerate(samplerate)
    kind = check_kind(kind)
    lines = read_text_lines(path)
    first = first_text_line(lines)
    if first is None:
        raise FileFormatError(path, "file is empty (no header and no selections)")
    header_number, header_line = first
    header = [cell.strip() for cell in header_line.split("\t")]
    columns = {name: index for index, name in reversed(list(enumerate(header)))}
    missing = [name for name in (BEGIN, END) if name not in columns]
    if missing:
        raise FileFormatError(path, f"not a Raven selection table: no {' or '.join(repr(m) for m in missing)} column", line=header_number)
    label_column = label_column or next((c for c in LABEL_COLUMNS if c in columns), None)
    if label_column not in columns:
        looked_for = repr(label_column) if label_column else "one of " + ", ".join(LABEL_COLUMNS)
        raise FileFormatError(path, f"no label column (looked for {looked_for}; the columns are {', '.join(header)})", line=header_number)
    if recording is None and BEGIN_FILE not in columns:
        raise HarkError(f"{path}: cannot tell which recording the table annotates (it has no {BEGIN_FILE!r} column); name the recording")

    events: list[Event] = []
    seen_selections: dict[str, tuple[int, str]] = {}  # Selection -> (index in events, its View)
    for number, line in enumerate(lines[header_number:], start=header_number + 1):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) > len(header):
            raise FileFormatError(path, f"wrong number of columns ({len(cells)}; the header has {len(header)})", line=number)
        # Spreadsheets drop empty cells at the end of a row; read them as empty.
        cells += [""] * (len(header) - len(cells))
        cell = _cell_reader(cells, columns)
        event = _row_event(path, number, cell, rate, recording, kind, label_column)
        selection, view = cell("Selection"), cell("View")
        if selection in seen_selections and seen_selections[selection][1] != view:
            # The same selection in another view: keep one row, preferring the spectrogram's,
            # whose frequency bounds are the ones drawn by the annotator.
            if view.startswith("Spectrogram"):
                events[seen_selections[selection][0]] = event
            continue
        if selection:
            seen_selections.setdefault(selection, (len(events), view))
        events.append(event)
    if not events and not allow_empty:
        raise FileFormatError(path, "no selections (the table has only a header)")
    return events


def _cell_reader(cells: list[str], columns: dict[str, int]) -> Callable[[str], str]:
    """``cell(name)``: the row's stripped text in column ``name``, empty if there is no such column."""

    def cell(name: str) -> str:
        return cells[columns[name]].strip() if name in columns else ""

    return cell


def _row_event(
    path: Path,
    number: int,
    cell: Callable[[str], str],
    rate: float,
    recording: str | None,
    kind: Kind,
    label_column: str,
) -> Event:
    """Row ``number`` as an Event; ``cell(name)`` is its text in column ``name``."""

    def number_in(name: str, required: bool) -> float | None:
        text = cell(name)
        if not text:
            if required:
                raise FileFormatError(path, f"{name} is empty", line=number)
            return None
        try:
            return float(text)
        except ValueError:
            raise FileFormatError(path, f"{name} {text!r} is not a number", line=number) from None

    begin, end = number_in(BEGIN, True), number_in(END, True)
    offset = number_in(FILE_OFFSET, False) if cell(BEGIN_FILE) else None
    if offset is not None:
        begin, end = offset, offset + (end - begin)
    try:
        return Event(
            recording=recording or cell(BEGIN_FILE),
            start=seconds_to_tics(begin, rate),
            stop=seconds_to_tics(end, rate),
            kind=kind,
            label=cell(label_column),
            low_hz=number_in(LOW, False),
            high_hz=number_in(HIGH, False),
            score=number_in(SCORE, False),
        )
    except ValueError as err:
        raise FileFormatError(path, str(err), line=number) from None


def write_raven(path: str | Path, events: Iterable[Event], samplerate: float) -> int:
    """Write ``events`` (all of one recording) as a Raven selection table; returns the row count."""
    rate = check_samplerate(samplerate)
    events = list(events)
    single_recording(events, "a Raven table")
    with_score = any(e.score is not None for e in events)
    header = list(WRITTEN_COLUMNS) + ([SCORE] if with_score else [])
    nyquist = rate / 2
    lines = ["\t".join(header)]
    for selection, event in enumerate(events, start=1):
        low = 0.0 if event.low_hz is None else event.low_hz
        high = max(nyquist, low) if event.high_hz is None else event.high_hz
        cells = [
            str(selection),
            "Spectrogram 1",
            "1",
            format_float(tics_to_seconds(event.start, rate)),
            format_float(tics_to_seconds(event.stop, rate)),
            format_float(low),
            format_float(high),
            event.label,
        ]
        if with_score:
            cells.append("" if event.score is None else format_float(event.score))
        lines.append("\t".join(cells))
    atomic_write_text(path, "\n".join(lines) + "\n")
    return len(events)
