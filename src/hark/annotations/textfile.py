"""Reading annotation text files with one-line errors that name the file (and line)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from hark.errors import FileFormatError, HarkError

_LINE_END = re.compile(r"\r\n|\r|\n")


def check_input_file(path: str | Path) -> Path:
    """``path`` as a Path, or a one-line HarkError if it is missing or a folder."""
    path = Path(path)
    if not path.exists():
        raise HarkError(f"{path}: no such file")
    if path.is_dir():
        raise HarkError(f"{path}: is a folder, not a file")
    return path


def read_text_lines(path: str | Path) -> list[str]:
    """The lines of a UTF-8 text file, without their line endings (``\\n``, ``\\r\\n`` or a bare ``\\r``).

    Lines are split on ``\\n``, ``\\r\\n`` and ``\\r`` (old Mac files end lines with ``\\r``
    alone) but not on what ``str.splitlines`` also splits on (form feeds, Unicode separators),
    so that line numbers agree with text editors. A byte-order mark, as spreadsheet programs
    write, is dropped.
    """
    path = check_input_file(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise HarkError(f"{path}: cannot read ({err.strerror or err})") from None
    if b"\x00" in data:
        raise FileFormatError(path, "not a text file (it holds NUL bytes)", line=data[: data.index(b"\x00")].count(b"\n") + 1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise FileFormatError(path, "not UTF-8 text; save the file as UTF-8", line=line) from None
    return _LINE_END.split(text)


def first_text_line(lines: list[str]) -> tuple[int, str] | None:
    """(line number, text) of the first line that is not blank, or None."""
    for number, line in enumerate(lines, start=1):
        if line.strip():
            return number, line
    return None


def csv_cells(line: str, delimiter: str = ",") -> list[str]:
    """The cells of one CSV line, unquoted and stripped; ValueError if it is not one (a cell over csv's 128 KB limit)."""
    try:
        return [cell.strip() for cell in next(csv.reader([line], delimiter=delimiter))]
    except csv.Error as err:
        raise ValueError(f"not a CSV row ({err})") from None
    except StopIteration:
        return []
