"""A convolutional autoencoder learnt from unlabelled audio: architecture ``autoencoder``.

front end (waveform, spectrogram or mel-cepstrum) -> a fixed standardisation of the features
-> **encoder**: ``depth`` valid 1-D convolutions, each ``kernel_size`` taps and ``conv_stride``
apart -> a 1x1 conv to the ``bottleneck`` code
-> **decoder** (training only): a 1x1 conv back to ``filters`` channels, then ``depth``
transposed convolutions mirroring the encoder's, the last one back to the features.

Trained with ``hark train --supervision unsupervised`` (labels are not needed): the loss is
the mean squared error between the decoder's output and the standardised features it was
given (see :class:`hark.train.trainer.ReconstructionObjective`). The features (the samples
themselves for the waveform) are standardised by a batch norm *without* learnt scale and
shift, so the reconstruction target has unit variance per channel whatever the recording
level, and the network cannot shrink it to make the task easy; a constant prediction then
scores an MSE of about 1.

The encoder is a frame model like the others (valid convolutions only): ``forward`` returns
the code, ``(batch, bottleneck, frames)``, which is what ``hark classify`` and ``hark freeze``
see, and its layers (``conv1`` ... ``conv<depth>``, ``bottleneck``) are what transfer learning
keeps (``hark train --transfer AUTOENCODER --keep-layers N``). Built for a number of outputs
other than ``bottleneck`` (as ``build_model`` may ask), a 1x1 conv reads them out of the code.
"""

from __future__ import annotations

import torch
from pydantic import Field
from torch import nn

from hark.models.base import Architecture, FrameModel, register_architecture
from hark.models.fields import (
    dropout_field,
    front_end_field,
    high_hz_field,
    low_hz_field,
    n_dct_field,
    n_mels_field,
    norm_groups_field,
    normalization_field,
    stride_ms_field,
    window_ms_field,
)
from hark.models.frontends import FrontEndKind, build_front_end
from hark.models.layers import NormKind, Span, ValidConvBlock, make_norm
from hark.params import Params


class AutoencoderParams(Params):
    """Parameters of the ``autoencoder`` architecture."""

    front_end: FrontEndKind = front_end_field("spectrogram", "waveform", "spectrogram", "mel-cepstrum")
    window_ms: float = window_ms_field(6.4)
    stride_ms: float = stride_ms_field(1.6)
    low_hz: float = low_hz_field()
    high_hz: float = high_hz_field()
    n_mels: int = n_mels_field(7)
    n_dct: int = n_dct_field(7)
    depth: int = Field(3, ge=1, le=8, description="conv layers of the encoder (the decoder mirrors them)")
    filters: int = Field(32, ge=1, le=1024, description="channels of each encoder and decoder layer")
    kernel_size: int = Field(5, ge=1, le=255, description="taps of each encoder conv and decoder transposed conv (in front-end frames)")
    conv_stride: int = Field(2, ge=1, le=8, description="stride of each encoder conv (and upsampling of each decoder layer)")
    bottleneck: int = Field(8, ge=1, le=1024, description="channels of the code between encoder and decoder")
    dropout: float = dropout_field(0.0)
    normalization: NormKind = normalization_field("batch")
    norm_groups: int = norm_groups_field()


