"""A small 2-D ResNet on log-spectrogram images for clip classification: architecture ``resnet``.

log-power spectrogram (frequency x time, the same in-graph front end as the frame models)
-> per-frequency batch norm -> 3x3 conv stem -> stages of basic residual blocks (two 3x3
convs with batch norm; each stage after the first halves both axes) -> mean (or maximum) over
frequency and time -> dropout -> linear logits.

The global pooling makes the logits independent of the clip's length: any clip at least one
spectrogram window long gives one row of logits. The mean suits sounds that fill the clip;
the maximum suits a thin trace in a mostly empty image (a USV's whistle in an event's crop),
which the mean dilutes.
"""

from __future__ import annotations

from typing import Annotated, Literal

import torch
from pydantic import Field, field_validator
from torch import nn

from hark.models.base import Architecture, ClipModel, register_architecture
from hark.models.fields import (
    dropout_field,
    high_hz_field,
    input_normalization_field,
    low_hz_field,
    norm_time_ms_field,
    pcen_bias_field,
    pcen_exponent_field,
    pcen_gain_field,
    split_int_list,
    stride_ms_field,
    window_ms_field,
)
from hark.models.frontends import NormalizationKind, SpectralNormalization, Spectrogram, build_front_end
from hark.params import Params

StageChannels = Annotated[int, Field(ge=1, le=1024)]


class ResNetParams(Params):
    """Parameters of the ``resnet`` architecture."""

    window_ms: float = window_ms_field(128.0)
    stride_ms: float = stride_ms_field(32.0)
    low_hz: float = low_hz_field()
    high_hz: float = high_hz_field()
    input_normalization: NormalizationKind = input_normalization_field()
    norm_time_ms: float = norm_time_ms_field()
    pcen_gain: float = pcen_gain_field()
    pcen_bias: float = pcen_bias_field()
    pcen_exponent: float = pcen_exponent_field()
    channels: tuple[StageChannels, ...] = Field(
        (8, 16), min_length=1, max_length=6, description="channels of each stage; each stage after the first halves the image"
    )
    blocks_per_stage: int = Field(1, ge=1, le=8, description="basic residual blocks in each stage")
    dropout: float = dropout_field(0.2)
    equalize: bool = Field(
        True, description="subtract each frequency's mean log power over the clip, so steady background noise and hum vanish"
    )
    pooling: Literal["mean", "max"] = Field("mean", description="how the last stage's maps become features: their mean or their maximum over frequency and time")

    @field_validator("channels", mode="before")
    @classmethod
    def _split(cls, value):
        return split_int_list(value)


class BasicBlock(nn.Module):
    """Two 3x3 convs with batch norm and a shortcut (1x1 conv when the shape changes), as in He et al. 2016."""

    def __init__(self, in_channels: int, out_channels: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.norm1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.norm2 = nn.BatchNorm2d(out_channels)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.norm1(self.conv1(x)))
        return torch.relu(self.norm2(self.conv2(y)) + self.shortcut(x))


class ResNetClipModel(ClipModel):
    def __init__(self, front_end: Spectrogram, p: ResNetParams, n_outputs: int):
        super().__init__()
        self.front_end = front_end
        self.min_samples = front_end.window
        """The shortest clip: one spectrogram window."""
        self.input_norm = nn.BatchNorm1d(front_end.n_channels)
        self.equalize = p.equalize
        self.pooling = p.pooling
        first = p.channels[0]
        self.stem = nn.Sequential(nn.Conv2d(1, first, 3, padding=1, bias=False), nn.BatchNorm2d(first), nn.ReLU())
        blocks = []
        in_channels = first
        for stage, channels in enumerate(p.channels):
            for i in range(p.blocks_per_stage):
                stride = 2 if stage > 0 and i == 0 else 1
                blocks.append(BasicBlock(in_channels, channels, stride))
                in_channels = channels
        self.blocks = nn.Sequential(*blocks)
        self.dropout = nn.Dropout(p.dropout) if p.dropout > 0 else nn.Identity()
        self.output = nn.Linear(in_channels, n_outputs)
        self.n_outputs = n_outputs

    def embed(self, audio: torch.Tensor) -> torch.Tensor:
        """The pooled features ``(batch, channels)`` the output layer reads (for clustering)."""
        spectrogram = self.front_end(audio)  # (B, frequency, time) log power (or its PCEN or noise-floor ratio)
        if self.equalize:
            spectrogram = spectrogram - spectrogram.mean(dim=2, keepdim=True)
        image = self.input_norm(spectrogram).unsqueeze(1)  # (B, 1, frequency, time)
        maps = self.blocks(self.stem(image))
        return maps.amax(dim=(2, 3)) if self.pooling == "max" else maps.mean(dim=(2, 3))

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        return self.output(self.dropout(self.embed(audio)))


@register_architecture("resnet")
class ResNet(Architecture):
    """Small ResNet classifying whole clips from their log spectrogram."""

    kind = "clip"
    Params = ResNetParams

    @classmethod
    def build(cls, params: ResNetParams, samplerate: int, n_outputs: int) -> ResNetClipModel:
        p = params
        # a clip model has no frame contract: the normaliser repeats the clip's first and last
        # frames as its background beyond the clip, so that a clip of one window gives one frame
        front_end = build_front_end(
            "spectrogram", samplerate, p.window_ms, p.stride_ms, p.low_hz, p.high_hz,
            normalization=SpectralNormalization.of(p), pad=True,
        )  # fmt: skip
        return ResNetClipModel(front_end, p, n_outputs)
