"""The data folder the GUI serves, and the one check every path from a browser goes through.

Nothing outside the data folder may be read or written through the GUI: every path a page
sends (a recording to open, a form's input or output folder, a file-browser click, a
cluster map) is resolved by :meth:`DataFolder.resolve`, which follows ``..`` and symbolic
links before checking, so neither ``../../etc/passwd`` nor a link pointing out escapes.
Paths inside parameter models (a checkpoint given as a ``.pt`` file, transfer learning's
model folders) go through the same check (:func:`confine_nested_paths`), and so does every
annotation file the page reads (:meth:`DataFolder.readable`).

The one exception, asked for by ``hark gui --follow-symlinks``: a *recording* that is a
symbolic link to outside the folder may be opened (:meth:`DataFolder.recording`); its
annotation files are still those beside the link, inside the data folder. Without it such a
recording is listed as skipped, with the reason, and the page works on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from hark.errors import HarkError

if TYPE_CHECKING:
    from hark.params import Params

LINK_OUT_HINT = "start hark gui with --follow-symlinks to open such recordings"


@dataclass(frozen=True)
class FolderEntry:
    """One line of the file browser: a name inside a folder of the data folder."""

    name: str
    relative: str  # path relative to the data folder, POSIX style
    is_dir: bool


class DataFolder:
    """The folder ``hark gui DATA_DIR`` serves; paths are given relative to it (or absolute inside it)."""

    def __init__(self, root: str | Path, follow_symlinks: bool = False):
        root = Path(root)
        if not root.is_dir():
            raise HarkError(f"{root}: no such folder" if not root.exists() else f"{root}: is a file, not a folder")
        self.root = Path(os.path.realpath(root))
        self.follow_symlinks = follow_symlinks

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

    def recording(self, path: str | Path, *, must_exist: bool = False) -> Path:
        """The path of a recording to open: as :meth:`resolve`, except that with ``follow_symlinks``
        a recording that is itself a link to outside the folder is allowed.

        The path returned is then the link's own (inside the data folder), so that its
        annotation files are looked for, and written, beside the link.
        """
        try:
            return self.resolve(path, must_exist=must_exist, what="recording")
        except HarkError:
            text = "" if path is None else str(path).strip()
            candidate = Path(text) if Path(text).is_absolute() else self.root / text
            link = Path(os.path.normpath(candidate))
            # only the last part may lead out: the folder holding the link must itself be inside
            if not (self.follow_symlinks and link.is_symlink() and "\x00" not in text):
                if link.is_symlink() and self._inside(Path(os.path.realpath(link.parent))):
                    shown = link.relative_to(self.root).as_posix() if self.root in link.parents else text
                    raise HarkError(f"recording {shown!r} is a symbolic link to outside the data folder; skipped ({LINK_OUT_HINT})") from None
                raise
            self.resolve(link.parent, what="recording's folder")
            if must_exist and not link.exists():
                raise HarkError(f"recording {text!r}: a symbolic link to nothing (its target is gone)") from None
            return link

    def readable(self, path: Path, what: str = "annotation file") -> Path:
        """``path`` if it (after following links) lies inside the data folder; else a one-line HarkError that
        names the file but never shows its content."""
        return self.resolve(path, what=what)

    def _inside(self, resolved: Path) -> bool:
        return resolved == self.root or self.root in resolved.parents

    def relative(self, path: str | Path) -> str:
        """``path`` (inside the data folder) relative to it, POSIX style; ``.`` for the folder itself."""
        resolved = self.resolve(path)
        return resolved.relative_to(self.root).as_posix() if resolved != self.root else "."

    def recording_relative(self, path: str | Path) -> str:
        """A recording's path relative to the data folder (a followed link's own path: :meth:`recording`)."""
        return self.recording(path).relative_to(self.root).as_posix()

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


def _is_checkpoint_file(value: Any) -> bool:
    """A checkpoint given as a file (``ckpt-N.pt``, a path), not as a step, ``best`` or ``last``."""
    return isinstance(value, str) and value.strip() not in ("", "best", "last") and not value.strip().isdigit()


def confine_nested_paths(model: Params | BaseModel, folder: DataFolder, where: str) -> BaseModel:
    """``model`` with the paths hidden in it (not a form's declared path fields) made absolute inside
    the data folder: every ``checkpoint`` given as a file, and transfer learning's ``transfer.models``.

    A path outside the folder is a one-line HarkError naming the form's box (``where.field``).
    """
    updates: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        what = f"{where}.{name}"
        if name == "checkpoint" and _is_checkpoint_file(value):
            updates[name] = str(folder.resolve(value, what=what))
        elif name == "models" and where.endswith(".transfer") and isinstance(value, list):
            updates[name] = [str(folder.resolve(v, what=what)) for v in value]
        elif isinstance(value, BaseModel):
            updates[name] = confine_nested_paths(value, folder, what)
    return model.model_copy(update=updates) if updates else model
