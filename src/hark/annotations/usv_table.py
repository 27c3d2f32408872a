"""Two-column tables of call times in seconds, as rodent-USV tools export them.

Each row is one call, ``start_seconds,end_seconds``: the hand-marked ``gt_N.csv`` files of
the amvoc evaluation set, and the DeepSqueak, MUPET, VocalMat and MSA detections of the same
recordings, are all written this way. There is no label, no frequency and no recording name,
so a reader supplies them, and times need the recording's sample rate (they are rounded to
the nearest sample).

Variants read (all seen in real exports):

- cells separated by commas, semicolons or tabs;
- cells in double quotes with a decimal comma, ``"0,0775","0,0811"`` (a spreadsheet saved in
  a locale that writes decimal commas; MSA's tables are like this);
- blank lines, a byte-order mark, ``\\r\\n`` line ends;
- one header row (text cells such as ``start,end``) before the first call.

A row with another number of cells, a cell that is not a number, or an end before its start
is a :class:`~hark.errors.FileFormatError` naming the file and line.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

from hark.annotations.event import Event, Kind
from hark.annotations.selection import check_kind, single_recording
from hark.annotations.textfile import csv_cells, read_text_lines
from hark.annotations.timebase import check_samplerate, format_number, seconds_to_tics, tics_to_seconds
from hark.errors import FileFormatError
from hark.fileio import atomic_write_text

DEFAULT_LABEL = "usv"


def read_usv_table(
    path: str | Path,
    samplerate: float,
    recording: str,
    label: str = DEFAULT_LABEL,
    kind: Kind | str = Kind.ANNOTATED,
    *,
    allow_empty: bool = False,
) -> list[Event]:
    """The calls of a ``start_seconds,end_seconds`` table as events of ``recording``, in file order.

    Every event gets ``label`` and ``kind``. A table without calls is an error unless
    ``allow_empty`` (a detector that found nothing writes an empty table).
    """
    path = Path(path)
    rate = check_samplerate(samplerate)
    kind = check_kind(kind)
    events: list[Event] = []
    seen_row = False
    for number, line in enumerate(read_text_lines(path), start=1):
        if not line.strip():
            continue
        try:
            cells = split_row(line)
        except ValueError as err:
            raise FileFormatError(path, str(err), line=number) from None
        if not seen_row and looks_like_header(cells):
            seen_row = True
            continue
        seen_row = True
        start_s, end_s = _parse_times(path, number, cells)
        try:
            events.append(
                Event(
                    recording=recording,
                    start=seconds_to_tics(start_s, rate),
                    stop=seconds_to_tics(end_s, rate),
                    kind=kind,
                    label=label,
                )
            )
        except ValueError as err:
            raise FileFormatError(path, str(err), line=number) from None
    if not events and not allow_empty:
        raise FileFormatError(path, "file is empty (no start_seconds,end_seconds rows)")
    return events


def split_row(line: str) -> list[str]:
    """The cells of one table line, unquoted and stripped; the separator is a tab, a semicolon or a comma.

    ValueError if the line is no CSV row (a cell over the csv module's 128 KB limit).
    """
    delimiter = "\t" if "\t" in line else ";" if ";" in line else ","
    return csv_cells(line, delimiter)


def parse_seconds(cell: str) -> float:
    """A time in seconds, accepting a decimal comma (``0,0775``); ValueError if it is not a finite number."""
    value = float(cell.replace(",", ".") if cell.count(",") == 1 and "." not in cell else cell)
    if not math.isfinite(value):
        raise ValueError(cell)
    return value


def looks_like_header(cells: list[str]) -> bool:
    """Whether a first row is a header: two cells, neither of them a number."""
    if len(cells) != 2:
        return False
    for cell in cells:
        try:
            parse_seconds(cell)
            return False
        except ValueError:
            pass
    return all(cells)


def looks_like_usv_table(line: str) -> bool:
    """Whether a file's first non-blank line is a row of a two-column seconds table."""
    try:
        cells = split_row(line)
        if len(cells) != 2:
            return False
        parse_seconds(cells[0])
        parse_seconds(cells[1])
    except ValueError:
        return False
    return True


def _parse_times(path: Path, number: int, cells: list[str]) -> tuple[float, float]:
    if len(cells) != 2:
        raise FileFormatError(
            path,
            f"wrong number of columns ({len(cells)}; expected start_seconds,end_seconds — a decimal comma needs the "
            "number in double quotes, or semicolons between the columns)",
            line=number,
        )
    times = []
    for name, cell in zip(("start", "end"), cells):
        try:
            times.append(parse_seconds(cell))
        except ValueError:
            raise FileFormatError(path, f"{name} {cell!r} is not a number of seconds", line=number) from None
    start_s, end_s = times
    if start_s < 0:
        raise FileFormatError(path, f"start {start_s:g} s is negative", line=number)
    if end_s < start_s:
        raise FileFormatError(path, f"end {end_s:g} s is before start {start_s:g} s", line=number)
    return start_s, end_s


def write_usv_table(path: str | Path, events: Iterable[Event], samplerate: float) -> int:
    """Write ``events`` (all of one recording) as ``start_seconds,end_seconds`` rows; returns the row count.

    No header, as the tools write it. Times are written exactly (``n / rate`` with Python's
    shortest round-tripping text), so reading the table back at the same rate gives the same
    samples. Labels, kinds and frequencies have no place in the format.
    """
    rate = check_samplerate(samplerate)
    events = list(events)
    single_recording(events, "a two-column call table")
    lines = [
        f"{format_number(tics_to_seconds(e.start, rate))},{format_number(tics_to_seconds(e.stop, rate))}\n"
        for e in events
    ]
    atomic_write_text(path, "".join(lines))
    return len(events)
