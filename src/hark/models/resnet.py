"""A 2-D ResNet on log-spectrogram images for clip classification: architecture ``resnet``.

log-power spectrogram (frequency x time, the same in-graph front end as the frame models;
or ``front_end=mel``: ``n_mels`` mel bands) -> per-frequency batch norm -> [training only:
SpecAugment-style frequency and time masks] -> stem -> stages of basic residual blocks (two
3x3 convs with batch norm; each stage after the first halves both axes) -> mean (or maximum)
over frequency and time -> dropout -> linear logits.

The stages are today's small network (``preset=custom``: ``channels`` and
``blocks_per_stage``, a 3x3 stem) or a ResNet-18-like preset: four stages of two blocks,
64-512 channels (``resnet18``) or a quarter of that width (``resnet18-quarter``), behind He et
al.'s 7x7 stride-2 stem and 3x3 stride-2 max pool, which shrink the image four-fold on each
axis before the first stage.

The global pooling makes the logits independent of the clip's length: any clip at least one
spectrogram window long gives one row of logits. The mean suits sounds that fill the clip;
the maximum suits a thin trace in a mostly empty image (a USV's whistle in an event's crop),
which the mean dilutes.

The masks act on the spectrogram, which exists only inside the graph, so they are a layer of
the model (identity in eval mode, hence absent from exported models) rather than an
augmentation plugin on the waveform, where a band-stop filter or zeroed stretch of audio
would only approximate a masked stripe of the image (the window smears a zeroed stretch
over neighbouring frames, a filter's skirts leak). Mixing examples (``--augment mixup``)
needs the targets and is an augmentation plugin (:mod:`hark.train.augment_mix`).
"""

from __future__ import annotations

from typing import Annotated, Literal

import torch
from pydantic import Field, field_validator, model_validator
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
from hark.models.frontends import (
    MelSpectrogram,
    NormalizationKind,
    SpectralNormalization,
    Spectrogram,
    SpectrogramMasks,
    build_front_end,
    build_mel_front_end,
)
from hark.params import Params

StageChannels = Annotated[int, Field(ge=1, le=1024)]

PRESETS: dict[str, tuple[tuple[int, ...], int]] = {
    "resnet18": ((64, 128, 256, 512), 2),
    "resnet18-quarter": ((16, 32, 64, 128), 2),
}
"""ResNet-18-like presets: (channels of the four stages, blocks per stage), behind the 7x7/2 stem and 3x3/2 max pool."""

Preset = Literal["custom", "resnet18", "resnet18-quarter"]

WIDEBAND_CLIP_SAMPLERATES = (16_000, 50_000)
"""Clip supervision of recordings sampled in this range (Hz, inclusive) trains :data:`WIDEBAND_CLIP_DEFAULTS`."""

WIDEBAND_CLIP_DEFAULTS = {
    "front_end": "mel",
    "n_mels": 64,
    "window_ms": 23.22,
    "stride_ms": 11.61,
    "preset": "resnet18-quarter",
    "equalize": False,
    "freq_masks": 2,
    "time_masks": 2,
}
"""resnet's parameters for clip supervision of audible-band recordings (16-50 kHz: birds, insects,
frogs), where its own defaults (a 128 ms window at full frequency resolution: 2823 rows at
44.1 kHz) cost ~40 s a step. Measured on InsectSet32 (docs/models.md#clip-defaults): a 64-band
mel image of 1024-sample windows (at 44.1 kHz) every 11.6 ms, the quarter-width ResNet-18, two
frequency and two time masks, and no equalisation (a cicada's steady song is its spectrum,
which subtracting each band's mean over the clip would remove). Below 16 kHz (the whale tutorial's 2 kHz clips) and above
50 kHz resnet's own defaults stay: no evidence yet that these help there."""


