"""The movie beside each recording, as the pictures a video model reads (docs/video.md, "Video models").

A model whose ``needs_video`` is True (:mod:`hark.models.video`) takes, beside each window of
audio, one grey ``S x S`` picture per output frame (and ``video_margin`` more on each side):
the movie's frame shown at that output frame's time. Each movie is decoded once, whole, at
``S x S`` (a 30 s movie at 25 fps and 32 x 32 is 750 pictures, 0.8 MB; an hour at 30 fps,
110 MB), so that drawing batches costs an indexing, not a decoding.

Movies are found by a video finder (``DataParams.video_finder``, default ``same-name``:
``rec.wav`` -> ``rec.mp4``) and read by a video reader (``video_reader``, default ``pyav``).
A recording without its movie, or with one that ends before it, is a one-line error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hark.errors import HarkError
from hark.video import check_covers, find_video, open_video


@dataclass(frozen=True)
class MoviePictures:
    """A movie's frames as grey ``uint8`` pictures ``(n, S, S)`` and its frame rate."""

    pictures: np.ndarray
    fps: float

    def at(self, seconds: np.ndarray) -> np.ndarray:
        """The pictures shown at ``seconds`` (any shape): the first before 0, the last after the end."""
        index = np.clip(np.floor(np.asarray(seconds) * self.fps + 1e-6).astype(np.int64), 0, len(self.pictures) - 1)
        return self.pictures[index]


def grey_square(image: np.ndarray, size: int) -> np.ndarray:
    """An RGB ``uint8`` picture (already about ``size`` wide) as a ``size x size`` grey one (rows and columns picked evenly)."""
    grey = image[..., :3].astype(np.float32).mean(axis=2)
    rows = np.minimum((np.arange(size) + 0.5) * grey.shape[0] / size, grey.shape[0] - 1).astype(np.int64)
    columns = np.minimum((np.arange(size) + 0.5) * grey.shape[1] / size, grey.shape[1] - 1).astype(np.int64)
    return np.round(grey[np.ix_(rows, columns)]).astype(np.uint8)


def movie_of(recording: Path, finder: str = "same-name", finder_params: Mapping | None = None) -> Path:
    """The movie of ``recording`` by ``finder``; a one-line error when there is none."""
    movie = find_video(recording, finder, dict(finder_params or {}))
    if movie is None:
        raise HarkError(
            f"{recording}: no movie found beside it by video finder {finder} (a video model needs one per recording, "
            "e.g. rec.wav -> rec.mp4)"
        )
    return movie


def read_pictures(
    recording: Path, seconds: float, size: int, finder: str = "same-name", finder_params: Mapping | None = None,
    reader: str = "pyav", reader_params: Mapping | None = None,
) -> MoviePictures:
    """Every frame of ``recording``'s movie as ``size x size`` grey pictures, after checking that it
    lasts the recording's ``seconds`` (:func:`hark.video.check_covers`)."""
    movie = movie_of(recording, finder, finder_params)
    stream = open_video(movie, reader, dict(reader_params or {}))
    try:  # (the reader's errors name the movie: a damaged frame, an unreadable file)
        check_covers(stream.info, seconds, movie, recording)
        width = max(size, round(size * stream.info.width / max(stream.info.height, 1)))  # the short side at least size
        pictures = np.stack([grey_square(stream.frame(i, width=width), size) for i in range(stream.info.frames)])
        return MoviePictures(pictures, stream.info.fps)
    finally:
        stream.close()


class VideoWindows:
    """The pictures of a batch's windows: one per output frame, ``margin`` more on each side."""

    def __init__(self, movies: dict[str, MoviePictures], samplerate: int, size: int, margin: int):
        self.movies = movies
        self.samplerate = samplerate
        self.size = size
        self.margin = margin

    def for_windows(self, recordings: Sequence[str], starts: np.ndarray, context: int, stride: int, frames: int) -> np.ndarray:
        """``(B, frames + 2 * margin, S, S)`` ``uint8``: window ``b`` starts at sample ``starts[b]`` of ``recordings[b]``."""
        offsets = context // 2 + np.arange(-self.margin, frames + self.margin) * stride
        out = np.empty((len(recordings), len(offsets), self.size, self.size), dtype=np.uint8)
        for row, (name, start) in enumerate(zip(recordings, starts)):
            out[row] = self.movies[name].at((int(start) + offsets) / self.samplerate)
        return out


def load_video_windows(root: Path, lengths: Mapping[str, int], samplerate: int, module, params) -> VideoWindows:
    """The movies of the recordings ``lengths`` names (relative to ``root``; their samples), read for
    ``module`` (its ``video_size`` and ``video_margin``) with ``params``' (DataParams') finder and reader."""
    size, margin = int(module.video_size), int(module.video_margin)
    movies = {
        name: read_pictures(
            root / name, frames / samplerate, size, params.video_finder, params.video_finder_params, params.video_reader, params.video_reader_params
        )
        for name, frames in sorted(lengths.items())
    }
    return VideoWindows(movies, samplerate, size, margin)
