"""Building blocks shared by the frame architectures: receptive-field arithmetic, per-frame
normalisation, cropping of residual paths and valid (unpadded) convolution blocks.

Everything here keeps a frame model fully convolutional: no padding in time and no
statistic computed across time, so an output frame depends only on its own context window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from hark.errors import HarkError

NormKind = Literal["none", "batch", "group"]
PoolKind = Literal["none", "max", "avg"]


@dataclass(frozen=True)
class Span:
    """Receptive field of one output (``size`` input samples) and the input step between outputs (``jump``)."""

    size: int = 1
    jump: int = 1

    def then(self, kernel: int, stride: int = 1, dilation: int = 1) -> Span:
        """The span after a further valid layer of ``kernel`` taps, ``stride`` and ``dilation``."""
        return Span(self.size + dilation * (kernel - 1) * self.jump, self.jump * stride)


class FrameGroupNorm(nn.Module):
    """Group normalisation over the channels of each frame on its own.

    ``nn.GroupNorm`` pools its statistics over time too, so an output would depend on the
    whole chunk and classifying a long chunk would differ from classifying each window;
    normalising each frame across the channels of its group keeps the frame contract.
    """

    def __init__(self, groups: int, channels: int, eps: float = 1e-5):
        super().__init__()
        if channels % groups:
            raise HarkError(f"group normalization: {channels} feature maps do not split into {groups} groups")
        self.groups, self.eps = groups, eps
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        grouped = x.reshape(x.shape[0], self.groups, -1, x.shape[-1])
        mean = grouped.mean(dim=2, keepdim=True)
        var = (grouped - mean).pow(2).mean(dim=2, keepdim=True)
        normed = ((grouped - mean) / torch.sqrt(var + self.eps)).reshape(x.shape)
        return normed * self.weight[:, None] + self.bias[:, None]


def make_norm(kind: NormKind, channels: int, groups: int = 1) -> nn.Module:
    """Batch norm (per channel; a fixed affine map in eval mode), per-frame group norm, or nothing."""
    if kind == "batch":
        return nn.BatchNorm1d(channels)
    if kind == "group":
        return FrameGroupNorm(groups, channels)
    return nn.Identity()


def crop(x: torch.Tensor, offset: int, length: int, stride: int = 1) -> torch.Tensor:
    """``x[..., offset + i * stride]`` for ``i < length``: the skip path aligned with a valid conv's output."""
    if stride == 1:
        return x.narrow(-1, offset, length)
    return x.narrow(-1, offset, (length - 1) * stride + 1)[..., ::stride]


def make_pool(kind: PoolKind, size: int) -> nn.Module:
    """Non-overlapping pooling (kernel == stride == size), which drops a trailing partial window."""
    if kind == "max":
        return nn.MaxPool1d(size, size)
    if kind == "avg":
        return nn.AvgPool1d(size, size)
    return nn.Identity()


class ValidConvBlock(nn.Module):
    """conv (valid, strided, dilated) -> norm [+ cropped residual] -> ReLU -> dropout -> pooling.

    The residual path takes the input samples at the centres of the conv's taps, so it adds no
    receptive field; a 1x1 conv projects it when the channel count changes.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        *,
        dilation: int = 1,
        stride: int = 1,
        norm: NormKind = "none",
        norm_groups: int = 1,
        residual: bool = False,
        dropout: float = 0.0,
        pooling: PoolKind = "none",
        pool_size: int = 2,
    ):
        super().__init__()
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, stride=stride, dilation=dilation)
        self.norm = make_norm(norm, out_channels, norm_groups)
        self.residual = residual
        self.skip_offset = dilation * (kernel_size - 1) // 2
        self.skip_stride = stride
        self.project = (
            nn.Conv1d(in_channels, out_channels, 1, bias=False) if residual and in_channels != out_channels else None
        )
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.pool = make_pool(pooling, pool_size)
        self.pool_size = pool_size if pooling != "none" else 1
        self.kernel_size, self.dilation, self.stride = kernel_size, dilation, stride

    def span(self, before: Span) -> Span:
        after_conv = before.then(self.kernel_size, self.stride, self.dilation)
        return after_conv.then(self.pool_size, self.pool_size) if self.pool_size > 1 else after_conv

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm(self.conv(x))
        if self.residual:
            skip = crop(x, self.skip_offset, y.shape[-1], self.skip_stride)
            y = y + (self.project(skip) if self.project is not None else skip)
        return self.pool(self.dropout(torch.relu(y)))
