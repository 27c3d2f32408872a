"""The audio-reader plugin interface: a reader opens a file as a stream of float32 frames."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

import numpy as np

from hark.params import NoParams, Params, validate_params
from hark.registry import Registry


@dataclass(frozen=True)
class AudioInfo:
    """What a recording is, read from its header."""

    samplerate: int
    frames: int
    channels: int
    format: str = ""
    subtype: str = ""

    def __post_init__(self) -> None:
        if self.samplerate <= 0 or self.frames < 0 or self.channels <= 0:
            raise ValueError(f"invalid audio info {self}")

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frames / self.samplerate


class AudioStream(Protocol):
    """An open recording. ``read`` returns frames ``[start, stop)`` as float32, shape (n, channels)."""

    info: AudioInfo

    def read(self, start: int, stop: int) -> np.ndarray: ...

    def close(self) -> None: ...


class AudioReader(ABC):
    """An audio-reader plugin.

    ``suffixes`` are the file endings the reader opens when the user asks for ``auto``;
    a reader that transforms another's output (a filter) leaves it empty. ``Params`` is the
    pydantic model of the reader's parameters.
    """

    Params: ClassVar[type[Params]] = NoParams
    suffixes: ClassVar[tuple[str, ...]] = ()

    def __init__(self, params: Params | dict | None = None):
        if not isinstance(params, Params):
            params = validate_params(self.Params, params, f"audio reader {type(self).__name__}")
        self.params = params

    @abstractmethod
    def open(self, path: Path) -> AudioStream:
        """Open ``path``; a file that cannot be read raises :class:`hark.errors.FileFormatError`."""


audio_readers: Registry[type[AudioReader]] = Registry("audio reader", "hark.audio_readers")


def reader_for(path: Path) -> type[AudioReader]:
    """The registered format reader whose suffixes match ``path`` (``auto``)."""
    from hark.errors import FileFormatError

    suffix = path.suffix.lower()
    for _, reader in audio_readers.items():
        if suffix in reader.suffixes:
            return reader
    known = sorted({s for _, r in audio_readers.items() for s in r.suffixes})
    raise FileFormatError(path, f"unsupported audio format {suffix or '(no extension)'!r}; hark reads {', '.join(known)}")
