"""DAS-style temporal convolutional network for per-sample segmentation: architecture ``tcn``.

front end (the waveform, or a log-power spectrogram) -> 1x1 conv to ``n_filters``
-> ``n_stacks`` stacks of residual blocks dilated 1, 2, 4, ... 2**(n_dilations - 1)
-> sum of the blocks' skip outputs -> ReLU -> 1x1 conv to the logits.

A block is DAS's (after keras-tcn): dilated conv -> norm -> ReLU -> dropout -> 1x1 conv, whose
output is both the block's skip output and added to its input. DAS pads ('same'); here every
conv is valid and the residual and skip paths are cropped to the conv output instead, so the
frame contract holds: one output per front-end hop (per sample for the waveform), each seeing
``context = window + hop * n_stacks * (kernel_size - 1) * (2**n_dilations - 1)`` samples
(``window`` includes the background of ``input_normalization`` pcen or noise_floor: three
``norm_time_ms`` on each side).
"""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field
from torch import nn

from hark.models.base import Architecture, FrameModel, register_architecture
from hark.models.fields import (
    dropout_field,
    front_end_field,
    high_hz_field,
    input_normalization_field,
    low_hz_field,
    norm_groups_field,
    norm_time_ms_field,
    normalization_field,
    pcen_bias_field,
    pcen_exponent_field,
    pcen_gain_field,
    stride_ms_field,
    window_ms_field,
)
from hark.models.channels import ChannelMixing, MultiChannelFrontEnd, channel_mixing_field, input_channels_field, with_input_channels
from hark.models.frontends import NormalizationKind, SpectralNormalization, build_front_end
from hark.models.layers import NormKind, Span, crop, make_norm
from hark.params import Params


class TCNParams(Params):
    """Parameters of the ``tcn`` architecture (DAS's names where they exist, without the ``nb_``)."""

    # a spectrogram with a 1 ms hop: boundaries to the millisecond (refined to the sample by
    # interpolation downstream) at a thirty-second of the cost of one output per sample
    front_end: Literal["waveform", "spectrogram"] = front_end_field("spectrogram", "waveform", "spectrogram")
    window_ms: float = window_ms_field(4.0)
    stride_ms: float = stride_ms_field(1.0)
    low_hz: float = low_hz_field()
    high_hz: float = high_hz_field()
    input_normalization: NormalizationKind = input_normalization_field()
    norm_time_ms: float = norm_time_ms_field()
    pcen_gain: float = pcen_gain_field()
    pcen_bias: float = pcen_bias_field()
    pcen_exponent: float = pcen_exponent_field()
    n_filters: int = Field(32, ge=1, le=512, description="channels of every conv in the residual blocks")
    kernel_size: int = Field(8, ge=2, le=64, description="taps of each dilated conv (in front-end frames)")
    n_dilations: int = Field(6, ge=1, le=16, description="blocks per stack, dilated 1, 2, 4, ... 2**(n_dilations-1)")
    n_stacks: int = Field(2, ge=1, le=8, description="repeats of the dilation sequence")
    skip_connections: bool = Field(True, description="sum every block's skip output (else use the last block's)")
    dropout: float = dropout_field(0.1)
    normalization: NormKind = normalization_field("batch")
    norm_groups: int = norm_groups_field()
    input_channels: int = input_channels_field()
    channel_mixing: ChannelMixing = channel_mixing_field()


class ResidualBlock(nn.Module):
    """Dilated valid conv -> norm -> ReLU -> dropout -> 1x1 conv; returns (residual output, skip output)."""

    def __init__(self, channels, kernel_size, dilation, norm, norm_groups, dropout):
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, kernel_size, dilation=dilation)
        self.norm = make_norm(norm, channels, norm_groups)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.mix = nn.Conv1d(channels, channels, 1)
        self.shrink = dilation * (kernel_size - 1)
        # the residual is aligned with the centre of the conv's taps
        self.offset = self.shrink // 2

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        skip = self.mix(self.dropout(torch.relu(self.norm(self.conv(x)))))
        return crop(x, self.offset, skip.shape[-1]) + skip, skip


class TCNFrameModel(FrameModel):
    def __init__(self, front_end: nn.Module, input_norm: nn.Module, p: TCNParams, n_outputs: int):
        super().__init__()
        self.front_end, self.input_norm = front_end, input_norm
        self.project = nn.Conv1d(front_end.n_channels, p.n_filters, 1)
        dilations = [2**i for _ in range(p.n_stacks) for i in range(p.n_dilations)]
        self.blocks = nn.ModuleList(
            ResidualBlock(p.n_filters, p.kernel_size, d, p.normalization, p.norm_groups, p.dropout) for d in dilations
        )
        self.output = nn.Conv1d(p.n_filters, n_outputs, 1)
        self.skip_connections = p.skip_connections
        # block b's skip output is aligned with the final frames by the later blocks' offsets
        offsets = [block.offset for block in self.blocks]
        self.skip_offsets = [sum(offsets[b + 1 :]) for b in range(len(offsets))]
        span = Span(front_end.window, front_end.hop)
        for d in dilations:
            span = span.then(p.kernel_size, dilation=d)
        self.context, self.stride, self.n_outputs = span.size, span.jump, n_outputs

    def _run(self, audio: torch.Tensor, hidden: dict[str, torch.Tensor] | None) -> torch.Tensor:
        x = self.input_norm(self.front_end(audio))
        if hidden is not None:
            hidden["front_end"] = x
        x = self.project(x)
        skips = []
        for i, block in enumerate(self.blocks):
            x, skip = block(x)
            skips.append(skip)
            if hidden is not None:
                hidden[f"block{i + 1}"] = x
        if self.skip_connections:
            n = x.shape[-1]
            x = skips[-1]
            for skip, offset in zip(skips[:-1], self.skip_offsets[:-1]):
                x = x + crop(skip, offset, n)
        x = torch.relu(x)
        if hidden is not None:
            hidden["skip_sum"] = x
        return self.output(x)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        return self._run(audio, None)

    def hidden_layers(self) -> list[str]:
        return ["front_end", *(f"block{i + 1}" for i in range(len(self.blocks))), "skip_sum", "output"]

    def incremental_stream(self):
        from hark.models.tcn_stream import TCNStream  # (it builds on this module)

        if isinstance(self.front_end, MultiChannelFrontEnd):
            return None  # a stream pushes one channel's samples; several channels recompute each frame
        return TCNStream(self)

    def forward_hidden(self, audio: torch.Tensor) -> dict[str, torch.Tensor]:
        """Each stage's output ``(batch, channels, frames)``; blocks shrink the frame count."""
        hidden: dict[str, torch.Tensor] = {}
        hidden["output"] = self._run(audio, hidden)
        return hidden


@register_architecture("tcn")
class TCN(Architecture):
    """DAS-style dilated residual network giving one output per sample (or per spectrogram hop)."""

    kind = "frame"
    Params = TCNParams

    @classmethod
    def build(cls, params: TCNParams, samplerate: int, n_outputs: int) -> TCNFrameModel:
        p = params
        front_end = build_front_end(
            p.front_end, samplerate, p.window_ms, p.stride_ms, p.low_hz, p.high_hz, normalization=SpectralNormalization.of(p)
        )
        front_end = with_input_channels(front_end, p.input_channels, p.channel_mixing)  # DAS's multi-channel input
        # log power has an arbitrary offset; batch norm standardises it (a fixed affine map in eval)
        input_norm = nn.BatchNorm1d(front_end.n_channels) if p.front_end != "waveform" else nn.Identity()
        return TCNFrameModel(front_end, input_norm, p, n_outputs)
