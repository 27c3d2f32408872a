"""The architecture plugin interface and the contract every model keeps.

Two kinds of model:

- a **frame model** maps audio ``(batch, 1, T)`` to logits ``(batch, n_outputs, T_out)`` with
  ``T_out = (T - context) // stride + 1``; output frame ``j`` sees exactly the input samples
  ``[j * stride, j * stride + context)`` and describes the time ``j * stride + context // 2``.
  It is fully convolutional (no padding in time, nothing that mixes frames beyond the
  receptive field), so classifying a long chunk in one pass equals classifying each
  context window alone (to 1e-5; a contract test checks every registered frame architecture).
- a **clip model** maps audio ``(batch, 1, T)`` of any length to logits ``(batch, n_outputs)``.

Models take float32 audio in [-1, 1] at the sample rate they were built for and return
logits; probabilities are ``softmax`` over outputs (exclusive classes) or ``sigmoid`` of each
(overlapped classes), applied outside the model.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Literal, Protocol

import torch
from torch import nn

from hark.params import Params, validate_params
from hark.registry import Registry

ModelKind = Literal["frame", "clip"]


class FrameModel(nn.Module):
    """Base of frame models: subclasses set ``context`` and ``stride`` (in samples)."""

    context: int
    stride: int
    n_outputs: int

    def output_frames(self, n_samples: int) -> int:
        """How many frames an input of ``n_samples`` gives (0 if shorter than the context)."""
        return 0 if n_samples < self.context else (n_samples - self.context) // self.stride + 1

    def hidden_layers(self) -> list[str]:
        """Names of the layers whose activations ``forward_hidden`` can return (for clustering)."""
        return []

    def forward_hidden(self, x: torch.Tensor) -> dict[str, torch.Tensor]:  # pragma: no cover - optional
        raise NotImplementedError

    def incremental_stream(self) -> IncrementalStream | None:
        """A fresh stream that computes each frame once, keeping each layer's past between chunks
        (:mod:`hark.models.tcn_stream`); None where a stream must recompute each frame's context."""
        return None


class IncrementalStream(Protocol):
    def push(self, audio: torch.Tensor) -> torch.Tensor:
        """``(outputs, new_frames)`` logits of the frames whose context ``audio`` (1-D float32) completes."""


class ClipModel(nn.Module):
    """Base of clip models: ``forward`` returns one row of logits per clip."""

    n_outputs: int


class Architecture(ABC):
    """An architecture plugin: its parameters (with defaults, ranges and descriptions) and a builder."""

    name: ClassVar[str] = ""
    kind: ClassVar[ModelKind]
    Params: ClassVar[type[Params]]

    @classmethod
    def validate(cls, values: dict | Params | None) -> Params:
        if isinstance(values, cls.Params):
            return values
        values = values.model_dump() if isinstance(values, Params) else values
        return validate_params(cls.Params, values, f"architecture {cls.name}")

    @classmethod
    @abstractmethod
    def build(cls, params: Params, samplerate: int, n_outputs: int) -> nn.Module:
        """A new, randomly initialised model (a :class:`FrameModel` or :class:`ClipModel`)."""


architectures: Registry[type[Architecture]] = Registry("architecture", "hark.architectures")


register_architecture = architectures.register_class
"""Class decorator: ``@register_architecture("name")`` registers the class and sets its ``name``."""
