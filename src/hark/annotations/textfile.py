"""Reading annotation text files with one-line errors that name the file (and line)."""

from __future__ import annotations

from pathlib import Path

from hark.errors import FileFormatError, HarkError


def check_input_file(path: str | Path) -> Path:
    """``path`` as a Path, or a one-line HarkError if it is missing or a folder."""
    path = Path(path)
    if not path.exists():
        raise HarkError(f"{path}: no such file")
    if path.is_dir():
        raise HarkError(f"{path}: is a folder, not a file")
    return path


def read_text_lines(path: str | Path) -> list[str]:
    """The lines of a UTF-8 text file, without their line endings (``\\n`` or ``\\r\\n``).

    Lines are split on ``\\n`` only (not ``str.splitlines``, which also splits on form
    feeds and Unicode separators) so that line numbers agree with every text editor.
    A byte-order mark, as spreadsheet programs write, is dropped.
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
    return [line.removesuffix("\r") for line in text.split("\n")]


def first_text_line(lines: list[str]) -> tuple[int, str] | None:
    """(line number, text) of the first line that is not blank, or None."""
    for number, line in enumerate(lines, start=1):
        if line.strip():
            return number, line
    return None
