"""Clip-label tables: one row per audio file with its label (``file,label[,split][,group]``).

The form Kaggle, NVIDIA DIGITS and InsectSet32 ship their data in: a CSV (or tab-separated
file) whose header names a ``file`` column (``filename`` too) and a ``label`` column, and
optionally ``split`` (``train`` or ``validation``: the validation split) and ``group`` (files
that must stay on one side of a split, such as one recording cut into clips, or one site).
Other columns are ignored; column names are matched without case.

``file`` is a path relative to the table's folder (or absolute). Names may hold spaces, ``%`` and ``#``;
a name that is no file as written is tried once more URL-decoded (``a%20b%232.wav`` is
``a b#2.wav``), since tables made from web listings often encode their names while the
files on disk keep them plain, and the reverse. Each row becomes one ``annotated`` event
spanning its whole file.

A table is refused, in one line naming its file and row, when a row names a file that is
missing, a file is listed twice, a label is empty or a split value is neither ``train`` nor
``validation``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from hark.annotations.event import Event, Kind, label_problem
from hark.annotations.textfile import first_text_line, read_text_lines
from hark.errors import FileFormatError, excerpt

FILE_COLUMNS = ("file", "filename")
LABEL_COLUMN = "label"
SPLIT_COLUMN = "split"
GROUP_COLUMN = "group"
SPLIT_VALUES = ("train", "validation")
# Columns that make a CSV an event table (times within a file), never a clip table.
_TIME_COLUMNS = {"start", "stop", "onset", "offset", "onset_s", "offset_s", "start_seconds", "end_seconds", "begin time (s)"}


@dataclass(frozen=True)
class ClipRow:
    """One row of a clip table: its file (POSIX, relative to the table's folder, as on disk), label, split and group."""

    file: str
    label: str
    split: str | None
    group: str | None
    line: int


@dataclass(frozen=True)
class ClipTable:
    path: Path
    rows: tuple[ClipRow, ...]

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def labels(self) -> list[str]:
        return sorted({row.label for row in self.rows})

    def validation(self) -> list[str]:
        """The files whose split is ``validation`` (empty when the table has no split column)."""
        return [row.file for row in self.rows if row.split == "validation"]

    def groups(self) -> dict[str, str]:
        """Each file's group, for the files that have one."""
        return {row.file: row.group for row in self.rows if row.group}


def _delimiter(path: Path, header: str) -> str:
    return "\t" if path.suffix.lower() == ".tsv" or "\t" in header else ","


def _header_cells(header: str, delimiter: str) -> list[str]:
    try:
        return [cell.strip().lower() for cell in next(csv.reader([header], delimiter=delimiter))]
    except (csv.Error, StopIteration):
        return []


def looks_like_clip_table(path: Path, lines: list[str] | None) -> bool:
    """Whether the first line is a header with a file and a label column and no time columns."""
    first = first_text_line(lines) if lines is not None else None
    if first is None:
        return False
    cells = set(_header_cells(first[1], _delimiter(path, first[1])))
    return bool(cells & set(FILE_COLUMNS)) and LABEL_COLUMN in cells and not cells & _TIME_COLUMNS


def read_clip_table(path: str | Path) -> ClipTable:
    """The rows of the clip table at ``path``, checked (see the module's docstring); FileFormatError if bad."""
    path = Path(path)
    lines = read_text_lines(path)
    first = first_text_line(lines)
    if first is None:
        raise FileFormatError(path, "file is empty (expected a header file,label[,split][,group])")
    header_line, header = first
    delimiter = _delimiter(path, header)
    names = _header_cells(header, delimiter)
    file_column = next((names.index(c) for c in FILE_COLUMNS if c in names), None)
    if file_column is None or LABEL_COLUMN not in names:
        raise FileFormatError(path, f"a clip table's header needs file and label columns; it has {excerpt(','.join(names))}", line=header_line)
    label_column = names.index(LABEL_COLUMN)
    split_column = names.index(SPLIT_COLUMN) if SPLIT_COLUMN in names else None
    group_column = names.index(GROUP_COLUMN) if GROUP_COLUMN in names else None
    text = "\n".join(lines[header_line:])
    rows: list[ClipRow] = []
    first_line_of: dict[str, int] = {}
    try:
        records = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as err:
        raise FileFormatError(path, f"not a CSV table ({err})") from None
    for number, cells in enumerate(records, start=header_line + 1):
        if not any(cell.strip() for cell in cells):
            continue
        cells = [cell.strip() for cell in cells] + [""] * len(names)

        if not cells[file_column]:
            raise FileFormatError(path, "the file column is empty", line=number)
        label = cells[label_column]
        problem = label_problem(label)
        if problem:
            raise FileFormatError(path, f"{problem} (of file {excerpt(cells[file_column])})", line=number)
        split = cells[split_column].lower() if split_column is not None else None
        if split_column is not None and split not in SPLIT_VALUES:
            raise FileFormatError(
                path, f"split {excerpt(cells[split_column])} is neither train nor validation (leave other rows out of the table)", line=number
            )
        file = _resolve(path, cells[file_column], number)
        if file in first_line_of:
            raise FileFormatError(path, f"{file} is listed twice (first on line {first_line_of[file]})", line=number)
        first_line_of[file] = number
        group = cells[group_column] if group_column is not None else None
        rows.append(ClipRow(file, label, split, group or None, number))
    if not rows:
        raise FileFormatError(path, "the table lists no files")
    return ClipTable(path, tuple(rows))


def _resolve(table: Path, name: str, line: int) -> str:
    """``name`` as the file on disk is called, relative to the table's folder: as written, else URL-decoded."""
    written = PurePosixPath(name.replace("\\", "/"))
    for candidate in dict.fromkeys((written.as_posix(), unquote(written.as_posix()))):
        if (table.parent / candidate).is_file():
            return candidate
    decoded = unquote(name)
    also = f" (nor {excerpt(decoded)})" if decoded != name else ""
    raise FileFormatError(table, f"no such file {excerpt(name)}{also} in {table.parent}", line=line)


def clip_events(table: ClipTable, frames_of: dict[str, int]) -> list[Event]:
    """One ``annotated`` event per row over its whole file (``frames_of``: each file's length in samples)."""
    return [Event(row.file, 0, frames_of[row.file], Kind.ANNOTATED, row.label) for row in table.rows if row.file in frames_of]
