"""The values training data hands to the trainer: windows, batches and where each example came from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Window:
    """What a model reads: ``frames`` output frames of a frame model with ``context`` and ``stride``.

    The window is ``context + (frames - 1) * stride`` samples long; output frame ``j``
    describes the sample ``j * stride + context // 2`` of the window (see
    :mod:`hark.models.base`). Sparse targets belong to the middle frame, ``centre_frame``.
    For a clip model, ``Window(context=n)`` crops or pads clips to ``n`` samples, and
    ``Window(context=0)`` (like no window at all) means the longest clip.
    """

    context: int
    stride: int = 1
    frames: int = 1

    def __post_init__(self) -> None:
        if self.context < 0 or self.stride < 1 or self.frames < 1:
            raise ValueError(f"window context {self.context} must not be negative, stride {self.stride} and frames {self.frames} must be positive")

    @property
    def length(self) -> int:
        """Samples in the window."""
        return self.context + (self.frames - 1) * self.stride

    @property
    def centre_frame(self) -> int:
        return (self.frames - 1) // 2

    def frame_time(self, frame: int) -> int:
        """The sample of the window that output frame ``frame`` describes."""
        return frame * self.stride + self.context // 2

    @property
    def centre_offset(self) -> int:
        """Samples from the window's start to the time its middle frame describes."""
        return self.frame_time(self.centre_frame)


@dataclass(frozen=True)
class ExampleRef:
    """Where an example came from, for the list of mistakes.

    ``position`` is the sample of ``recording`` the target describes: the drawn time of a
    sparse example, the middle frame's time of a dense window, the middle of a clip.
    ``label`` is the annotated label (``not_x`` for a negative of an overlapped class;
    for a dense window, the label at ``position``).
    """

    recording: str
    position: int
    label: str


@dataclass
class Batch:
    """A mini-batch.

    ``x``: (B, length) float32 audio. ``y`` and ``mask`` by supervision:

    - sparse, exclusive classes: ``y`` (B,) int64, the output index; ``mask`` None;
    - sparse or clip, overlapped classes: ``y`` (B, C) float32 0/1, ``mask`` (B, C) float32,
      1 where the target is known (the label's own annotation or its ``not_`` annotation);
    - dense: ``y`` (B, frames) int64 per output frame (0 = background), or with Gaussian
      points (``point_shape`` gaussian) (B, C, frames) float32 class probabilities; ``mask`` None for
      training, and for validation (B, frames) float32 with 0 on frames already counted in
      an earlier window, so that every sample is scored once;
    - clip, exclusive classes: ``y`` (B,) int64.
    """

    x: np.ndarray
    y: np.ndarray
    mask: np.ndarray | None
    where: list[ExampleRef]
    video: np.ndarray | None = None  # a video model's pictures (B, frames + 2 margin, S, S) uint8 (hark.train.data_video)

    def __len__(self) -> int:
        return len(self.x)


def cut_window(samples: np.ndarray, start: int, length: int) -> np.ndarray:
    """``samples[start:start + length]``, zero-padded where it runs off either end (``(T, C)``
    samples of several channels: ``(length, C)``)."""
    out = np.zeros((length, *samples.shape[1:]), dtype=np.float32)
    lo, hi = max(start, 0), min(start + length, len(samples))
    if hi > lo:
        out[lo - start : hi - start] = samples[lo:hi]
    return out
