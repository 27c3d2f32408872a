"""SongExplorer-style convolutional frame classifier: architecture ``convnet``.

front end (waveform, spectrogram or mel-cepstrum, computed in the graph)
-> ``n_conv_layers`` valid 1-D convolutions over time (spectral bins or cepstral
   coefficients as channels), each optionally strided, dilated, normalised, residual and pooled;
   with a spectral front end the first ``frequency_conv_layers`` of them are 2-D instead, over
   frequency and time (SongExplorer's time x frequency kernels, with their own stride and
   dilation in frequency; :mod:`hark.models.layers2d`)
-> a "dense" conv whose kernel spans every frame left of one context window, so that one
   context window gives exactly one output frame
-> 1x1 convs for further dense layers and for the output logits.

The receptive field is the context: ``context_ms`` is rounded down to the nearest length the
layers can tile (the dense conv grows in steps of the conv layers' total stride), and the
model's ``context`` and ``stride`` attributes give the exact samples.
With ``input_normalization`` pcen or noise_floor, the normaliser's background (three
``norm_time_ms`` of audio on each side) adds to ``context_ms``. With ``input_channels`` C > 1
the model reads ``(batch, C, T)``: each channel through the same front end, then stacked or
mixed (``channel_mixing``, :mod:`hark.models.channels`).
"""

from __future__ import annotations

from typing import Annotated

import torch
from pydantic import Field, field_validator, model_validator
from torch import nn

from hark.errors import HarkError
from hark.models.base import Architecture, FrameModel, register_architecture
from hark.models.channels import ChannelMixing, channel_mixing_field, input_channels_field, with_input_channels
from hark.models.fields import (
    dropout_field,
    front_end_field,
    high_hz_field,
    input_normalization_field,
    low_hz_field,
    n_dct_field,
    n_mels_field,
    norm_groups_field,
    norm_time_ms_field,
    normalization_field,
    pcen_bias_field,
    pcen_exponent_field,
    pcen_gain_field,
    split_int_list,
    stride_ms_field,
    window_ms_field,
)
from hark.models.frontends import (
    FrontEndKind,
    NormalizationKind,
    SpectralNormalization,
    build_front_end,
    ms_to_samples,
)
from hark.models.layers import NormKind, PoolKind, Span, ValidConvBlock, make_norm
from hark.models.layers2d import ValidConv2dBlock
from hark.params import Params

DenseUnits = Annotated[int, Field(ge=1, le=4096)]


