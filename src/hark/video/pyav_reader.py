"""The default video reader: any movie FFmpeg decodes (MP4, MOV, AVI, MKV, ...), through PyAV.

PyAV's wheels carry their own FFmpeg, so nothing else need be installed. A frame is found by
seeking to the key frame before it and decoding forward; while frames are asked for in order
(playback, a model reading a stretch) the decoder just runs on, without seeking, and the last
few frames asked for are kept, so going back and forth over them costs nothing.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from pathlib import Path

import av
import numpy as np
from pydantic import Field

from hark.errors import FileFormatError, one_line
from hark.params import Params
from hark.video.base import VideoInfo, VideoReader, register_video_reader

# av's errors, and what its Python layer raises for a file it cannot make sense of
_DECODE_ERRORS = (av.error.FFmpegError, OSError, ValueError, IndexError, RuntimeError)


class PyAVParams(Params):
    cache_frames: int = Field(16, ge=1, le=10_000, description="pyav: how many of the last frames asked for are kept decoded")
    decode_ahead_s: float = Field(
        2.0, ge=0, le=600, description="pyav: a frame at most this far after the last one decoded is reached by decoding on, not by seeking"
    )


def _reason(err: Exception) -> str:
    return one_line(str(err) or type(err).__name__, 120)


class PyAVStream:
    """An open movie (its first video stream)."""

    def __init__(self, path: Path, params: PyAVParams):
        self.path = Path(path)
        self.params = params
        if not self.path.is_file():
            raise FileFormatError(self.path, "no such movie file" if not self.path.exists() else "not a file")
        if self.path.stat().st_size == 0:
            raise FileFormatError(self.path, "movie file is empty")
        try:
            self._container = av.open(str(self.path))
        except _DECODE_ERRORS as err:
            raise FileFormatError(self.path, f"not a readable movie ({_reason(err)})") from None
        try:
            self.info = self._read_info()
            self._cache: OrderedDict[tuple[int, int | None], np.ndarray] = OrderedDict()
            self._decoded = None  # the decoder, running on from the last seek
            self._next = -1  # the index of the frame the decoder gives next (-1: seek first)
            self.frame(0)  # proves the movie decodes (a damaged file fails here, not later)
        except Exception:
            self._container.close()
            raise

    def _read_info(self) -> VideoInfo:
        if not self._container.streams.video:
            raise FileFormatError(self.path, "holds no video stream")
        stream = self._container.streams.video[0]
        self._stream = stream
        rate = stream.average_rate or stream.base_rate or stream.guessed_rate
        if not rate or rate <= 0:
            raise FileFormatError(self.path, "its frame rate is unknown")
        fps = float(rate)
        self._time_base = float(stream.time_base)
        self._start = (stream.start_time or 0) * self._time_base
        frames = int(stream.frames or 0)
        if frames <= 0:  # some containers (MKV) do not count frames: from the duration
            seconds = stream.duration * self._time_base if stream.duration else (self._container.duration or 0) / av.time_base
            frames = int(round(seconds * fps))
        context = stream.codec_context
        if frames <= 0 or not context.width or not context.height:
            raise FileFormatError(self.path, "holds no video frames")
        return VideoInfo(frames=frames, fps=fps, width=int(context.width), height=int(context.height), codec=stream.codec_context.name)

    def frame(self, index: int, width: int | None = None) -> np.ndarray:
        """Frame ``index`` (clipped to the movie), RGB ``uint8``; scaled to ``width`` pixels wide (height in proportion)."""
        index = int(min(max(index, 0), self.info.frames - 1))
        key = (index, width)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        found = self._decode(index)
        height = None
        if width is not None:
            height = max(2, 2 * round(self.info.height * width / self.info.width / 2))
        try:
            image = found.to_ndarray(format="rgb24", width=width, height=height)
        except _DECODE_ERRORS as err:
            raise FileFormatError(self.path, f"frame {index} cannot be converted ({_reason(err)})") from None
        self._cache[key] = image
        while len(self._cache) > self.params.cache_frames:
            self._cache.popitem(last=False)
        return image

    def _decode(self, index: int):
        """The decoded ``av.VideoFrame`` of ``index``: on from the last one if it is close ahead, else after a seek."""
        ahead = max(1, math.ceil(self.params.decode_ahead_s * self.info.fps))
        if not (0 <= self._next <= index <= self._next + ahead):
            self._seek(index)
            found = self._run_to(index)
            if found is None or self._index_of(found) > index:  # an inexact seek (some AVIs): from the start
                self._seek(None)
                found = self._run_to(index)
        else:
            found = self._run_to(index)
        if found is None:
            raise FileFormatError(self.path, f"frame {index} of {self.info.frames} cannot be decoded: the movie is damaged or cut short")
        return found

    def _seek(self, index: int | None) -> None:
        try:
            if index is None:
                self._container.seek(0, backward=True, any_frame=False)
            else:
                target = round((self._start + index / self.info.fps) / self._time_base)
                self._container.seek(target, stream=self._stream, backward=True, any_frame=False)
        except _DECODE_ERRORS as err:
            raise FileFormatError(self.path, f"cannot seek to frame {index} ({_reason(err)})") from None
        self._decoded = self._container.decode(self._stream)
        self._next = 0

    def _run_to(self, index: int):
        """Decode on until frame ``index`` (or the first after it); None at the end of the movie."""
        last = None
        try:
            for frame in self._decoded:
                at = self._index_of(frame)
                self._next = at + 1
                if at >= index:
                    return frame
                last = frame
        except _DECODE_ERRORS as err:
            self._next = -1
            raise FileFormatError(self.path, f"frame {index} cannot be decoded ({_reason(err)})") from None
        self._next = -1  # the decoder is spent: the next frame seeks
        # the header may count a frame or two more than the stream holds: the last one stands for them
        return last if last is not None and self._index_of(last) >= index - 2 else None

    def _index_of(self, frame) -> int:
        seconds = frame.time if frame.time is not None else 0.0
        return int(round((seconds - self._start) * self.info.fps))

    def close(self) -> None:
        self._cache.clear()
        self._container.close()


@register_video_reader("pyav")
class PyAVReader(VideoReader):
    """MP4, MOV, AVI, MKV and every other format of the FFmpeg inside PyAV's wheel."""

    Params = PyAVParams

    def open(self, path: Path) -> PyAVStream:
        return PyAVStream(path, self.params)
