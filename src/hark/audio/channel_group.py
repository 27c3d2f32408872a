"""Several channels of a recording read together, for models that take them as one input.

A model trained with ``input_channels`` C > 1 (docs/channels.md, "Models that read several
channels at once") reads the same C channels of every recording, in the same order, at
training and at classification. :func:`open_channels` opens them as a :class:`ChannelGroup`,
which reads like a :class:`~hark.audio.recording.Recording` but gives samples ``(T, C)``:
one column per channel, so that slicing time stays slicing the first axis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hark.audio.recording import Recording, open_recording
from hark.errors import HarkError


@dataclass(frozen=True)
class ChannelGroup(Recording):
    """``channels`` of one audio file, read lazily as ``(T, len(channels))`` float32."""

    channels: tuple[int, ...] = (0,)

    def _select(self, block: np.ndarray) -> np.ndarray:
        """The chosen channels of a block of the file's samples, ``(T, C)`` float32 (for read and chunks)."""
        return np.ascontiguousarray(block[:, list(self.channels)], dtype=np.float32)


def describe_channels(channels: Sequence[int]) -> str:
    return ",".join(str(c) for c in channels)


def open_channels(
    path: str | Path,
    channels: Sequence[int],
    reader: str = "auto",
    reader_params: dict[str, Any] | None = None,
    *,
    wanted_by: str = "the model",
) -> ChannelGroup:
    """``channels`` of ``path`` as a :class:`ChannelGroup`; a recording without every one of them is
    a one-line HarkError naming the file, its channel count and what wanted them (``wanted_by``)."""
    channels = tuple(int(c) for c in channels)
    if not channels:
        raise HarkError(f"{path}: no channels to read")
    single = open_recording(path, channel=0, reader=reader, reader_params=reader_params)
    have = single.info.channels
    missing = [c for c in channels if not 0 <= c < have]
    if missing:
        raise HarkError(
            f"{single.path}: has {have} channel(s), but {wanted_by} reads channels {describe_channels(channels)} "
            f"(channel {missing[0]} does not exist; channels are numbered from 0)"
        )
    return ChannelGroup(path=single.path, info=single.info, channel=channels[0], reader=single.reader, channels=channels)
