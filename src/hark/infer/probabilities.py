"""The on-disk form of a recording's probabilities, written in pieces and read back in slices.

For a recording ``song.wav`` classified into ``DIR``::

    DIR/song.wav-probabilities.npy    float32, shape (frames, outputs): a plain NumPy array
    DIR/song.wav-probabilities.json   what the rows and columns mean (ProbabilitiesMeta)

Row ``j`` describes the time ``(offset + j * stride) / samplerate`` seconds, ``offset`` being
the model's ``context // 2``; a clip model writes a single row for the whole recording.
The array is written into a memory map at a temporary path; when complete, the JSON (the
manifest) is written beside it, the old JSON removed, the array renamed and the JSON renamed
last: a ``.json`` therefore always describes the complete ``.npy`` beside it, written by the
same run (see :func:`probabilities_writer`). Readers map
the file and copy only the slice asked for, so an hour at 250 kHz is read a second at a time.
"""

from __future__ import annotations

import errno
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hark import __version__
from hark.annotations.naming import parse_annotation_name, split_channel
from hark.errors import HarkError
from hark.fileio import ensure_writable_dir, reporting_disk_full, temporary_prefix

FORMAT = "hark-probabilities-1"
ARRAY_SUFFIX = "-probabilities.npy"
META_SUFFIX = "-probabilities.json"
WINDOWS_SUFFIX = "-windows.csv"  # a clip model's per-window timeline (hark.infer.clip_windows)


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
    temperature: float = 1.0  # the checkpoint's calibration the probabilities were computed with
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
    recording), whose disk space is reserved first so that a full disk is a one-line error, not
    a SIGBUS. When the body ends, the JSON is written to a temporary path too, then the old
    JSON is removed, the array renamed into place and the JSON renamed last: the JSON is the
    manifest, so at every moment the folder holds either the old pair, or an array without a
    description (which readers take for no probabilities), or the new pair; never an array
    described by another run's JSON. If the body raises (or the process is killed), no file
    at ``path`` changes and the temporary files are removed (or swept by the next run).
    """
    shape = (meta.frames, len(meta.output_names))
    meta_path = path.with_name(path.name[: -len(ARRAY_SUFFIX)] + META_SUFFIX)
    folder = path.parent
    ensure_writable_dir(folder)
    needed = array_bytes(meta.frames, len(meta.output_names))
    temporaries: list[Path] = []
    try:
        with reporting_disk_full(folder, needed, path.name):
            array_tmp = _temporary(path, temporaries)
            if meta.frames == 0:
                with open(array_tmp, "wb") as f:  # a file object: np.save would append ".npy" to a path
                    np.save(f, np.zeros(shape, np.float32))  # mmap cannot map an empty file
                yield _rows_writer(None, meta, path)
            else:
                array = np.lib.format.open_memmap(array_tmp, mode="w+", dtype=np.float32, shape=shape)
                try:
                    _reserve(array_tmp)
                    yield _rows_writer(array, meta, path)
                    array.flush()
                finally:
                    del array
            _fsync(array_tmp)
            meta_tmp = _temporary(meta_path, temporaries)
            meta_tmp.write_text(json.dumps(asdict(meta), indent=1) + "\n", encoding="utf-8")
            _fsync(meta_tmp)
        for tmp in temporaries:
            os.chmod(tmp, 0o644)  # mkstemp makes owner-only files
        meta_path.unlink(missing_ok=True)
        os.replace(array_tmp, path)
        os.replace(meta_tmp, meta_path)
    finally:
        for tmp in temporaries:
            tmp.unlink(missing_ok=True)


def array_bytes(frames: int, outputs: int) -> int:
    """Bytes of a probabilities array on disk (float32 rows and the .npy header)."""
    return 4 * frames * outputs + 128


def _temporary(path: Path, made: list[Path]) -> Path:
    fd, name = tempfile.mkstemp(prefix=temporary_prefix(path), suffix=".tmp", dir=path.parent)
    os.close(fd)
    made.append(Path(name))
    return made[-1]


def _reserve(path: Path) -> None:
    """Allocate the whole (sparse) file now: ENOSPC here, rather than SIGBUS in a mapped write."""
    if hasattr(os, "posix_fallocate"):
        fd = os.open(path, os.O_RDWR)
        try:
            os.posix_fallocate(fd, 0, os.fstat(fd).st_size)
        except OSError as err:
            if err.errno in (errno.EOPNOTSUPP, errno.EINVAL):  # a file system that cannot: write as before
                return
            raise
        finally:
            os.close(fd)


def _fsync(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def _rows_writer(array: np.ndarray | None, meta: ProbabilitiesMeta, path: Path) -> Callable[[int, np.ndarray], None]:
    def write(first_row: int, rows: np.ndarray) -> None:
        if first_row + len(rows) > meta.frames:
            raise IndexError(f"rows {first_row}..{first_row + len(rows)} beyond the {meta.frames} of {path.name}")
        if array is not None:
            array[first_row : first_row + len(rows)] = rows

    return write


def outputs_of_other_models(folder: Path, model: str, checkpoint_step: int, config_digest: str) -> list[tuple[Path, ProbabilitiesMeta]]:
    """The descriptions in ``folder`` written by another model, checkpoint or configuration
    (readable ones only: an unreadable one is no model's and is simply replaced)."""
    found = []
    for meta_path in sorted(folder.glob(f"*{META_SUFFIX}")):
        try:
            meta = ProbabilitiesMeta(**json.loads(meta_path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            continue
        if (meta.model, meta.checkpoint_step, meta.config_digest) != (model, checkpoint_step, config_digest):
            found.append((meta_path, meta))
    return found


def move_aside(folder: Path, meta_paths: list[Path], stamp: str) -> Path:
    """Move these descriptions and their arrays into ``folder/oldfiles-<stamp>`` (as SongExplorer
    does); the description goes first, so no array is ever left described by another's JSON.

    The predictions ``hark ethogram`` made from them in the same folder
    (``<rec>-predicted-<ratio>pr.csv``, any ratio) go with them: they are the old model's
    events, and left beside the new probabilities they would pass for the new model's."""
    aside = folder / f"oldfiles-{stamp}"
    aside.mkdir(exist_ok=True)
    for meta_path in meta_paths:
        name = meta_path.name[: -len(META_SUFFIX)]
        array_path = meta_path.with_name(name + ARRAY_SUFFIX)
        timeline = meta_path.with_name(name + WINDOWS_SUFFIX)  # a clip model's windows
        os.replace(meta_path, aside / meta_path.name)
        predicted = [p for p in sorted(folder.glob("*-predicted-*pr.csv")) if _predictions_of(p, name)]
        for path in (array_path, timeline, *predicted):
            if path.exists():
                os.replace(path, aside / path.name)
    return aside


def _predictions_of(path: Path, recording: str) -> bool:
    """Whether ``path`` holds predictions of ``recording`` (``song.wav``, or one channel's ``song.wav-ch1``)."""
    parsed = parse_annotation_name(path.name)
    recording, channel = split_channel(recording)
    return parsed is not None and parsed.ratio is not None and parsed.channel == channel and parsed.recording in (recording, Path(recording).stem)


def describe_model(model: str, checkpoint_step: int) -> str:
    return f"{model} step {checkpoint_step}"


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
