"""A recording as a checked value object: slices and chunked streams of one channel."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hark.audio.base import AudioInfo, AudioReader, AudioStream, audio_readers, reader_for
from hark.errors import FileFormatError, HarkError


@dataclass(frozen=True)
class Chunk:
    """Samples ``[start, start + len(data))`` of a recording."""

    start: int
    data: np.ndarray

    @property
    def stop(self) -> int:
        return self.start + len(self.data)


@dataclass(frozen=True)
class Recording:
    """One channel of an audio file, read lazily.

    Nothing but the header is read until :meth:`read` or :meth:`chunks` is called, so a
    multi-hour file costs no memory to open.
    """

    path: Path
    info: AudioInfo
    channel: int
    reader: AudioReader

    @property
    def name(self) -> str:
        """The file name, as SongExplorer's CSVs refer to recordings."""
        return self.path.name

    @property
    def samplerate(self) -> int:
        return self.info.samplerate

    @property
    def frames(self) -> int:
        return self.info.frames

    @property
    def duration(self) -> float:
        return self.info.duration

    @contextlib.contextmanager
    def _stream(self) -> Iterator[AudioStream]:
        stream = self.reader.open(self.path)
        try:
            yield stream
        finally:
            stream.close()

    def _check_range(self, start: int, stop: int | None) -> int:
        stop = self.frames if stop is None else stop
        if not 0 <= start <= stop <= self.frames:
            raise HarkError(f"{self.path}: samples [{start}, {stop}) are outside the recording's 0..{self.frames}")
        return stop

    def read(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Samples ``[start, stop)`` of the chosen channel, float32, without reading the rest."""
        stop = self._check_range(start, stop)
        with self._stream() as stream:
            return self._select(stream.read(start, stop))

    def chunks(self, size: int, overlap: int = 0, start: int = 0, stop: int | None = None) -> Iterator[Chunk]:
        """Stream ``[start, stop)`` in chunks of ``size`` new samples, each followed by ``overlap`` more.

        Chunk ``i`` begins at ``start + i * size``; consecutive chunks share ``overlap`` samples.
        Only one chunk is in memory at a time.
        """
        if size <= 0 or overlap < 0:
            raise ValueError(f"chunk size {size} must be positive and overlap {overlap} non-negative")
        stop = self._check_range(start, stop)
        with self._stream() as stream:
            for begin in range(start, stop, size):
                end = min(begin + size + overlap, stop)
                yield Chunk(begin, self._select(stream.read(begin, end)))

    def _select(self, block: np.ndarray) -> np.ndarray:
        """What this recording is of a block of the file's samples ``(T, all channels)``: its channel."""
        return np.ascontiguousarray(block[:, self.channel])


def open_recording(
    path: str | Path,
    channel: int = 0,
    reader: str = "auto",
    reader_params: dict[str, Any] | None = None,
) -> Recording:
    """Open one channel of a recording with the named reader plugin (``auto``: by file ending)."""
    path = Path(path)
    if not path.exists():
        raise HarkError(f"{path}: no such file")
    if path.is_dir():
        raise HarkError(f"{path}: is a folder, not a recording")
    reader_cls = reader_for(path) if reader == "auto" else audio_readers.get(reader)
    reader_obj = reader_cls(reader_params)
    try:
        stream = reader_obj.open(path)
    except OSError as err:
        raise FileFormatError(path, f"cannot read ({err.strerror or err})") from None
    info = stream.info
    stream.close()
    if not 0 <= channel < info.channels:
        raise HarkError(f"{path}: channel {channel} does not exist; the recording has {info.channels} channel(s), numbered from 0")
    return Recording(path=path, info=info, channel=channel, reader=reader_obj)
