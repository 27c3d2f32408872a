"""A TCN on frequency-invariant spectrogram features, for ultrasonic calls: architecture ``calls``.

Mouse USVs and bat echolocation calls are whistles and sweeps whose pitch differs between
animals, strains, species and recordings. A frame model whose input channels are the
spectrogram's frequency bins (``tcn``) learns *where* the training calls lie in frequency and
misses the same shape elsewhere; on the four real USV recordings of ``../shared/data/usv``
a one-out ``tcn`` reached F1 0.70-0.75 on the recording whose calls lie lower (and under
broadband noise) against 0.95-1.0 for this architecture.

log-power spectrogram (``window_ms``, ``stride_ms``, bins in ``[low_hz, high_hz]``; or its
PCEN or noise-floor ratio, ``input_normalization``)
-> maximum over each ``frequency_pool`` adjacent bins -> one batch norm (a global gain)
-> ``conv_layers`` 2-D convolutions over (frequency, time) with ``conv_channels`` maps,
   ``conv_frequency_taps`` x ``conv_time_taps``, each with batch norm and ReLU; the
   first is followed by a maximum over pairs of frequency rows
-> the maximum of each map over frequency: ``conv_channels`` features per frame that do
   not change when a call moves up or down in frequency
-> the ``tcn``'s dilated residual blocks (``n_filters``, ``kernel_size``, ``n_dilations``,
   ``n_stacks``) -> logits per frame.

The 2-D convolutions are padded in frequency only, never in time, so the frame contract of
:mod:`hark.models.base` holds (one output per ``stride_ms``, each from a fixed window of
samples). The default context is short (about 10 ms at the default hop): a local detector
of tonal traces, which does not bridge the quiet gaps between calls; segmentation then
joins pieces of one call (``hark ethogram --fill-gap-ms``).
"""

from __future__ import annotations

import torch
from pydantic import Field, model_validator
from torch import nn

from hark.errors import HarkError
from hark.models.base import Architecture, register_architecture
from hark.models.fields import (
    dropout_field,
    high_hz_field,
    input_normalization_field,
    norm_groups_field,
    norm_time_ms_field,
    normalization_field,
    pcen_bias_field,
    pcen_exponent_field,
    pcen_gain_field,
    stride_ms_field,
    window_ms_field,
)
from hark.models.frontends import NormalizationKind, SpectralNormalization, Spectrogram, make_normalizer, ms_to_samples
from hark.models.layers import NormKind
from hark.models.tcn import TCNFrameModel
from hark.params import Params


class CallsParams(Params):
    """Parameters of the ``calls`` architecture (the TCN's names for the TCN part)."""

    window_ms: float = window_ms_field(1.0)
    stride_ms: float = stride_ms_field(0.5)
    low_hz: float | None = Field(
        None, ge=0, le=500_000,
        description="lowest frequency kept by the spectrogram (Hz); default 15000, or an eighth of the sample rate below 120 kHz",
    )  # fmt: skip
    high_hz: float = high_hz_field()
    input_normalization: NormalizationKind = input_normalization_field()
    norm_time_ms: float = norm_time_ms_field()
    pcen_gain: float = pcen_gain_field()
    pcen_bias: float = pcen_bias_field()
    pcen_exponent: float = pcen_exponent_field()
    frequency_pool: int = Field(2, ge=1, le=16, description="adjacent frequency bins joined by their maximum before the 2-D convolutions")
    conv_layers: int = Field(2, ge=1, le=4, description="2-D convolutions over frequency and time, shared across frequency")
    conv_channels: int = Field(8, ge=1, le=64, description="feature maps of each 2-D convolution (and features per frame)")
    conv_frequency_taps: int = Field(5, ge=1, le=31, description="taps of the 2-D convolutions along frequency (odd: padded to keep the rows)")
    conv_time_taps: int = Field(3, ge=1, le=15, description="taps of the 2-D convolutions along time (spectrogram frames)")
    n_filters: int = Field(32, ge=1, le=512, description="channels of every conv in the residual blocks")
    kernel_size: int = Field(4, ge=2, le=64, description="taps of each dilated conv (in frames)")
    n_dilations: int = Field(4, ge=1, le=16, description="blocks per stack, dilated 1, 2, 4, ... 2**(n_dilations-1)")
    n_stacks: int = Field(1, ge=1, le=8, description="repeats of the dilation sequence")
    skip_connections: bool = Field(True, description="sum every block's skip output (else use the last block's)")
    dropout: float = dropout_field(0.1)
    normalization: NormKind = normalization_field("batch")
    norm_groups: int = norm_groups_field()

    @model_validator(mode="after")
    def _odd_frequency_taps(self) -> CallsParams:
        if self.conv_frequency_taps % 2 == 0:
            raise ValueError(f"conv_frequency_taps {self.conv_frequency_taps} must be odd (the rows are padded by half of it on each side)")
        return self


