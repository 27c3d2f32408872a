"""Lining up the output frames of several frame models (or parts of them) that read the same audio.

Ensembles average members' outputs and transfer models concatenate the features of kept
layers; both need, for each of their own output frames, the frame of every part that
describes (nearly) the same time. With a common stride ``S`` and contexts ``C_i``, the
combined model sees ``C = max(C_i)`` samples per frame, and part ``i``'s frame
``offset_i + j * step_i`` lies inside frame ``j``'s window ``[j * S, j * S + C)`` with its
centre as near to the window's centre as the part's own stride allows (exactly, when the
contexts differ by an even number of strides). Cropping every part's frames this way keeps
the frame contract of :mod:`hark.models.base`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from hark.errors import HarkError
from hark.models.layers import crop


@dataclass(frozen=True)
class Alignment:
    """The combined context and stride, and which frames of each part make frame ``j``."""

    context: int
    stride: int
    offsets: tuple[int, ...]  # part i's frame for combined frame 0
    steps: tuple[int, ...]  # part i's frames per combined frame
    contexts: tuple[int, ...]  # part i's own context

    def frames(self, n_samples: torch.Tensor | int):
        """Combined output frames of ``n_samples`` (traced as arithmetic when exporting)."""
        return (n_samples - self.context) // self.stride + 1

    def take(self, index: int, frames: torch.Tensor, n) -> torch.Tensor:
        """Part ``index``'s frames ``(batch, channels, T_i)`` cropped to the ``n`` combined frames."""
        if self.offsets[index] == 0 and self.steps[index] == 1 and self.contexts[index] == self.context:
            return frames  # the part's frames are the combined ones already
        return crop(frames, self.offsets[index], n, self.steps[index])


def align(spans: Sequence[tuple[int, int]], names: Sequence[str], what: str, equal_strides: bool = False) -> Alignment:
    """The :class:`Alignment` of parts with ``(context, stride)`` each; ``names`` for messages.

    ``equal_strides``: every part must step alike (an ensemble); else each stride must divide
    the largest, and the finer parts' frames are subsampled to it (transfer's kept layers).
    """
    if not spans:
        raise HarkError(f"{what}: nothing to combine")
    stride = max(s for _, s in spans)
    for (_, s), name in zip(spans, names):
        if (equal_strides and s != stride) or stride % s:
            listing = ", ".join(f"{n} {st}" for (_, st), n in zip(spans, names))
            need = "the same stride" if equal_strides else "strides that divide the largest"
            raise HarkError(f"{what} needs {need}; the output strides (samples) are: {listing}")
    context = max(c for c, _ in spans)
    offsets, steps = [], []
    for c, s in spans:
        # centre of the part's frame (offset * s + c // 2) near the combined centre (context // 2)
        nearest = (2 * (context // 2 - c // 2) + s) // (2 * s)  # half a stride rounds up
        offsets.append(min(max(nearest, 0), (context - c) // s))
        steps.append(stride // s)
    return Alignment(context, stride, tuple(offsets), tuple(steps), tuple(c for c, _ in spans))
