"""Transfer learning: the first layers of trained frame models under new layers, architecture ``transfer``.

::

    audio at the new data's rate
      -> per pretrained model: [resampling to its rate] -> its front end -> its first N layers
      -> the kept features of every model, frames lined up, channels concatenated
      -> new valid conv layers -> new dense (1x1) layers -> logits of the new labels

``hark train --transfer MODEL [--transfer MODEL2] --keep-layers N`` builds it (see
:func:`plan_transfer` and :func:`load_kept_weights`); the kept layers are frozen (weights,
and batch-norm statistics: they stay in eval mode) unless ``fine_tune`` is set. The result is
an ordinary model folder: its configuration lists each pretrained model's architecture and
parameters (so the network can be rebuilt anywhere) and its checkpoints hold every weight,
the kept ones included, so the pretrained folders are not needed afterwards.

Which layers a model has to keep (:func:`layer_stack`): the front end always comes along
(spectrogram or mel-cepstrum and its input normalisation); then for ``convnet`` ``conv1``
... ``dense1`` ... (never ``output``), for ``tcn`` ``project``, ``block1`` ..., for
``autoencoder`` the encoder's ``conv1`` ... ``bottleneck``. A plugin architecture takes part
by giving its frame model a ``transfer_layers()`` method returning such a list.

When a pretrained model's sample rate differs from the new data's, a
:class:`~hark.models.resample.Resample` goes first. Its ``up / down`` ratio may make the kept
layers' stride a fraction of a sample at the new rate; frames are then subsampled to the
nearest whole number of samples (``lcm(stride, up) / up * down``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import torch
from pydantic import Field, field_validator
from torch import nn

from hark.errors import HarkError, ParameterError
from hark.models.alignment import align
from hark.models.base import Architecture, FrameModel, architectures, register_architecture
from hark.models.fields import dropout_field, norm_groups_field, normalization_field, split_int_list
from hark.models.layers import NormKind, Span, ValidConvBlock, crop, make_norm
from hark.models.resample import Resample
from hark.params import Params

Width = Annotated[int, Field(ge=1, le=4096)]


# ---------------------------------------------------------------------------------------
# the layers a pretrained model offers


@dataclass(frozen=True)
class StackedLayer:
    """One layer of a frame model as transfer sees it: applied in order, each to the previous one's output."""

    name: str
    module: nn.Module
    span: Span  # receptive field and step of its output frames, in the model's samples
    channels: int  # channels of its output


class _ResidualPath(nn.Module):
    """A tcn block's residual output alone (the block also returns its skip output)."""

    def __init__(self, block: nn.Module):
        super().__init__()
        self.block = block

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(x)[0]


def layer_stack(model: nn.Module) -> list[StackedLayer]:
    """The front end and then every layer that transfer can keep, in order."""
    from hark.models.autoencoder import AutoencoderModel
    from hark.models.convnet import ConvNetFrameModel
    from hark.models.tcn import TCNFrameModel

    if hasattr(model, "transfer_layers"):
        return list(model.transfer_layers())
    if not isinstance(model, (ConvNetFrameModel, TCNFrameModel, AutoencoderModel)):
        raise HarkError(f"transfer cannot take layers of a {type(model).__name__} (it offers no transfer_layers())")
    front = model.front_end
    span = Span(front.window, front.hop)
    channels = front.n_channels
    stack = [StackedLayer("front_end", nn.Sequential(front, model.input_norm), span, channels)]
    if isinstance(model, TCNFrameModel):
        named: list[tuple[str, nn.Module]] = [("project", model.project)]
        named += [(f"block{i + 1}", _ResidualPath(block)) for i, block in enumerate(model.blocks)]
    elif isinstance(model, ConvNetFrameModel):
        named = [(name, layer) for name, layer in model.layers.items() if name != "output"]
    else:
        named = list(model.encoder.items())
    for name, module in named:
        span, channels = _after(module, span, channels)
        stack.append(StackedLayer(name, module, span, channels))
    return stack