class ConvNetParams(Params):
    """Parameters of the ``convnet`` architecture (names follow SongExplorer's where they exist)."""

    context_ms: float = Field(
        204.8,
        gt=0,
        le=60_000,
        description="receptive field of one output frame (ms); rounded down to what the layers tile "
        "(pcen and noise_floor add their background, 6 norm_time_ms)",
    )
    shift_by_ms: float = Field(
        0.0, ge=0, le=60_000, description="output stride (ms); 0 = the smallest the front end and pooling allow"
    )
    front_end: FrontEndKind = front_end_field("waveform", "waveform", "spectrogram", "mel-cepstrum")
    window_ms: float = window_ms_field(6.4)
    stride_ms: float = stride_ms_field(1.6)
    low_hz: float = low_hz_field()
    high_hz: float = high_hz_field()
    n_mels: int = n_mels_field(7)
    n_dct: int = n_dct_field(7)
    input_normalization: NormalizationKind = input_normalization_field()
    norm_time_ms: float = norm_time_ms_field()
    pcen_gain: float = pcen_gain_field()
    pcen_bias: float = pcen_bias_field()
    pcen_exponent: float = pcen_exponent_field()
    kernel_size: int = Field(9, ge=1, le=255, description="taps of each conv layer (in front-end frames)")
    feature_maps: int = Field(32, ge=1, le=1024, description="output channels of each conv layer")
    n_conv_layers: int = Field(4, ge=0, le=32, description="number of conv layers before the dense stage")
    dilation_growth: int = Field(
        1, ge=1, le=4, description="conv layer i is dilated by dilation_growth**i (1 = no dilation, 2 = 1,2,4,...)"
    )
    conv_stride: int = Field(1, ge=1, le=8, description="stride of each conv layer")
    pooling: PoolKind = Field("max", description="pooling after each conv layer: none, max or avg")
    pool_size: int = Field(2, ge=2, le=16, description="width and stride of each pooling")
    residual: bool = Field(False, description="add each 1-D conv layer's (cropped) input to its output")
    frequency_conv_layers: int = Field(
        0, ge=0, le=16, description="the first this many conv layers are 2-D, over frequency and time (a spectral front end)"
    )
    frequency_kernel_size: int = Field(3, ge=1, le=255, description="taps in frequency of each 2-D conv layer (rows)")
    frequency_stride: int = Field(1, ge=1, le=8, description="stride in frequency of each 2-D conv layer")
    frequency_dilation_growth: int = Field(
        1, ge=1, le=4, description="2-D conv layer i is dilated in frequency by frequency_dilation_growth**i"
    )
    dropout: float = dropout_field(0.1)
    normalization: NormKind = normalization_field("batch")
    norm_groups: int = norm_groups_field()
    dense_layers: tuple[DenseUnits, ...] = Field(
        (32,),
        max_length=8,
        description="units of the dense layers before the output, e.g. 64 or 64,32 or empty for none",
    )
    input_channels: int = input_channels_field()
    channel_mixing: ChannelMixing = channel_mixing_field()

    @field_validator("dense_layers", mode="before")
    @classmethod
    def _split(cls, value):
        return split_int_list(value)

    @model_validator(mode="after")
    def _frequency_layers(self):
        if self.frequency_conv_layers > self.n_conv_layers:
            raise ValueError(f"frequency_conv_layers {self.frequency_conv_layers} exceeds n_conv_layers {self.n_conv_layers}")
        if self.frequency_conv_layers and self.front_end == "waveform":
            raise ValueError("frequency_conv_layers need a spectral front end (front_end spectrogram or mel-cepstrum)")
        if self.frequency_conv_layers and self.input_channels > 1:
            raise ValueError("frequency_conv_layers read one channel's spectrogram; give input_channels 1 or no frequency_conv_layers")
        return self


class ConvNetFrameModel(FrameModel):
    """The network :class:`ConvNet` builds; ``layers`` holds the named stages after the front end."""

    def __init__(self, front_end: nn.Module, input_norm: nn.Module, layers: dict[str, nn.Module], span: Span):
        super().__init__()
        self.front_end = front_end
        self.input_norm = input_norm
        self.layers = nn.ModuleDict(layers)
        self.context, self.stride = span.size, span.jump
        self.n_outputs = layers["output"].out_channels

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        x = self.input_norm(self.front_end(audio))
        for layer in self.layers.values():
            x = layer(x)
        return x

    def hidden_layers(self) -> list[str]:
        return ["front_end", *self.layers.keys()]

    def forward_hidden(self, audio: torch.Tensor) -> dict[str, torch.Tensor]:
        """Each stage's output ``(batch, channels, frames)``; stages have their own frame rates."""
        x = self.input_norm(self.front_end(audio))
        hidden = {"front_end": x}
        for name, layer in self.layers.items():
            x = hidden[name] = layer(x)
        return hidden


