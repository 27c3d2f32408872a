"""The model zoo: PyTorch architectures in a registry that plugins extend.

>>> from hark.models import build_model
>>> model = build_model("convnet", {"context_ms": 204.8}, samplerate=2500, n_outputs=3)
>>> model.context, model.stride            # samples seen by, and between, output frames

Shipped architectures: ``convnet`` (SongExplorer-style frame classifier), ``tcn`` (DAS-style
per-sample segmentation) and ``resnet`` (clip classifier on spectrogram images). A third-party
architecture subclasses :class:`Architecture`, declares its ``Params`` and registers itself
with :func:`register_architecture` or through the ``hark.architectures`` entry point group.
The frame contract every frame model keeps is described in :mod:`hark.models.base`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn

from hark.errors import HarkError
from hark.models import autoencoder as _autoencoder  # noqa: F401
from hark.models import calls as _calls  # noqa: F401
from hark.models import convnet as _convnet  # noqa: F401  (registers the shipped architectures)
from hark.models import ensemble as _ensemble  # noqa: F401
from hark.models import resnet as _resnet  # noqa: F401
from hark.models import tcn as _tcn  # noqa: F401
from hark.models import video as _video  # noqa: F401  (video and audio-video: docs/video.md)
from hark.models import transfer as _transfer  # noqa: F401
from hark.models.base import Architecture, ClipModel, FrameModel, ModelKind, architectures, register_architecture
from hark.models.convnet import ConvNet, ConvNetParams
from hark.models.export import export_onnx
from hark.models.frontends import MelCepstrum, Spectrogram, Waveform
from hark.models.resnet import ResNet, ResNetParams
from hark.models.tcn import TCN, TCNParams
from hark.params import Params


def build_model(
    name: str, params: Mapping[str, Any] | Params | None, samplerate: int, n_outputs: int
) -> FrameModel | ClipModel:
    """A new, randomly initialised model of architecture ``name``.

    ``params`` are validated against the architecture's parameter model: an unknown name, a
    value out of range or a combination the layers cannot build is a one-line HarkError.
    """
    architecture = architectures.get(name)
    if not (isinstance(samplerate, int | float) and samplerate > 0):
        raise HarkError(f"architecture {name}: samplerate must be a positive number, not {samplerate!r}")
    if not (isinstance(n_outputs, int) and n_outputs >= 1):
        raise HarkError(f"architecture {name}: n_outputs must be a positive integer, not {n_outputs!r}")
    validated = architecture.validate(params)
    try:
        return architecture.build(validated, samplerate, n_outputs)
    except HarkError as err:
        raise HarkError(f"architecture {name}: {err}") from None


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters; fixed front-end kernels are buffers and never count."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


__all__ = [
    "TCN",
    "Architecture",
    "ClipModel",
    "ConvNet",
    "ConvNetParams",
    "FrameModel",
    "MelCepstrum",
    "ModelKind",
    "ResNet",
    "ResNetParams",
    "Spectrogram",
    "TCNParams",
    "Waveform",
    "architectures",
    "build_model",
    "count_parameters",
    "export_onnx",
    "register_architecture",
]
