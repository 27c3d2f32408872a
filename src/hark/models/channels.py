"""Frame models that take several channels of a recording as input (DAS's multi-channel front ends).

A model built with ``input_channels`` C > 1 reads audio ``(batch, C, T)`` instead of
``(batch, 1, T)``. Each channel goes through the same front end (one set of weights: the
waveform itself, or the same spectrogram), and then

- ``joint`` (DAS's multi-channel network): the channels' features are stacked, so the first
  layer after the front end sees ``C x features`` channels and learns filters across channels;
- ``separable``: the same per-channel features are first mixed by a learned 1x1 convolution
  across channels (C mixes of the C channels, the same mix for every feature), a beamformer
  the rest of the network shares; cheaper than ``joint`` when the channels are many.

The span (context and stride) is the front end's, whatever C, so the frame contract holds
channel for channel (a test checks it). docs/channels.md says how ``hark train`` and ``hark classify``
feed these models (``--channels``: the same C channels of every recording, at training and after).
"""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field
from torch import nn

ChannelMixing = Literal["joint", "separable"]
MAX_INPUT_CHANNELS = 64


def input_channels_field():
    return Field(
        1, ge=1, le=MAX_INPUT_CHANNELS,
        description="channels of the recording the model reads at once, audio (batch, C, T); hark train --channels says which (default 0 to C-1)",
    )  # fmt: skip


def channel_mixing_field():
    return Field(
        "joint",
        description="with input_channels > 1: joint (the first layer sees every channel's features) or "
        "separable (the same features per channel, mixed by a learned 1x1 across channels)",
    )


class MultiChannelFrontEnd(nn.Module):
    """``front_end`` applied to each of ``channels`` inputs alike, its features stacked (joint) or
    mixed across channels first (separable); exposes the front end's ``window``, ``hop`` and
    ``fft_window``, and ``n_channels`` = ``channels`` x the front end's features."""

    def __init__(self, front_end: nn.Module, channels: int, mixing: ChannelMixing = "joint"):
        super().__init__()
        if mixing not in ("joint", "separable"):
            raise ValueError(f"channel mixing {mixing!r}: expected joint or separable")
        self.front_end, self.channels, self.mixing = front_end, channels, mixing
        self.window, self.hop = front_end.window, front_end.hop
        self.fft_window = getattr(front_end, "fft_window", front_end.window)
        self.features = front_end.n_channels
        self.n_channels = channels * self.features
        self.mix = nn.Conv2d(channels, channels, 1) if mixing == "separable" else None

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        batch, channels, samples = audio.shape
        if channels != self.channels:
            raise ValueError(f"the model reads {self.channels} channels, got audio of {channels}")
        features = self.front_end(audio.reshape(batch * channels, 1, samples))  # (batch * C, F, frames)
        features = features.reshape(batch, channels, self.features, features.shape[-1])
        if self.mix is not None:
            features = self.mix(features)
        return features.reshape(batch, self.n_channels, features.shape[-1])


def with_input_channels(front_end: nn.Module, channels: int, mixing: ChannelMixing = "joint") -> nn.Module:
    """``front_end`` itself for one channel (the model as ever), else a :class:`MultiChannelFrontEnd`."""
    return front_end if channels == 1 else MultiChannelFrontEnd(front_end, channels, mixing)


def input_channels_of(module: nn.Module) -> int:
    """Channels ``module`` reads at once: its :class:`MultiChannelFrontEnd`'s, else 1."""
    for part in module.modules():
        if isinstance(part, MultiChannelFrontEnd):
            return part.channels
    return 1


def trained_channels(config) -> list[int] | None:
    """The channels a model of several channels was trained on (``config.data["channels"]``, in
    order; hark classify reads the same), None for a model of one channel."""
    channels = (getattr(config, "data", None) or {}).get("channels")
    return [int(c) for c in channels] if channels and len(channels) > 1 else None
