"""The video-reader plugin interface: a reader opens a movie as frames addressed by time.

A frame ``i`` is shown during ``[i / fps, (i + 1) / fps)`` of the movie, whose time 0 is the
recording's time 0 (a movie that starts later or runs at another rate needs its own reader).
Frames come back as ``uint8`` RGB arrays, shape ``(height, width, 3)``, optionally scaled down
to a given width (the GUI shows 320 pixels; a model may want fewer).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

import numpy as np

from hark.errors import HarkError
from hark.params import NoParams, Params, validate_params
from hark.registry import Registry

# the endings of movies that the finders look for, in the order they prefer when several lie beside a recording
VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv")


@dataclass(frozen=True)
class VideoInfo:
    """What a movie is, read from its header (and its first frame)."""

    frames: int
    fps: float
    width: int
    height: int
    codec: str = ""

    def __post_init__(self) -> None:
        if self.frames <= 0 or not self.fps > 0 or self.width <= 0 or self.height <= 0:
            raise ValueError(f"invalid video info {self}")

    @property
    def duration(self) -> float:
        """Length in seconds: the end of the last frame."""
        return self.frames / self.fps

    def index_at(self, seconds: float) -> int:
        """The frame shown at ``seconds`` (the first before 0, the last after the end)."""
        return int(min(max(math.floor(seconds * self.fps + 1e-6), 0), self.frames - 1))

    def time_of(self, index: int) -> float:
        """When frame ``index`` starts, in seconds."""
        return index / self.fps


class VideoStream(Protocol):
    """An open movie. ``frame(i)`` is frame ``i``; ``frames_between`` every frame shown in a stretch."""

    info: VideoInfo

    def frame(self, index: int, width: int | None = None) -> np.ndarray: ...

    def close(self) -> None: ...


class VideoReader(ABC):
    """A video-reader plugin: ``open(path)`` gives a :class:`VideoStream`.

    ``Params`` is the pydantic model of the reader's parameters (extra names refused).
    """

    name: ClassVar[str] = ""
    Params: ClassVar[type[Params]] = NoParams

    def __init__(self, params: Params | dict | None = None):
        if not isinstance(params, Params):
            params = validate_params(self.Params, params, f"video reader {self.name or type(self).__name__}")
        self.params = params

    @abstractmethod
    def open(self, path: Path) -> VideoStream:
        """Open ``path``; a file that is not a readable movie raises :class:`hark.errors.FileFormatError`."""


video_readers: Registry[type[VideoReader]] = Registry("video reader", "hark.video_readers")
register_video_reader = video_readers.register_class


def open_video(path: str | Path, reader: str = "pyav", params: Params | dict | None = None) -> VideoStream:
    """Open a movie with the registered reader ``reader`` (an unknown name lists the known ones)."""
    return video_readers.get(reader)(params).open(Path(path))


def frame_at(stream: VideoStream, seconds: float, width: int | None = None) -> np.ndarray:
    """The frame shown at ``seconds`` of the movie."""
    return stream.frame(stream.info.index_at(seconds), width)


def frames_between(stream: VideoStream, start_s: float, stop_s: float, width: int | None = None, max_frames: int = 10_000) -> tuple[np.ndarray, np.ndarray]:
    """Every frame shown during ``[start_s, stop_s)``, as ``(frames, times)``.

    ``frames`` is ``uint8`` of shape ``(n, height, width, 3)``, ``times`` the second each frame
    starts. A stretch beyond the movie's end is a :class:`VideoTooShortError`; more than
    ``max_frames`` frames (a memory guard: an hour at 30 fps is 108,000 frames) a HarkError.
    """
    info = stream.info
    if stop_s <= start_s:
        raise HarkError(f"frames between {start_s} and {stop_s} s: the stretch is empty")
    if stop_s > info.duration + 1 / info.fps:
        raise VideoTooShortError(f"frames up to {stop_s:.3f} s asked of a movie that lasts {info.duration:.3f} s")
    first = info.index_at(start_s)
    last = min(info.frames - 1, max(first, math.ceil(stop_s * info.fps - 1e-6) - 1))
    count = last - first + 1
    if count > max_frames:
        raise HarkError(f"{count} frames between {start_s} and {stop_s} s: more than max_frames={max_frames}; read shorter stretches")
    frames = np.stack([stream.frame(index, width) for index in range(first, last + 1)])
    return frames, np.arange(first, last + 1) / info.fps


class VideoTooShortError(HarkError):
    """A movie that ends before its recording (or before the stretch asked of it)."""


def check_covers(info: VideoInfo, seconds: float, movie: str | Path, recording: str | Path = "its recording") -> None:
    """A :class:`VideoTooShortError` if the movie ends more than one frame before ``seconds`` (a recording's duration).

    Models refuse such a pair (their video frames would be made up); the GUI warns and shows
    no frame past the movie's end.
    """
    if info.duration + 1 / info.fps < seconds - 1e-9:
        raise VideoTooShortError(
            f"{movie}: the movie lasts {info.duration:.3f} s, shorter than {recording} ({seconds:.3f} s); "
            "frames after its end are missing"
        )