class DenseStage(nn.Sequential):
    """conv -> norm -> ReLU -> dropout; the first spans all frames left of one context window."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, norm, norm_groups, dropout):
        super().__init__(
            nn.Conv1d(in_channels, out_channels, kernel_size, stride=stride),
            make_norm(norm, out_channels, norm_groups),
            nn.ReLU(),
            nn.Dropout(dropout) if dropout > 0 else nn.Identity(),
        )


@register_architecture("convnet")
class ConvNet(Architecture):
    """SongExplorer-style convolutional network classifying each context window of audio."""

    kind = "frame"
    Params = ConvNetParams

    @classmethod
    def build(cls, params: ConvNetParams, samplerate: int, n_outputs: int) -> ConvNetFrameModel:
        p = params
        front_end = build_front_end(
            p.front_end,
            samplerate,
            p.window_ms,
            p.stride_ms,
            p.low_hz,
            p.high_hz,
            p.n_mels,
            p.n_dct,
            SpectralNormalization.of(p),
        )
        front_end = with_input_channels(front_end, p.input_channels, p.channel_mixing)
        # the normaliser's background lies around the window context_ms describes
        smoother_samples = front_end.window - getattr(front_end, "fft_window", front_end.window)
        # spectral features have arbitrary offsets (log power); a per-channel batch norm
        # standardises them and is a fixed affine map in eval mode, so the contract holds
        input_norm = nn.BatchNorm1d(front_end.n_channels) if p.front_end != "waveform" else nn.Identity()
        span = Span(front_end.window, front_end.hop)
        layers: dict[str, nn.Module] = {}
        channels = front_end.n_channels
        maps, frequencies = 1, front_end.n_channels  # 2-D layers: feature maps x frequency rows
        for i in range(p.n_conv_layers):
            if i < p.frequency_conv_layers:
                block2d = ValidConv2dBlock(
                    maps, frequencies, p.feature_maps, p.kernel_size, p.frequency_kernel_size,
                    dilation=p.dilation_growth**i, stride=p.conv_stride,
                    frequency_dilation=p.frequency_dilation_growth**i, frequency_stride=p.frequency_stride,
                    norm=p.normalization, norm_groups=p.norm_groups, dropout=p.dropout, pooling=p.pooling, pool_size=p.pool_size,
                )  # fmt: skip
                span = block2d.span(span)
                layers[f"conv{i + 1}"] = block2d
                maps, frequencies, channels = p.feature_maps, block2d.out_frequencies, block2d.out_features
                continue
            block = ValidConvBlock(
                channels,
                p.feature_maps,
                p.kernel_size,
                dilation=p.dilation_growth**i,
                stride=p.conv_stride,
                norm=p.normalization,
                norm_groups=p.norm_groups,
                residual=p.residual,
                dropout=p.dropout,
                pooling=p.pooling,
                pool_size=p.pool_size,
            )
            span = block.span(span)
            layers[f"conv{i + 1}"] = block
            channels = p.feature_maps

        context = ms_to_samples(p.context_ms, samplerate) + smoother_samples
        if context < span.size:
            needed = span.size - smoother_samples
            raise HarkError(
                f"context_ms={p.context_ms:g} ({context - smoother_samples} samples) is shorter than the {needed} samples "
                f"({1000 * needed / samplerate:g} ms) the front end and conv layers need; "
                "lengthen the context or use fewer, smaller, less dilated layers"
            )
        dense_kernel = (context - span.size) // span.jump + 1
        dense_stride = cls._dense_stride(p.shift_by_ms, samplerate, span.jump)
        units = [*p.dense_layers, n_outputs]
        for i, width in enumerate(units):
            kernel, stride = (dense_kernel, dense_stride) if i == 0 else (1, 1)
            if i == len(units) - 1:
                layers["output"] = nn.Conv1d(channels, width, kernel, stride=stride)
            else:
                layers[f"dense{i + 1}"] = DenseStage(
                    channels, width, kernel, stride, p.normalization, p.norm_groups, p.dropout
                )
            span = span.then(kernel, stride)
            channels = width
        return ConvNetFrameModel(front_end, input_norm, layers, span)

    @staticmethod
    def _dense_stride(shift_by_ms: float, samplerate: int, jump: int) -> int:
        """The dense conv's stride (in frames of the last conv layer) that gives ``shift_by_ms``."""
        if shift_by_ms == 0:
            return 1
        shift = ms_to_samples(shift_by_ms, samplerate)
        if shift < jump or shift % jump:
            raise HarkError(
                f"shift_by_ms={shift_by_ms:g} ({shift} samples) must be a multiple of {jump} samples "
                f"({1000 * jump / samplerate:g} ms), the stride of the front end, conv strides and pooling"
            )
        return shift // jump
