"""Call statistics as files: a CSV per recording and one Excel workbook for them all.

Columns carry their SI unit in their names (``start_s``, ``slope_hz_per_s``); an undefined
statistic is an empty cell. The workbook has a ``calls`` sheet (the CSVs' rows one after
another, recording in a column) and a ``columns`` sheet that says what each column means.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

from hark.annotations.timebase import format_number
from hark.calls.stats import CallStats
from hark.fileio import atomic_path, atomic_write_text

COLUMNS: tuple[tuple[str, str], ...] = (
    ("call", "number of the call in its recording, from 1, in time order"),
    ("recording", "the recording's file name"),
    ("label", "the event's label"),
    ("start_s", "start of the event, seconds from the recording's start"),
    ("duration_s", "length of the event, seconds"),
    ("low_frequency_hz", "lower edge of the call: the event's box, else the contour's lowest frequency"),
    ("high_frequency_hz", "upper edge of the call: the event's box, else the contour's highest frequency"),
    ("frequency_bounds", "where low and high frequency come from: box or contour"),
    ("principal_frequency_hz", "frequency of maximum power: the contour's frequency on its loudest frame"),
    ("start_frequency_hz", "the contour's first frequency"),
    ("end_frequency_hz", "the contour's last frequency"),
    ("slope_hz_per_s", "slope of the least-squares line through the contour, Hz per second"),
    ("sinuosity", "contour path length over the straight distance between its ends (1 ms = 1 kHz); 1 for a straight sweep"),
    ("mean_power_db", "mean power spectral density on the contour, dB re full scale squared per Hz"),
    ("tonality", "mean over contour frames of 1 - Wiener entropy of the band's spectrum: 1 pure tone, ~0.15 white noise"),
    ("contour_frames", "spectrogram frames with enough energy to be part of the contour"),
    ("score", "the event's score (detections), else empty"),
)
HEADER = tuple(name for name, _ in COLUMNS)
_EXACT_COLUMNS = {"start_s", "duration_s", "score"}


def rows_of(stats: Sequence[CallStats]) -> list[list]:
    """One row per call, numbered in time order; None for an undefined value."""
    ordered = sorted(stats, key=lambda s: (s.start_s, s.duration_s))
    rows = []
    for number, call in enumerate(ordered, start=1):
        rows.append(
            [
                number,
                call.recording,
                call.label,
                call.start_s,
                call.duration_s,
                call.low_frequency_hz,
                call.high_frequency_hz,
                call.frequency_bounds,
                call.principal_frequency_hz,
                call.start_frequency_hz,
                call.end_frequency_hz,
                call.slope_hz_per_s,
                call.sinuosity,
                call.mean_power_db,
                call.tonality,
                call.contour_frames,
                call.score,
            ]
        )
    return [[None if isinstance(v, float) and not math.isfinite(v) else v for v in row] for row in rows]


def write_calls_csv(path: str | Path, stats: Sequence[CallStats]) -> int:
    """Write one recording's call statistics with a header row; returns the number of calls."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for row in rows_of(stats):
        writer.writerow([_text(name, value) for name, value in zip(HEADER, row)])
    atomic_write_text(path, buffer.getvalue())
    return len(stats)


def _text(column: str, value) -> str:
    """Times exactly (they are whole samples over the rate); measurements to 7 significant digits."""
    if value is None:
        return ""
    if column in _EXACT_COLUMNS:
        return format_number(value)
    if isinstance(value, float):
        return f"{value:.7g}"
    return str(value)


def write_calls_workbook(path: str | Path, stats_by_recording: Iterable[Sequence[CallStats]]) -> int:
    """Write an .xlsx with every recording's calls on one ``calls`` sheet; returns the number of rows."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "calls"
    sheet.append(list(HEADER))
    count = 0
    for stats in stats_by_recording:
        for row in rows_of(stats):
            sheet.append(row)
            count += 1
    sheet.freeze_panes = "A2"
    for index, name in enumerate(HEADER, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, len(name) + 2)
    legend = book.create_sheet("columns")
    legend.append(["column", "meaning"])
    for name, meaning in COLUMNS:
        legend.append([name, meaning])
    legend.column_dimensions["A"].width = 24
    legend.column_dimensions["B"].width = 100
    with atomic_path(path) as tmp:
        book.save(tmp)
    return count
