"""The on-disk form of a recording's probabilities, written in pieces and read back in slices.

For a recording ``song.wav`` classified into ``DIR``::

    DIR/song.wav-probabilities.npy    float32, shape (frames, outputs): a plain NumPy array
    DIR/song.wav-probabilities.json   what the rows and columns mean (ProbabilitiesMeta)

Row ``j`` describes the time ``(offset + j * stride) / samplerate`` seconds, ``offset`` being
the model's ``context // 2``; a clip model writes a single row for the whole recording.
The array is written into a memory map at a temporary path and renamed when complete, then
the JSON is written: a ``.json`` therefore always describes a complete ``.npy``. Readers map
the file and copy only the slice asked for, so an hour at 250 kHz is read a second at a time.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hark import __version__
from hark.errors import HarkError
from hark.fileio import atomic_path, atomic_write_text

FORMAT = "hark-probabilities-1"
ARRAY_SUFFIX = "-probabilities.npy"
META_SUFFIX = "-probabilities.json"


@dataclass(frozen=True)
class ProbabilitiesMeta:
    """What ``<rec>-probabilities.npy`` holds and where it came from."""

    recording: str  # the recording's file name, as CSVs name it
    output_names: list[str]
    samplerate: int
    stride: int  # samples between rows (frame models)
    offset: int  # the sample the first row describes: context // 2
    context: int
    frames: int  # rows
    recording_samples: int
    kind: str = "frame"  # "clip": one row for the whole recording
    overlapped: bool = False
    model: str = ""  # the model folder
    checkpoint_step: int = 0
    config_digest: str = ""  # the model configuration's fingerprint (hark.infer.engines.config_digest)
    engine: str = ""
    priors: dict[str, float] | None = None
    hark_version: str = __version__
    format: str = FORMAT
    extra: dict[str, Any] = field(default_factory=dict)

    def times(self, first: int = 0, stop: int | None = None) -> np.ndarray:
        """Seconds described by rows ``[first, stop)``."""
        stop = self.frames if stop is None else stop
        if self.kind == "clip":
            return np.zeros(stop - first)
        return (self.offset + self.stride * np.arange(first, stop, dtype=np.float64)) / self.samplerate

    def rows_between(self, start_s: float | None, stop_s: float | None) -> tuple[int, int]:
        """Rows whose time lies in ``[start_s, stop_s)`` (all rows of a clip model)."""
        if self.kind == "clip":
            return 0, self.frames

        def first_row_at_or_after(seconds: float | None, default: int) -> int:
            if seconds is None:
                return default
            # a hair of tolerance so that a time given as exactly a row's time selects that row
            row = math.ceil((seconds * self.samplerate - self.offset) / self.stride - 1e-9)
            return min(max(row, 0), self.frames)

        first = first_row_at_or_after(start_s, 0)
        return first, max(first, first_row_at_or_after(stop_s, self.frames))


def probabilities_paths(recording: str | Path, folder: str | Path) -> tuple[Path, Path]:
    """``(array, meta)`` paths of ``recording``'s probabilities in ``folder``."""
    name = Path(recording).name
    return Path(folder) / f"{name}{ARRAY_SUFFIX}", Path(folder) / f"{name}{META_SUFFIX}"


@contextmanager
def probabilities_writer(path: Path, meta: ProbabilitiesMeta) -> Iterator[Callable[[int, np.ndarray], None]]:
    """A function ``write(first_row, rows)`` filling the array piece by piece.

    The rows go into a memory map at a temporary path (memory stays bounded however long the
    recording); when the body ends, it becomes ``path`` and the JSON follows. If the body
    raises, nothing is left behind and earlier files at ``path`` stay as they were.
    """
    shape = (meta.frames, len(meta.output_names))
    meta_path = path.with_name(path.name[: -len(ARRAY_SUFFIX)] + META_SUFFIX)
    with atomic_path(path) as tmp:
        if meta.frames == 0:
            with open(tmp, "wb") as f:  # a file object: np.save would append ".npy" to a path
                np.save(f, np.zeros(shape, np.float32))  # mmap cannot map an empty file

            def write(first_row: int, rows: np.ndarray) -> None:
                if len(rows):
                    raise IndexError(f"rows {first_row}.. beyond the {meta.frames} of {path.name}")

            yield write
        else:
            array = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=shape)

            def write(first_row: int, rows: np.ndarray) -> None:
                if first_row + len(rows) > meta.frames:
                    raise IndexError(f"rows {first_row}..{first_row + len(rows)} beyond the {meta.frames} of {path.name}")
                array[first_row : first_row + len(rows)] = rows

            try:
                yield write
                array.flush()
            finally:
                del array
    atomic_write_text(meta_path, json.dumps(asdict(meta), indent=1) + "\n")


def _locate(recording: str | Path, folder: str | Path | None) -> tuple[Path, Path, str]:
    """The array and meta paths meant by a recording (path or name) or by either file's path."""
    text = str(recording)
    for suffix in (ARRAY_SUFFIX, META_SUFFIX):
        if text.endswith(suffix):
            given = Path(text)
            name = given.name[: -len(suffix)]
            array, meta = probabilities_paths(name, given.parent if folder is None else folder)
            return array, meta, name
    if folder is None:
        raise HarkError(f"{recording}: which folder holds its probabilities? (give the folder classify wrote to)")
    name = Path(recording).name
    array, meta = probabilities_paths(name, folder)
    return array, meta, name


def read_meta(recording: str | Path, folder: str | Path | None = None) -> tuple[ProbabilitiesMeta, Path]:
    """The description of ``recording``'s probabilities and the array's path; missing ones are a HarkError."""
    array_path, meta_path, name = _locate(recording, folder)
    if not meta_path.is_file() or not array_path.is_file():
        where = meta_path.parent
        raise HarkError(f"{where}: no probabilities for {name}; run hark classify --model MODEL --out {where} {name} first")
    try:
        values = json.loads(meta_path.read_text(encoding="utf-8"))
        if values.get("format") != FORMAT:
            raise ValueError("format")
        meta = ProbabilitiesMeta(**values)
    except (ValueError, TypeError):
        raise HarkError(f"{meta_path}: not a hark probabilities description; run hark classify again") from None
    return meta, array_path


def open_probabilities(recording: str | Path, folder: str | Path | None = None) -> tuple[np.ndarray, ProbabilitiesMeta]:
    """The whole array, memory-mapped (nothing is read until it is indexed), and its meta."""
    meta, array_path = read_meta(recording, folder)
    try:
        array = np.load(array_path, mmap_mode="r" if meta.frames else None)
    except (ValueError, OSError) as err:
        raise HarkError(f"{array_path}: unreadable ({str(err)[:120]}); run hark classify again") from None
    expected = (meta.frames, len(meta.output_names))
    if array.shape != expected or array.dtype != np.float32:
        raise HarkError(f"{array_path}: holds {array.dtype}{array.shape}, its description says float32{expected}; run hark classify again")
    return array, meta


def read_probabilities(
    recording: str | Path,
    folder: str | Path | None = None,
    start_s: float | None = None,
    stop_s: float | None = None,
) -> tuple[np.ndarray, np.ndarray, ProbabilitiesMeta]:
    """``(times_s, probabilities, meta)`` of the rows describing ``[start_s, stop_s)``, reading only those.

    ``recording`` is a recording's path or file name (its probabilities are looked for in
    ``folder``) or the path of a ``-probabilities.npy``/``.json`` itself.
    """
    array, meta = open_probabilities(recording, folder)
    first, stop = meta.rows_between(start_s, stop_s)
    return meta.times(first, stop), np.array(array[first:stop]), meta