class ResNetParams(Params):
    """Parameters of the ``resnet`` architecture."""

    front_end: Literal["spectrogram", "mel"] = Field(
        "spectrogram", description="input image computed inside the model: spectrogram (every DFT bin in the band) or mel (n_mels mel bands over the band)"
    )
    n_mels: int = Field(64, ge=1, le=256, description="mel bands of the mel front end (its image's rows)")
    window_ms: float = window_ms_field(128.0)
    stride_ms: float = stride_ms_field(32.0)
    low_hz: float = low_hz_field()
    high_hz: float = high_hz_field()
    input_normalization: NormalizationKind = input_normalization_field()
    norm_time_ms: float = norm_time_ms_field()
    pcen_gain: float = pcen_gain_field()
    pcen_bias: float = pcen_bias_field()
    pcen_exponent: float = pcen_exponent_field()
    preset: Preset = Field(
        "custom",
        description="the stages: custom (channels and blocks_per_stage, a 3x3 stem), resnet18 (ResNet-18's four stages of two blocks, "
        "64-512 channels, 7x7/2 stem and max pool) or resnet18-quarter (the same at a quarter of the width)",
    )
    channels: tuple[StageChannels, ...] = Field(
        (8, 16), min_length=1, max_length=6, description="channels of each stage; each stage after the first halves the image"
    )
    blocks_per_stage: int = Field(1, ge=1, le=8, description="basic residual blocks in each stage")
    dropout: float = dropout_field(0.2)
    equalize: bool = Field(
        True, description="subtract each frequency's mean log power over the clip, so steady background noise and hum vanish"
    )
    pooling: Literal["mean", "max"] = Field("mean", description="how the last stage's maps become features: their mean or their maximum over frequency and time")
    freq_masks: int = Field(0, ge=0, le=8, description="training only: frequency stripes of the standardised image set to 0 (SpecAugment)")
    max_freq_fraction: float = Field(0.15, ge=0, le=1, description="widest frequency mask, as a fraction of the image's rows")
    time_masks: int = Field(0, ge=0, le=8, description="training only: time stripes of the standardised image set to 0 (SpecAugment)")
    max_time_fraction: float = Field(0.1, ge=0, le=1, description="widest time mask, as a fraction of the image's frames")

    @field_validator("channels", mode="before")
    @classmethod
    def _split(cls, value):
        return split_int_list(value)

    @model_validator(mode="after")
    def _preset_or_stages(self):
        # (compared with the defaults, not with what was set: a saved configuration lists every field)
        fields = type(self).model_fields
        given = {name for name in ("channels", "blocks_per_stage") if getattr(self, name) != fields[name].default}
        if self.preset != "custom" and given:
            raise ValueError(f"preset {self.preset} sets the stages; give {' and '.join(sorted(given))} with preset custom only")
        return self

    def stages(self) -> tuple[tuple[int, ...], int]:
        """(channels of each stage, blocks per stage) of the preset, or as given."""
        return PRESETS.get(self.preset, (self.channels, self.blocks_per_stage))


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


def make_stem(out_channels: int, wide: bool) -> nn.Sequential:
    """3x3 conv (stride 1) or ResNet-18's 7x7 stride-2 conv and 3x3 stride-2 max pool, with batch norm and ReLU."""
    if not wide:
        return nn.Sequential(nn.Conv2d(1, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels), nn.ReLU())
    return nn.Sequential(
        nn.Conv2d(1, out_channels, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(out_channels), nn.ReLU(),
        nn.MaxPool2d(3, stride=2, padding=1),
    )  # fmt: skip


class ResNetClipModel(ClipModel):
    def __init__(self, front_end: Spectrogram | MelSpectrogram, p: ResNetParams, n_outputs: int):
        super().__init__()
        self.front_end = front_end
        self.min_samples = front_end.window
        """The shortest clip: one spectrogram window."""
        self.input_norm = nn.BatchNorm1d(front_end.n_channels)
        self.masks = SpectrogramMasks(p.freq_masks, p.max_freq_fraction, p.time_masks, p.max_time_fraction)
        self.equalize = p.equalize
        self.pooling = p.pooling
        stage_channels, blocks_per_stage = p.stages()
        first = stage_channels[0]
        self.stem = make_stem(first, wide=p.preset != "custom")
        blocks = []
        in_channels = first
        for stage, channels in enumerate(stage_channels):
            for i in range(blocks_per_stage):
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
        image = self.masks(self.input_norm(spectrogram)).unsqueeze(1)  # (B, 1, frequency, time)
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
        normalization = SpectralNormalization.of(p)
        if p.front_end == "mel":
            front_end = build_mel_front_end(
                samplerate, p.window_ms, p.stride_ms, p.n_mels, p.low_hz, p.high_hz, normalization, pad=True
            )
        else:
            front_end = build_front_end(
                "spectrogram", samplerate, p.window_ms, p.stride_ms, p.low_hz, p.high_hz,
                normalization=normalization, pad=True,
            )  # fmt: skip
        return ResNetClipModel(front_end, p, n_outputs)
