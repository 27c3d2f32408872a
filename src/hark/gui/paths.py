"""The data folder the GUI serves, and the one check every path from a browser goes through.

Nothing outside the data folder may be read or written through the GUI: every path a page
sends (a recording to open, a form's input or output folder, a file-browser click, a
cluster map) is resolved by :meth:`DataFolder.resolve`, which follows ``..`` and symbolic
links before checking, so neither ``../../etc/passwd`` nor a link pointing out escapes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from hark.errors import HarkError


@dataclass(frozen=True)
class FolderEntry:
    """One line of the file browser: a name inside a folder of the data folder."""

    name: str
    relative: str  # path relative to the data folder, POSIX style
    is_dir: bool


class DataFolder:
    """The folder ``hark gui DATA_DIR`` serves; paths are given relative to it (or absolute inside it)."""

    def __init__(self, root: str | Path):
        root = Path(root)
        if not root.is_dir():
            raise HarkError(f"{root}: no such folder" if not root.exists() else f"{root}: is a file, not a folder")
        self.root = Path(os.path.realpath(root))

    def resolve(self, path: str | Path | None, *, must_exist: bool = False, what: str = "path") -> Path:
        """The absolute path of ``path`` (relative to the data folder, or absolute), if inside it.

        Raises a one-line HarkError naming ``what`` when the path leaves the data folder
        (through ``..``, an absolute path or a symbolic link), holds a NUL character, or,
        with ``must_exist``, does not exist.
        """
        text = "" if path is None else str(path).strip()
        if "\x00" in text:
            raise HarkError(f"{what} {text!r}: not a valid path")
        candidate = Path(text) if text else Path(".")
        if not candidate.is_absolute():
            candidate = self.root / candidate
        # realpath follows every symbolic link that exists, and normalises the rest ("a/../b")
        resolved = Path(os.path.realpath(candidate))
        if resolved != self.root and self.root not in resolved.parents:
            raise HarkError(f"{what} {text!r} is outside the data folder {self.root}; only paths inside it can be used")
        if must_exist and not resolved.exists():
            raise HarkError(f"{what} {text!r}: no such file or folder in {self.root}")
        return resolved

    def relative(self, path: str | Path) -> str:
        """``path`` (inside the data folder) relative to it, POSIX style; ``.`` for the folder itself."""
        resolved = self.resolve(path)
        return resolved.relative_to(self.root).as_posix() if resolved != self.root else "."

    def listing(self, folder: str | Path | None = None, show_hidden: bool = False) -> list[FolderEntry]:
        """The entries of ``folder`` (relative to the data folder): folders first, then files, by name."""
        resolved = self.resolve(folder, must_exist=True, what="folder")
        if not resolved.is_dir():
            raise HarkError(f"folder {folder!r}: is a file, not a folder")
        try:
            names = sorted(os.listdir(resolved))
        except OSError as err:
            raise HarkError(f"folder {self.relative(resolved)!r}: cannot list it ({err.strerror or err})") from None
        entries = []
        for name in names:
            if name.startswith(".") and not show_hidden:
                continue
            path = resolved / name
            try:  # a link leading out of the data folder is not shown at all
                relative = self.relative(path)
            except HarkError:
                continue
            entries.append(FolderEntry(name, relative, path.is_dir()))
        return sorted(entries, key=lambda e: (not e.is_dir, e.name.lower()))

    @property
    def settings_dir(self) -> Path:
        """``DATA_DIR/.hark``: where the GUI remembers parameters and keeps job logs."""
        return self.root / ".hark"
