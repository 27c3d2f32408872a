"""The torch side of the spectrogram: what runs inside a model's graph (and exports to ONNX).

Kept apart from the numpy functions so that the GUI and the call statistics, which need
only those, do not load torch by importing :mod:`hark.dsp`.
"""

from __future__ import annotations

import torch

from hark.dsp.spectral import LOG_EPS


def stft_power(audio: torch.Tensor, kernels: torch.Tensor, hop: int) -> torch.Tensor:
    """``(B, 1, T)`` -> power ``(B, F, frames)`` with ``frames = (T - window) // hop + 1``."""
    parts = torch.nn.functional.conv1d(audio, kernels, stride=hop)
    real, imag = parts.chunk(2, dim=1)
    return real * real + imag * imag


def log_power(power: torch.Tensor, eps: float = LOG_EPS) -> torch.Tensor:
    """Natural log of ``power + eps``."""
    return torch.log(power + eps)
