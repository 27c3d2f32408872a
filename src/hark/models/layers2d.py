"""Valid 2-D convolutions over frequency and time, for the first layers of the convnet.

SongExplorer's convolutional network can start with 2-D kernels over the spectrogram (time x
frequency, with a stride and dilation of their own in frequency), which learn a call's shape
in the time-frequency plane wherever it lies in frequency. :class:`ValidConv2dBlock` is such a
layer with the frame contract of :mod:`hark.models.layers`: valid (unpadded) in time, nothing
computed across time (batch norm is a fixed affine map in eval mode; the group norm
normalises each time-frequency cell across its channel group, as :class:`FrameGroupNorm` does
each frame), pooled in time only. Between
blocks a tensor travels as ``(batch, channels x frequencies, frames)``, as every other layer's
does, so hidden-layer activations, exports and the 1-D layers after it see the usual shape;
each block unfolds it to ``(batch, channels, frequencies, frames)`` and folds its output back.
"""

from __future__ import annotations

import torch
from torch import nn

from hark.errors import HarkError
from hark.models.layers import NormKind, PoolKind, Span


class CellGroupNorm(nn.Module):
    """:class:`FrameGroupNorm` of every time-frequency cell: channels normalised per (frequency, frame).

    Reshapes take the batch and the length from the tensor itself (``x.shape[0]``,
    ``x.shape[-1]``), which the ONNX exporter records as shape operations; ``flatten`` and
    ``unflatten`` were recorded with the traced sizes and froze the length.
    """

    def __init__(self, groups: int, channels: int, eps: float = 1e-5):
        super().__init__()
        if channels % groups:
            raise HarkError(f"group normalization: {channels} feature maps do not split into {groups} groups")
        self.groups, self.per_group, self.eps = groups, channels // groups, eps
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        grouped = x.reshape(x.shape[0], self.groups, self.per_group, -1, x.shape[-1])
        mean = grouped.mean(dim=2, keepdim=True)
        var = (grouped - mean).pow(2).mean(dim=2, keepdim=True)
        normed = ((grouped - mean) / torch.sqrt(var + self.eps)).reshape(x.shape[0], -1, x.shape[2], x.shape[-1])
        return normed * self.weight[:, None, None] + self.bias[:, None, None]


def frequencies_after(frequencies: int, kernel: int, stride: int, dilation: int) -> int:
    """Frequency rows a valid conv leaves of ``frequencies`` (0 when the kernel does not fit)."""
    reach = dilation * (kernel - 1) + 1
    return 0 if frequencies < reach else (frequencies - reach) // stride + 1


class ValidConv2dBlock(nn.Module):
    """conv2d (valid; strided and dilated in time and in frequency) -> norm -> ReLU -> dropout -> pooling in time."""

    def __init__(
        self,
        in_channels: int,
        in_frequencies: int,
        out_channels: int,
        kernel_size: int,
        frequency_kernel: int,
        *,
        dilation: int = 1,
        stride: int = 1,
        frequency_dilation: int = 1,
        frequency_stride: int = 1,
        norm: NormKind = "none",
        norm_groups: int = 1,
        dropout: float = 0.0,
        pooling: PoolKind = "none",
        pool_size: int = 2,
    ):
        super().__init__()
        self.out_frequencies = frequencies_after(in_frequencies, frequency_kernel, frequency_stride, frequency_dilation)
        if self.out_frequencies < 1:
            raise HarkError(
                f"a 2-D conv layer's frequency kernel of {frequency_kernel} (dilation {frequency_dilation}) does not fit "
                f"the {in_frequencies} frequency rows it is given; use a smaller frequency_kernel_size, less frequency "
                "dilation or stride, or fewer 2-D layers (a wider band: low_hz/high_hz, a longer window_ms)"
            )
        self.in_channels, self.in_frequencies, self.out_channels = in_channels, in_frequencies, out_channels
        self.conv = nn.Conv2d(
            in_channels, out_channels, (frequency_kernel, kernel_size),
            stride=(frequency_stride, stride), dilation=(frequency_dilation, dilation),
        )  # fmt: skip
        if norm == "batch":
            self.norm: nn.Module = nn.BatchNorm2d(out_channels)
        elif norm == "group":
            self.norm = CellGroupNorm(norm_groups, out_channels)
        else:
            self.norm = nn.Identity()
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        if pooling == "max":
            self.pool: nn.Module = nn.MaxPool2d((1, pool_size), (1, pool_size))
        elif pooling == "avg":
            self.pool = nn.AvgPool2d((1, pool_size), (1, pool_size))
        else:
            self.pool = nn.Identity()
        self.pool_size = pool_size if pooling != "none" else 1
        self.kernel_size, self.dilation, self.stride = kernel_size, dilation, stride

    @property
    def out_features(self) -> int:
        """Channels of the folded output: feature maps x frequency rows."""
        return self.out_channels * self.out_frequencies

    def span(self, before: Span) -> Span:
        after_conv = before.then(self.kernel_size, self.stride, self.dilation)
        return after_conv.then(self.pool_size, self.pool_size) if self.pool_size > 1 else after_conv

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # (batch, channels x rows, frames) <-> (batch, channels, rows, frames); sizes taken from
        # the tensor, so that an ONNX export keeps its batch and time axes free (CellGroupNorm)
        x = x.reshape(x.shape[0], self.in_channels, self.in_frequencies, x.shape[-1])
        y = self.pool(self.dropout(torch.relu(self.norm(self.conv(x)))))
        return y.reshape(y.shape[0], -1, y.shape[-1])