class AutoencoderModel(FrameModel):
    """The encoder (``forward``: the code) and the decoder (``reconstruct``: features and their reconstruction)."""

    def __init__(self, front_end: nn.Module, p: AutoencoderParams, n_outputs: int):
        super().__init__()
        self.front_end = front_end
        channels = front_end.n_channels
        self.input_norm = _standardization(channels)
        span = Span(front_end.window, front_end.hop)
        encoder: dict[str, nn.Module] = {}
        width = channels
        for i in range(p.depth):
            block = ValidConvBlock(
                width, p.filters, p.kernel_size, stride=p.conv_stride, norm=p.normalization,
                norm_groups=p.norm_groups, dropout=p.dropout,
            )
            span = block.span(span)
            encoder[f"conv{i + 1}"] = block
            width = p.filters
        encoder["bottleneck"] = nn.Conv1d(width, p.bottleneck, 1)
        self.encoder = nn.ModuleDict(encoder)
        decoder: dict[str, nn.Module] = {"expand": nn.Sequential(nn.Conv1d(p.bottleneck, p.filters, 1), nn.ReLU())}
        for i in reversed(range(p.depth)):
            out = channels if i == 0 else p.filters
            deconv = nn.ConvTranspose1d(p.filters, out, p.kernel_size, stride=p.conv_stride)
            # the last layer is linear: it returns standardised features, negative ones included
            decoder[f"deconv{i + 1}"] = deconv if i == 0 else nn.Sequential(
                deconv, make_norm(p.normalization, out, p.norm_groups), nn.ReLU()
            )
        self.decoder = nn.ModuleDict(decoder)
        self.output = nn.Identity() if n_outputs == p.bottleneck else nn.Conv1d(p.bottleneck, n_outputs, 1)
        self.context, self.stride, self.n_outputs = span.size, span.jump, n_outputs
        self.bottleneck = p.bottleneck

    def features(self, audio: torch.Tensor) -> torch.Tensor:
        """The standardised front-end features the encoder reads and the decoder reconstructs."""
        return self.input_norm(self.front_end(audio))

    def encode(self, features: torch.Tensor) -> torch.Tensor:
        x = features
        for layer in self.encoder.values():
            x = layer(x)
        return x

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        x = code
        for layer in self.decoder.values():
            x = layer(x)
        return x

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        return self.output(self.encode(self.features(audio)))

    def reconstruct(self, audio: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(target, reconstruction)``, both ``(batch, feature channels, n)``.

        Valid convolutions drop the frames past the last whole stride; the transposed ones
        give back the first ``n`` frames, and the target is cropped to them.
        """
        features = self.features(audio)
        reconstruction = self.decode(self.encode(features))
        return features[..., : reconstruction.shape[-1]].detach(), reconstruction

    def hidden_layers(self) -> list[str]:
        return ["front_end", *self.encoder.keys()]

    def forward_hidden(self, audio: torch.Tensor) -> dict[str, torch.Tensor]:
        """Each encoder stage's output ``(batch, channels, frames)``; stages have their own frame rates."""
        x = self.features(audio)
        hidden = {"front_end": x}
        for name, layer in self.encoder.items():
            x = hidden[name] = layer(x)
        return hidden


def _standardization(channels: int) -> nn.BatchNorm1d:
    """A batch norm whose scale and shift stay 1 and 0 (never trained).

    The reconstruction target is its output, so a learnt scale would let the network shrink
    the target instead of learning to reproduce it; in eval mode it is a fixed map (frame
    contract). (Not ``affine=False``: every batch norm in hark has the same state entries.)
    """
    norm = nn.BatchNorm1d(channels)
    norm.weight.requires_grad_(False)
    norm.bias.requires_grad_(False)
    return norm


@register_architecture("autoencoder")
class Autoencoder(Architecture):
    """Convolutional autoencoder learnt from unlabelled audio; its encoder is a pretrained part for transfer."""

    kind = "frame"
    Params = AutoencoderParams
    objective = "reconstruction"
    """Trained by reconstructing its input (``hark train --supervision unsupervised``), not by labels."""

    @classmethod
    def build(cls, params: AutoencoderParams, samplerate: int, n_outputs: int) -> AutoencoderModel:
        p = params
        front_end = build_front_end(p.front_end, samplerate, p.window_ms, p.stride_ms, p.low_hz, p.high_hz, p.n_mels, p.n_dct)
        return AutoencoderModel(front_end, p, n_outputs)

    @classmethod
    def output_names(cls, params: AutoencoderParams) -> list[str]:
        """The outputs of an autoencoder hark trains: its code's channels."""
        return [f"code{i + 1}" for i in range(params.bottleneck)]
