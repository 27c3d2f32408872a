"""Errors that report a user's mistake as one line, never a traceback."""

from __future__ import annotations

from pathlib import Path


class HarkError(Exception):
    """A problem with the user's input or environment.

    The command line prints ``str(error)`` as a single line and exits non-zero; anything
    that is not a HarkError is a bug in hark and keeps its traceback.
    """


class FileFormatError(HarkError):
    """A file that hark cannot read, with the place of the problem: ``file[:line]: reason``."""

    def __init__(self, path: str | Path, reason: str, line: int | None = None):
        self.path = Path(path)
        self.reason = reason
        self.line = line
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {reason}")