def default_low_hz(samplerate: float) -> float:
    """``low_hz`` when not given: 15 kHz, below which cage and room noise lie, for ultrasonic
    recordings; an eighth of the sample rate for recordings sampled below 120 kHz."""
    return 15000.0 if samplerate >= 120_000 else samplerate / 8


class FrequencyInvariantFeatures(nn.Module):
    """``(B, 1, T)`` audio -> ``(B, conv_channels, frames)``: 2-D conv features, maximum over frequency.

    Exposes ``window``, ``hop`` (samples) and ``n_channels`` like the other front ends, and
    ``low_hz``/``high_hz``, the band its spectrogram keeps.
    """

    def __init__(self, samplerate: float, p: CallsParams):
        super().__init__()
        nyquist = samplerate / 2
        low_hz = default_low_hz(samplerate) if p.low_hz is None else p.low_hz
        high_hz = nyquist if p.high_hz == 0 else p.high_hz
        if low_hz >= nyquist:
            raise HarkError(
                f"low_hz {low_hz:g} Hz is not below the Nyquist frequency {nyquist:g} Hz of {samplerate:g} Hz audio; "
                "the calls this model looks for cannot be in such recordings (lower low_hz, or record at a higher rate)"
            )
        hop = ms_to_samples(p.stride_ms, samplerate)
        normalizer = make_normalizer(SpectralNormalization.of(p), max(hop, 1) / samplerate)
        self.spectrogram = Spectrogram(samplerate, ms_to_samples(p.window_ms, samplerate), hop, low_hz, high_hz, normalizer)
        self.low_hz, self.high_hz = float(low_hz), float(high_hz)
        self.frequency_pool = p.frequency_pool
        self.gain = nn.BatchNorm2d(1)  # log power has an arbitrary offset: one learnt shift and scale
        layers: list[nn.Module] = []
        channels_in = 1
        for i in range(p.conv_layers):
            layers += [
                nn.Conv2d(channels_in, p.conv_channels, (p.conv_frequency_taps, p.conv_time_taps), padding=(p.conv_frequency_taps // 2, 0)),
                nn.BatchNorm2d(p.conv_channels),
                nn.ReLU(),
            ]
            if i == 0 and p.conv_layers > 1:
                layers.append(nn.MaxPool2d((2, 1), ceil_mode=True))  # halves the rows the later layers cost
            channels_in = p.conv_channels
        self.convs = nn.Sequential(*layers)
        self.hop = self.spectrogram.hop
        self.window = self.spectrogram.window + self.hop * p.conv_layers * (p.conv_time_taps - 1)
        self.n_channels = p.conv_channels

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        x = self.spectrogram(audio)[:, None]  # (B, 1, F, T)
        if self.frequency_pool > 1:
            x = nn.functional.max_pool2d(x, (self.frequency_pool, 1), ceil_mode=True)
        # channels-last: the CPU's 2-D convolutions with few maps run about 1.8 times faster so
        x = self.convs(self.gain(x).contiguous(memory_format=torch.channels_last))
        return x.amax(dim=2)


@register_architecture("calls")
class Calls(Architecture):
    """TCN on frequency-invariant 2-D conv features of a spectrogram: ultrasonic whistles and sweeps (USVs, bats)."""

    kind = "frame"
    Params = CallsParams

    @classmethod
    def build(cls, params: CallsParams, samplerate: int, n_outputs: int) -> TCNFrameModel:
        features = FrequencyInvariantFeatures(samplerate, params)
        return TCNFrameModel(features, nn.BatchNorm1d(features.n_channels), params, n_outputs)

