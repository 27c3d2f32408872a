"""SongExplorer's annotation CSV: ``wavfile,start,stop,kind,label``, no header, times in samples.

hark's own CSVs may carry three, four or five more columns, ``low_hz,high_hz,score[,status[,channel]]``
(an empty cell is a missing value; ``status`` is ``accepted`` or ``rejected``, a review verdict;
``channel`` the channel of a multi-channel recording the row was found in, written only in the
outputs of one channel among several, docs/channels.md); SongExplorer itself reads only the
first five. Cells are split on commas
without CSV quoting, exactly as SongExplorer's files are written, which is why a label may
not contain a comma: such a row shows up with too many columns.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from hark.annotations.event import Event, Kind
from hark.annotations.naming import parse_annotation_name
from hark.annotations.textfile import read_text_lines
from hark.annotations.timebase import format_number
from hark.errors import FileFormatError, HarkError, excerpt
from hark.fileio import atomic_path

BASE_COLUMNS = ("wavfile", "start", "stop", "kind", "label")
NUMBER_COLUMNS = ("low_hz", "high_hz", "score")
EXTRA_COLUMNS = NUMBER_COLUMNS + ("status", "channel")
_COLUMN_COUNTS = tuple(len(BASE_COLUMNS) + extra for extra in (0, len(NUMBER_COLUMNS), len(NUMBER_COLUMNS) + 1, len(EXTRA_COLUMNS)))
_STATUS_AT, _CHANNEL_AT = len(BASE_COLUMNS) + len(NUMBER_COLUMNS), len(BASE_COLUMNS) + len(NUMBER_COLUMNS) + 1
# SongExplorer's ``mistakes`` writes a sixth column, the label the sound was annotated with,
# after the label it was classified as. Those rows are read with the classified label; the
# annotated one has no place in an Event and is dropped.
_MISTAKES_KINDS = {Kind.MISTAKEN.value, Kind.CORRECT.value}


def read_csv(path: str | Path, allow_empty: bool = False) -> list[Event]:
    """The events of a SongExplorer (or hark) CSV, in file order.

    Any malformed row raises :class:`~hark.errors.FileFormatError` as ``file:line: reason``.
    Blank lines are skipped. A file without rows is an error unless ``allow_empty`` (a
    ``-detected.csv`` of a silent recording is legitimately empty). Events of a
    ``-annotated-<who>.csv`` file get ``<who>`` as their annotator.
    """
    path = Path(path)
    lines = read_text_lines(path)
    name = parse_annotation_name(path.name)
    annotator = name.annotator if name is not None else None
    events = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            events.append(_parse_row(path, number, line, annotator, first=not events))
    if not events and not allow_empty:
        raise FileFormatError(path, "file is empty (no annotation rows)")
    return events


def _parse_row(path: Path, number: int, line: str, annotator: str | None, first: bool) -> Event:
    cells = line.split(",")
    if len(cells) == 6 and cells[3] in _MISTAKES_KINDS:
        cells = cells[:5]
    if len(cells) not in _COLUMN_COUNTS:
        reason = f"wrong number of columns ({len(cells)}; expected 5, or 8, 9 or 10 with low_hz,high_hz,score[,status[,channel]])"
        if len(cells) > len(BASE_COLUMNS):
            reason += " — a label may not contain a comma"
        raise FileFormatError(path, reason, line=number)
    if first and cells[1].strip().lower() == "start":
        raise FileFormatError(path, "looks like a header row; SongExplorer CSVs have none", line=number)
    extras: dict = {}
    for column, cell in zip(NUMBER_COLUMNS, cells[len(BASE_COLUMNS) :]):
        extras[column] = _optional_number(path, number, column, cell)
    if len(cells) > _STATUS_AT:
        extras["status"] = cells[_STATUS_AT].strip() or None
    if len(cells) > _CHANNEL_AT:
        extras["channel"] = cells[_CHANNEL_AT].strip() or None
    wavfile, start, stop, kind, label = cells[: len(BASE_COLUMNS)]
    try:
        return Event(wavfile, start, stop, kind, label, annotator=annotator, **extras)
    except ValueError as err:
        raise FileFormatError(path, str(err), line=number) from None


def _optional_number(path: Path, number: int, column: str, cell: str) -> float | None:
    if not cell.strip():
        return None
    try:
        return float(cell)
    except ValueError:
        raise FileFormatError(path, f"{column} {cell!r} is not a number", line=number) from None


def has_extras(event: Event) -> bool:
    """Whether ``event`` carries something only hark's extra columns can hold."""
    return any(value is not None for value in (event.low_hz, event.high_hz, event.score, event.status, event.channel))


def format_row(event: Event, extras: bool, status: bool = False, channel: bool = False) -> str:
    """One CSV line (with its ``\\n``); ``extras`` adds ``low_hz,high_hz,score``, and ``status`` then
    ``status``, ``channel`` then ``status,channel``."""
    for char in (",", "\n", "\r"):
        if char in event.recording:
            raise HarkError(f"recording name {excerpt(event.recording)} cannot be written to a CSV: it contains {char!r}")
    cells = [event.recording, str(event.start), str(event.stop), event.kind.value, event.label]
    if extras:
        cells += ["" if v is None else format_number(v) for v in (event.low_hz, event.high_hz, event.score)]
        if status or channel:
            cells.append("" if event.status is None else event.status.value)
        if channel:
            cells.append("" if event.channel is None else str(event.channel))
    return ",".join(cells) + "\n"


def write_csv(path: str | Path, events: Iterable[Event], extras: bool | None = None) -> int:
    """Write ``events`` as a SongExplorer CSV, replacing ``path`` atomically; returns the row count.

    ``extras``: True writes hark's extra columns, False SongExplorer's five, None (default)
    the extra columns only if some event has a frequency bound, a score, a status or a channel.
    The ninth column, ``status``, is written only when some event has one (or a channel), so
    files without reviews keep eight columns; the tenth, ``channel``, only when some event has
    one, so every file of a single channel is written as before. Rows are streamed to a
    temporary file, so if ``events`` raises part-way the old ``path`` is left as it was.
    """
    count = 0
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as out:
        events = list(events)
        if extras is None:
            extras = any(has_extras(e) for e in events)
        channel = any(getattr(e, "channel", None) is not None for e in events)
        extras = extras or channel  # the channel column comes after the others
        status = extras and any(e.status is not None for e in events)
        for event in events:
            if not isinstance(event, Event):
                raise TypeError(f"write_csv needs Event objects, got {type(event).__name__}")
            out.write(format_row(event, extras, status, channel))
            count += 1
    return count