def _after(module: nn.Module, span: Span, channels: int) -> tuple[Span, int]:
    """The span and channels after one layer of the shipped architectures."""
    if isinstance(module, ValidConvBlock):
        return module.span(span), module.conv.out_channels
    if isinstance(module, _ResidualPath):
        conv = module.block.conv
        return span.then(conv.kernel_size[0], dilation=conv.dilation[0]), channels
    conv = module if isinstance(module, nn.Conv1d) else module[0]  # a dense stage: conv, norm, ReLU, dropout
    return span.then(conv.kernel_size[0], conv.stride[0], conv.dilation[0]), conv.out_channels


# ---------------------------------------------------------------------------------------
# parameters


class TransferSource(Params):
    """One pretrained model: what to rebuild and how many of its layers to keep."""

    model: str = Field("", description="the model folder the layers came from (a record; not read again)")
    step: int = Field(0, ge=0, description="the checkpoint step whose weights were copied (a record)")
    architecture: str = Field("convnet", description="the pretrained model's architecture")
    architecture_params: dict[str, Any] = Field(default_factory=dict, description="the pretrained model's architecture parameters")
    samplerate: int = Field(0, ge=0, le=10_000_000, description="the pretrained model's sample rate (Hz); 0: the new model's")
    n_outputs: int = Field(2, ge=1, le=100_000, description="the pretrained model's outputs (to rebuild it)")
    keep_layers: int = Field(2, ge=0, le=256, description="layers kept after its front end")


class NewLayersParams(Params):
    """The layers transfer learning adds on top of the kept ones."""

    conv_layers: tuple[Width, ...] = Field(
        (32,), max_length=8, description="feature maps of each new valid conv layer, e.g. 32 or 32,32 or empty for none"
    )
    kernel_size: int = Field(3, ge=1, le=255, description="taps of each new conv layer (in frames of the kept layers)")
    dense_layers: tuple[Width, ...] = Field(
        (32,), max_length=8, description="units of the new dense (1x1) layers before the output, e.g. 64 or empty for none"
    )
    dropout: float = dropout_field(0.1)
    normalization: NormKind = normalization_field("batch")
    norm_groups: int = norm_groups_field()

    @field_validator("conv_layers", "dense_layers", mode="before")
    @classmethod
    def _split(cls, value):
        return split_int_list(value)


class TransferArchParams(NewLayersParams):
    """Parameters of the ``transfer`` architecture: the pretrained parts and the new layers.

    ``hark train --transfer`` fills ``sources`` from the pretrained folders; the default (two
    layers of a default convnet) only lets the architecture build like any other.
    """

    sources: tuple[TransferSource, ...] = Field(
        (TransferSource(),), min_length=1, max_length=16, description="the pretrained models whose first layers are kept"
    )
    fine_tune: bool = Field(False, description="train the kept layers too (else they stay frozen: weights and batch-norm statistics)")


# ---------------------------------------------------------------------------------------
# modules


