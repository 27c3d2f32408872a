"""Audacity label tracks, exported as text: one ``start<TAB>end<TAB>label`` line per label.

A label with a spectral selection is followed by a frequency line ``\\<TAB>low<TAB>high`` (Hz).
Audacity writes that line only for labels that have a frequency range, and writes -1 for a
bound it does not know, so one track can mix both kinds of label; hark reads any negative
bound as unknown. Times are seconds; hark rounds them to the nearest sample.

The parsing is hand-written rather than crowsetta's: ``AudBBox`` needs a frequency line
after every label, so it cannot read a mixed track, and ``AudSeq`` reads through
``pandas.read_csv``, which turns labels such as ``NA`` into missing values; neither reports
line numbers. The tests check that crowsetta reads the tracks hark writes and the reverse.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from hark.annotations.event import Event, Kind
from hark.annotations.selection import check_kind, single_recording
from hark.annotations.textfile import first_text_line, read_text_lines
from hark.annotations.timebase import check_samplerate, format_float, seconds_to_tics, tics_to_seconds
from hark.errors import FileFormatError
from hark.fileio import atomic_write_text

FREQUENCY_MARK = "\\"
UNKNOWN_FREQUENCY = -1.0  # Audacity's own marker of an undefined bound


def looks_like_audacity(line: str) -> bool:
    """Whether a text line is an Audacity label line (a number, a tab, a number)."""
    cells = line.split("\t")
    if len(cells) < 2:
        return False
    try:
        float(cells[0])
        float(cells[1])
    except ValueError:
        return False
    return True


@dataclass
class _Label:
    line: int
    start_s: float
    stop_s: float
    text: str
    low_hz: float | None = None
    high_hz: float | None = None
    has_frequency_line: bool = False


def read_audacity(
    path: str | Path,
    samplerate: float,
    recording: str,
    *,
    kind: Kind | str = Kind.ANNOTATED,
    allow_empty: bool = False,
) -> list[Event]:
    """The labels of an Audacity track (plain, spectral or mixed) as events of ``recording``.

    Labels keep their text without leading and trailing spaces, which Audacity does not show.
    """
    path = Path(path)
    rate = check_samplerate(samplerate)
    kind = check_kind(kind)
    lines = read_text_lines(path)
    labels: list[_Label] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        cells = line.split("\t")
        if cells[0] == FREQUENCY_MARK:
            _add_frequencies(path, number, cells, labels)
        else:
            labels.append(_parse_label_line(path, number, cells))
    if not labels and not allow_empty:
        raise FileFormatError(path, "file is empty (no labels)")
    events = []
    for label in labels:
        try:
            events.append(
                Event(
                    recording=recording,
                    start=seconds_to_tics(label.start_s, rate),
                    stop=seconds_to_tics(label.stop_s, rate),
                    kind=kind,
                    label=label.text,
                    low_hz=label.low_hz,
                    high_hz=label.high_hz,
                )
            )
        except ValueError as err:
            raise FileFormatError(path, str(err), line=label.line) from None
    return events


def _parse_label_line(path: Path, number: int, cells: list[str]) -> _Label:
    # Audacity always writes three cells (the third empty for a label without text); a
    # fourth means the label text held a tab.
    if len(cells) not in (2, 3):
        raise FileFormatError(path, f"wrong number of columns ({len(cells)}; expected start, end and label separated by tabs)", line=number)
    try:
        start, stop = float(cells[0]), float(cells[1])
    except ValueError:
        raise FileFormatError(path, f"not an Audacity label line: start {cells[0]!r} and end {cells[1]!r} must be seconds", line=number) from None
    return _Label(number, start, stop, cells[2].strip() if len(cells) == 3 else "")


def _add_frequencies(path: Path, number: int, cells: list[str], labels: list[_Label]) -> None:
    if not labels or labels[-1].has_frequency_line:
        raise FileFormatError(path, "frequency line (starting with '\\') without a label line before it", line=number)
    if len(cells) != 3:
        raise FileFormatError(path, f"wrong number of columns in frequency line ({len(cells)}; expected \\, low and high Hz)", line=number)
    try:
        low, high = float(cells[1]), float(cells[2])
    except ValueError:
        raise FileFormatError(path, f"frequencies {cells[1]!r} and {cells[2]!r} must be numbers of Hz", line=number) from None
    if 0 <= high < low:  # checked here, not by Event, so that the error names this line
        raise FileFormatError(path, f"low frequency {low:g} Hz is above high frequency {high:g} Hz", line=number)
    label = labels[-1]
    label.has_frequency_line = True
    label.low_hz = None if low < 0 else low
    label.high_hz = None if high < 0 else high


def is_audacity_track(lines: list[str]) -> bool:
    """Whether the first non-blank line of a text is an Audacity label line."""
    first = first_text_line(lines)
    return first is not None and looks_like_audacity(first[1])


def write_audacity(path: str | Path, events: Iterable[Event], samplerate: float) -> int:
    """Write ``events`` (all of one recording) as an Audacity label track; returns the label count.

    Events with a frequency bound get a frequency line (-1 for an unknown bound), the others
    none, as Audacity itself writes. Kinds and scores have no place in the format.
    """
    rate = check_samplerate(samplerate)
    events = list(events)
    single_recording(events, "an Audacity label track")
    lines = []
    for event in events:
        start = format_float(tics_to_seconds(event.start, rate))
        stop = format_float(tics_to_seconds(event.stop, rate))
        lines.append(f"{start}\t{stop}\t{event.label}\n")
        if event.low_hz is not None or event.high_hz is not None:
            low = UNKNOWN_FREQUENCY if event.low_hz is None else event.low_hz
            high = UNKNOWN_FREQUENCY if event.high_hz is None else event.high_hz
            lines.append(f"{FREQUENCY_MARK}\t{format_float(low)}\t{format_float(high)}\n")
    atomic_write_text(path, "".join(lines))
    return len(events)
