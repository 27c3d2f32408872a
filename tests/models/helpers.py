"""Shared by the model tests: realistic batch-norm statistics and the per-window check."""

from __future__ import annotations

import torch
from torch import nn

from hark.models import FrameModel


def calibrate(model: nn.Module, audio: torch.Tensor, seed: int = 0) -> nn.Module:
    """Give every batch norm the statistics of ``audio`` (and a random affine map), then eval().

    Untrained batch norms are identities (mean 0, variance 1), which would leave log-power
    features at -20 and hide errors in how they are normalised; calibrated ones keep the
    activations near unit scale, as after training, so that 1e-5 is a meaningful tolerance.
    """
    generator = torch.Generator().manual_seed(seed)
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # a cumulative average over the calibration passes
    model.train()
    with torch.no_grad():
        model(audio)
        for norm in norms:
            norm.weight.copy_(1 + 0.2 * torch.randn(norm.weight.shape, generator=generator))
            norm.bias.copy_(0.2 * torch.randn(norm.bias.shape, generator=generator))
    return model.eval()


def per_window_outputs(model: FrameModel, audio: torch.Tensor) -> torch.Tensor:
    """Classify each context window of ``audio`` on its own: ``(batch, n_outputs, frames)``."""
    frames = model.output_frames(audio.shape[-1])
    windows = torch.stack(
        [audio[:, :, j * model.stride : j * model.stride + model.context] for j in range(frames)], dim=0
    )  # (frames, batch, 1, context)
    with torch.no_grad():
        out = model(windows.flatten(0, 1))  # (frames * batch, n_outputs, 1)
    assert out.shape[-1] == 1, "one context window must give exactly one frame"
    return out[..., 0].unflatten(0, (frames, audio.shape[0])).permute(1, 2, 0)


def make_audio(n_samples: int, batch: int = 2, seed: int = 1) -> torch.Tensor:
    """Noise with a few loud clicks and a tone: spectra far from flat, features far from zero."""
    generator = torch.Generator().manual_seed(seed)
    audio = 0.05 * torch.randn(batch, 1, n_samples, generator=generator)
    t = torch.arange(n_samples, dtype=torch.float32)
    audio += 0.3 * torch.sin(2 * torch.pi * 0.05 * t)
    audio[:, :, :: max(1, n_samples // 7)] += 0.8
    return audio.clamp(-1, 1)