class KeptPart(nn.Module):
    """[resampling ->] a pretrained model's front end and first layers; a frame model of the new rate."""

    def __init__(self, stack: Sequence[StackedLayer], keep: int, model_rate: int, rate: int, name: str):
        super().__init__()
        if keep > len(stack) - 1:
            names = ", ".join(layer.name for layer in stack[1:]) or "none"
            raise ParameterError("keep_layers", f"{{param}} {keep}: {name} has {len(stack) - 1} layers to keep ({names})")
        kept = stack[keep]
        self.layers = nn.Sequential(*(layer.module for layer in stack[: keep + 1]))
        self.channels = kept.channels
        self.layer_names = [layer.name for layer in stack[1 : keep + 1]]
        context, stride = kept.span.size, kept.span.jump
        self.resample = Resample(rate, model_rate) if model_rate != rate else None
        self.frame_step = 1
        if self.resample is not None:
            up, down, taps = self.resample.up, self.resample.down, self.resample.taps
            # frames must start on a block of `up` resampled samples for a whole-sample stride
            self.frame_step = up // math.gcd(stride, up)
            context = (context - 1) // up * down + taps
            stride = stride * self.frame_step // up * down
        self.context, self.stride = context, stride

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        x = audio if self.resample is None else self.resample(audio)
        x = self.layers(x)
        if self.frame_step > 1:
            x = crop(x, 0, (audio.shape[-1] - self.context) // self.stride + 1, self.frame_step)
        return x


class TransferModel(FrameModel):
    """Kept parts, their frames lined up and channels concatenated, then the new layers."""

    def __init__(self, parts: list[KeptPart], names: list[str], p: TransferArchParams, n_outputs: int):
        super().__init__()
        self.parts = nn.ModuleList(parts)
        self.alignment = align([(part.context, part.stride) for part in parts], names, "transfer from several models")
        self.fine_tune = p.fine_tune
        if not p.fine_tune:
            for parameter in self.parts.parameters():
                parameter.requires_grad_(False)
        span = Span(self.alignment.context, self.alignment.stride)
        channels = sum(part.channels for part in parts)
        head: dict[str, nn.Module] = {}
        for i, maps in enumerate(p.conv_layers):
            block = ValidConvBlock(
                channels, maps, p.kernel_size, norm=p.normalization, norm_groups=p.norm_groups, dropout=p.dropout
            )
            span = block.span(span)
            head[f"new_conv{i + 1}"] = block
            channels = maps
        for i, units in enumerate(p.dense_layers):
            head[f"new_dense{i + 1}"] = nn.Sequential(
                nn.Conv1d(channels, units, 1),
                make_norm(p.normalization, units, p.norm_groups),
                nn.ReLU(),
                nn.Dropout(p.dropout) if p.dropout > 0 else nn.Identity(),
            )
            channels = units
        head["output"] = nn.Conv1d(channels, n_outputs, 1)
        self.head = nn.ModuleDict(head)
        self.context, self.stride, self.n_outputs = span.size, span.jump, n_outputs

    def train(self, mode: bool = True) -> TransferModel:
        super().train(mode)
        if not self.fine_tune:
            self.parts.eval()  # frozen: batch norms keep the pretrained statistics, no dropout
        return self

    def kept(self, audio: torch.Tensor) -> torch.Tensor:
        """The kept parts' features, lined up and concatenated: ``(batch, channels, frames)``."""
        n = self.alignment.frames(audio.shape[-1])
        features = [self.alignment.take(i, part(audio), n) for i, part in enumerate(self.parts)]
        return features[0] if len(features) == 1 else torch.cat(features, dim=1)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        x = self.kept(audio)
        for layer in self.head.values():
            x = layer(x)
        return x

    def hidden_layers(self) -> list[str]:
        return ["kept", *self.head.keys()]

    def forward_hidden(self, audio: torch.Tensor) -> dict[str, torch.Tensor]:
        x = self.kept(audio)
        hidden = {"kept": x}
        for name, layer in self.head.items():
            x = hidden[name] = layer(x)
        return hidden


def _pretrained_skeleton(source: TransferSource, rate: int) -> nn.Module:
    architecture = architectures.get(source.architecture)
    if architecture.kind != "frame":
        raise HarkError(
            f"{source.model or source.architecture}: a clip model ({source.architecture}); transfer keeps layers of "
            "frame models (convnet, tcn, autoencoder)"
        )
    return architecture.build(architecture.validate(source.architecture_params), source.samplerate or rate, source.n_outputs)


@register_architecture("transfer")
class Transfer(Architecture):
    """First layers of trained frame models (frozen or fine-tuned) under new layers (hark train --transfer)."""

    kind = "frame"
    Params = TransferArchParams
    made_by = "hark train --transfer MODEL --keep-layers N"
    """Made by this command, which copies the kept weights in, not by ``--architecture``."""

    @classmethod
    def build(cls, params: TransferArchParams, samplerate: int, n_outputs: int) -> TransferModel:
        parts, names = [], []
        for source in params.sources:
            name = source.model or source.architecture
            stack = layer_stack(_pretrained_skeleton(source, samplerate))
            parts.append(KeptPart(stack, source.keep_layers, source.samplerate or samplerate, samplerate, name))
            names.append(name)
        return TransferModel(parts, names, params, n_outputs)


# ---------------------------------------------------------------------------------------
# from model folders


def plan_transfer(
    models: Sequence[str | Path], keep_layers: int, fine_tune: bool, new_layers: dict[str, Any] | Params | None
) -> TransferArchParams:
    """The ``transfer`` architecture's parameters for ``models`` (checked: each a frame model
    with at least ``keep_layers`` layers, its best checkpoint, else its last, readable)."""
    from hark.models.store import load_model
    from hark.params import validate_params

    if not models:
        raise ParameterError("transfer", "transfer needs at least one pretrained model ({param} MODEL)")
    values = new_layers.model_dump() if isinstance(new_layers, Params) else dict(new_layers or {})
    validate_params(NewLayersParams, values, "new layers (--arch-param with --transfer)")
    sources = []
    for folder in models:
        loaded = load_model(folder)  # a folder that is not a model, or holds no checkpoint, fails here
        config = loaded.config
        if config.kind != "frame" or not isinstance(loaded.module, FrameModel):
            raise HarkError(
                f"{folder}: a clip model ({config.architecture}); transfer keeps layers of frame models "
                "(convnet, tcn, autoencoder) and builds a frame model"
            )
        if getattr(architectures.get(config.architecture), "made_by", None):
            raise HarkError(f"{folder}: a {config.architecture} model, made from other models; transfer from one of those")
        stack = layer_stack(loaded.module)
        if keep_layers > len(stack) - 1:
            names = ", ".join(layer.name for layer in stack[1:]) or "none"
            raise ParameterError(
                "keep_layers", f"{{param}} {keep_layers}: {folder} ({config.architecture}) has {len(stack) - 1} layers to keep ({names})"
            )
        sources.append(
            TransferSource(
                model=str(Path(folder).resolve()), step=loaded.step, architecture=config.architecture,
                architecture_params=config.architecture_params, samplerate=config.samplerate,
                n_outputs=len(config.output_names), keep_layers=keep_layers,
            )
        )
    return validate_params(TransferArchParams, {**values, "sources": sources, "fine_tune": fine_tune}, "transfer")


def load_kept_weights(module: TransferModel, params: TransferArchParams) -> None:
    """Copy each pretrained model's kept layers (weights and batch-norm statistics) into ``module``."""
    from hark.models.store import load_model

    for part, source in zip(module.parts, params.sources):
        loaded = load_model(source.model, source.step)
        rate = part.resample.rate_out if part.resample is not None else loaded.config.samplerate
        pretrained = KeptPart(layer_stack(loaded.module), source.keep_layers, rate, rate, source.model)
        part.layers.load_state_dict(pretrained.layers.state_dict())


def load_transferred_weights(module: nn.Module, arch_params: Params, transfer: Any, samplerate: int) -> None:
    """The pretrained weights of ``hark train --transfer`` (``transfer``: its ``TransferParams``):
    a frame model's kept parts (:func:`load_kept_weights`), or a clip model's body
    (:func:`hark.models.transfer_clip.load_clip_body`)."""
    if isinstance(module, TransferModel):
        load_kept_weights(module, arch_params)
        return
    from hark.models.transfer_clip import load_clip_body

    load_clip_body(module, transfer.models, transfer.keep_layers, transfer.fine_tune, samplerate)
