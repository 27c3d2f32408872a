"""Movies whose frames say when they were shown: known answers for tests and video models.

Frame ``i`` of :func:`write_time_movie` carries ``i`` in 16 large black-or-white cells (two
rows of eight, the most significant bit first, over the top two thirds of the picture), so the
time of a frame can be read back from it after lossy compression and scaling
(:func:`frame_index_of`); below them a red bar moves from left to right over the movie, for a
person looking at it. A frame's time is ``i / fps``.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from hark.errors import HarkError
from hark.fileio import atomic_path

CODE_BITS = 16
CODE_ROWS, CODE_COLUMNS = 2, 8
WHITE, BLACK = 235, 16  # video range: survives the RGB -> YUV -> RGB round trip unclipped
# the container of each movie ending (the file is written under a temporary name first)
CONTAINERS = {".mp4": "mp4", ".mov": "mov", ".avi": "avi", ".mkv": "matroska"}


def time_code_frame(index: int, frames: int, width: int = 320, height: int = 240) -> np.ndarray:
    """The picture of frame ``index`` of a ``frames``-frame movie (RGB ``uint8``, ``height x width x 3``)."""
    if not 0 <= index < 2**CODE_BITS:
        raise ValueError(f"frame {index}: a time-code movie has at most {2**CODE_BITS} frames")
    image = np.full((height, width, 3), 96, np.uint8)
    code_height = 2 * height // 3
    for bit in range(CODE_BITS):
        row, column = divmod(bit, CODE_COLUMNS)
        value = WHITE if (index >> (CODE_BITS - 1 - bit)) & 1 else BLACK
        top, bottom = row * code_height // CODE_ROWS, (row + 1) * code_height // CODE_ROWS
        left, right = column * width // CODE_COLUMNS, (column + 1) * width // CODE_COLUMNS
        image[top:bottom, left:right] = value
    bar = int(round((width - 8) * index / max(1, frames - 1)))
    image[code_height + 4 : height - 4, bar : bar + 8] = (220, 30, 30)
    return image


def frame_index_of(image: np.ndarray) -> int:
    """The frame index a time-code picture carries (any size it was scaled to; JPEG or video compression allowed)."""
    if image.ndim != 3 or image.shape[0] < 3 * CODE_ROWS or image.shape[1] < 2 * CODE_COLUMNS:
        raise ValueError(f"an RGB picture of at least {3 * CODE_ROWS}x{2 * CODE_COLUMNS} pixels expected, got shape {image.shape}")
    height, width = image.shape[:2]
    code_height = 2 * height // 3
    gray = image[..., :3].astype(np.float32).mean(axis=2)
    index = 0
    for bit in range(CODE_BITS):
        row, column = divmod(bit, CODE_COLUMNS)
        top, bottom = row * code_height // CODE_ROWS, (row + 1) * code_height // CODE_ROWS
        left, right = column * width // CODE_COLUMNS, (column + 1) * width // CODE_COLUMNS
        # the middle half of the cell: its edges blur into the neighbours when scaled or compressed
        cell = gray[top + (bottom - top) // 4 : bottom - (bottom - top) // 4, left + (right - left) // 4 : right - (right - left) // 4]
        index = (index << 1) | int(cell.mean() > (WHITE + BLACK) / 2)
    return index


def write_time_movie(
    path: str | Path, duration_s: float, fps: float = 25.0, width: int = 320, height: int = 240, codec: str = "mpeg4"
) -> Path:
    """Write a ``duration_s`` movie at ``fps`` whose frames carry their index (:func:`time_code_frame`).

    The container follows ``path``'s ending (``.mp4``, ``.mov``, ``.avi``, ``.mkv``); ``codec``
    is any FFmpeg encoder of PyAV's wheel (``mpeg4``, every build has it; ``libx264``; ``mjpeg``).
    Written atomically; returns ``path``.
    """
    path = Path(path)
    container_format = CONTAINERS.get(path.suffix.lower())
    if container_format is None:
        raise HarkError(f"{path}: a movie's name ends in one of {', '.join(CONTAINERS)}")
    if width % 2 or height % 2 or width < 2 * CODE_COLUMNS or height < 6 * CODE_ROWS:
        raise HarkError(f"movie size {width}x{height}: even numbers of at least {2 * CODE_COLUMNS}x{6 * CODE_ROWS} pixels expected")
    frames = int(round(duration_s * fps))
    if frames <= 0 or frames > 2**CODE_BITS:
        raise HarkError(f"a {duration_s} s movie at {fps} fps has {frames} frames; between 1 and {2**CODE_BITS} can carry their time")
    with atomic_path(path) as tmp:
        with av.open(str(tmp), mode="w", format=container_format) as container:
            stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
            stream.width, stream.height, stream.pix_fmt = width, height, "yuvj420p" if codec == "mjpeg" else "yuv420p"
            stream.bit_rate = 4_000_000  # high: the cells stay clean, the movie small all the same
            for index in range(frames):
                picture = av.VideoFrame.from_ndarray(time_code_frame(index, frames, width, height), format="rgb24")
                container.mux(stream.encode(picture))
            container.mux(stream.encode(None))
    return path
