"""A data folder's label list, kept in ``DATA_DIR/hark-labels.csv``: stable order, colours and keys.

The file is a small CSV a person may edit by hand (a spreadsheet or a text editor)::

    label,color
    mel-pulse,#1f77b4
    mel-sine,#ff7f0e
    ambient,#2ca02c

One row per label, in the order the labels were created; ``color`` is ``#rrggbb`` (an empty
cell gets the palette's colour for that row, written back at the next change). A label's
place in the file gives its key: the first ten take ``1``-``9`` and ``0``, the next ten
``shift+1``-``shift+0`` (the second bank); later ones have no key. New labels are appended, so
adding one never renumbers or recolours another.

When the file does not exist yet it is made from the folder's existing labels, sorted (so two
people opening the same folder get the same keys). Every write re-reads the file first (another
window or a person may have changed it) and replaces it atomically.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from hark.annotations.event import label_problem
from hark.errors import FileFormatError, HarkError, excerpt
from hark.fileio import atomic_write_text

LABELS_FILE = "hark-labels.csv"
HEADER = "label,color"
# d3's category20, dark shades first: twenty colours a person can tell apart, red kept for last
# among the first ten because the GUI outlines the event under review in red
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#d62728",
    "#aec7e8", "#ffbb78", "#98df8a", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5", "#ff9896",
)  # fmt: skip
BANK_KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0")
KEYS = BANK_KEYS + tuple(f"shift+{key}" for key in BANK_KEYS)
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def key_of_place(index: int) -> str | None:
    """The key of the label at ``index`` (0-based) in the list: ``1``..``9``, ``0``, then ``shift+1``..``shift+0``."""
    return KEYS[index] if 0 <= index < len(KEYS) else None


def place_of_key(key: str) -> int | None:
    """The 0-based place of the label a key chooses, or None when the key chooses none."""
    return KEYS.index(key) if key in KEYS else None


@dataclass(frozen=True)
class LabelEntry:
    label: str
    color: str


class LabelList:
    """The labels of one data folder, in order of creation, each with a colour and (for the first 20) a key."""

    def __init__(self, path: Path | None, entries: tuple[LabelEntry, ...] = ()):
        self.path = path  # None: kept in memory only (the file cannot be used), never written
        self.entries = entries

    @classmethod
    def open(cls, folder: str | Path, existing: Iterable[str] = ()) -> LabelList:
        """The folder's list; made from ``existing`` (sorted) and written when the file does not exist yet."""
        path = Path(folder) / LABELS_FILE
        if path.exists():
            return cls(path, read_label_file(path))
        labels = sorted({label for label in existing if not label_problem(label)})
        made = cls(path, tuple(LabelEntry(label, PALETTE[i % len(PALETTE)]) for i, label in enumerate(labels)))
        made._write()
        return made

    # -- reading ---------------------------------------------------------------------------

    @property
    def labels(self) -> list[str]:
        return [entry.label for entry in self.entries]

    def __contains__(self, label: object) -> bool:
        return any(entry.label == label for entry in self.entries)

    def color(self, label: str) -> str | None:
        return next((entry.color for entry in self.entries if entry.label == label), None)

    def key(self, label: str) -> str | None:
        """The key that chooses ``label`` (``1``, ..., ``0``, ``shift+1``, ...), or None."""
        index = next((i for i, entry in enumerate(self.entries) if entry.label == label), None)
        return None if index is None else key_of_place(index)

    def label_of_key(self, key: str) -> str | None:
        place = place_of_key(key)
        return self.entries[place].label if place is not None and place < len(self.entries) else None

    def reload(self) -> bool:
        """Read the file again (another window or a person may have changed it); True when it changed."""
        if self.path is None or not self.path.exists():
            return False
        entries = read_label_file(self.path)
        changed = entries != self.entries
        self.entries = entries
        return changed

    # -- changing --------------------------------------------------------------------------

    def add(self, labels: Iterable[str]) -> list[str]:
        """Append the labels not in the list yet (in the order given), each with the next palette colour; saved.

        Returns the labels added. A label that cannot be stored in an annotation CSV is a HarkError.
        """
        for label in labels:
            problem = label_problem(label)
            if problem:
                raise HarkError(f"cannot add that label: {problem}")
        self.reload()  # on top of what another window added meanwhile
        known = set(self.labels)
        new = []
        for label in labels:
            if label not in known:
                known.add(label)
                new.append(label)
        if new:
            start = len(self.entries)
            self.entries = self.entries + tuple(LabelEntry(label, PALETTE[(start + i) % len(PALETTE)]) for i, label in enumerate(new))
            self._write()
        return new

    def _write(self) -> None:
        if self.path is None:
            return
        lines = [HEADER] + [f"{entry.label},{entry.color}" for entry in self.entries]
        atomic_write_text(self.path, "\n".join(lines) + "\n")


def read_label_file(path: Path) -> tuple[LabelEntry, ...]:
    """The entries of a labels file; a malformed one is a one-line ``file:line: reason`` error."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise FileFormatError(path, "is not UTF-8 text") from None
    except OSError as err:
        raise FileFormatError(path, f"cannot be read ({err.strerror or err})") from None
    entries: list[LabelEntry] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or (number == 1 and line.replace(" ", "").lower() == HEADER):
            continue
        cells = [cell.strip() for cell in line.split(",")]
        if len(cells) > 2:
            raise FileFormatError(path, f"{len(cells)} cells; expected label,color (a label may not contain a comma)", number)
        label, color = cells[0], (cells[1] if len(cells) == 2 else "")
        problem = label_problem(label)
        if problem:
            raise FileFormatError(path, problem, number)
        if label in seen:
            raise FileFormatError(path, f"label {excerpt(label)} is listed twice", number)
        if color and not _COLOR.fullmatch(color):
            raise FileFormatError(path, f"colour {excerpt(color)} is not #rrggbb", number)
        seen.add(label)
        entries.append(LabelEntry(label, color.lower() or PALETTE[len(entries) % len(PALETTE)]))
    return tuple(entries)
