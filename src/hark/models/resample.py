"""Resampling inside the graph, as one valid strided convolution (polyphase), for transfer learning.

A model trained at one sample rate reads audio of another through :class:`Resample`. From
``rate_in`` to ``rate_out`` with ``up / down = rate_out / rate_in`` in lowest terms, output
sample ``b * up + p`` (phase ``p < up``) is a windowed-sinc interpolation of the input around
position ``b * down + p * down / up``. All ``up`` phases of block ``b`` read the same input
samples ``[b * down, b * down + taps)``, so the resampler is a ``conv1d`` with ``up`` output
channels (one kernel per phase), stride ``down`` and no padding, followed by interleaving the
channels. That keeps the frame contract of :mod:`hark.models.base`: no padding, a fixed
receptive field per block, and an exact ONNX export (a ``Conv`` and a ``Reshape``); no
torchaudio is needed.

The low-pass cutoff is ``ROLLOFF`` of the lower rate's Nyquist frequency, and the kernel spans
``ZERO_CROSSINGS`` zero crossings of the sinc on each side (Hann-windowed); each phase's taps
sum to 1, so a constant signal stays constant. Output sample ``k`` is centred on input
position ``k * down / up + delay`` (``delay``: the filter's half width, a few input samples).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

ROLLOFF = 0.9
ZERO_CROSSINGS = 8


def resampling_ratio(rate_in: int, rate_out: int) -> tuple[int, int]:
    """``(up, down)`` in lowest terms: ``rate_out / rate_in == up / down``."""
    g = math.gcd(int(rate_in), int(rate_out))
    return int(rate_out) // g, int(rate_in) // g


def half_width(up: int, down: int) -> float:
    """Input samples the filter reaches on each side of an output's position."""
    cutoff = 0.5 * min(1.0, up / down) * ROLLOFF  # cycles per input sample
    return ZERO_CROSSINGS / (2.0 * cutoff)


def polyphase_kernels(up: int, down: int) -> np.ndarray:
    """Conv1d weights ``(up, 1, taps)``: row ``p`` makes phase ``p`` of each block of ``up`` outputs.

    Output ``b * up + p`` is centred on input position ``b * down + half + p * down / up``.
    """
    cutoff = 0.5 * min(1.0, up / down) * ROLLOFF  # cycles per input sample
    half = half_width(up, down)
    taps = int(math.ceil(2.0 * half)) + down
    t = np.arange(taps, dtype=np.float64)
    kernels = np.empty((up, 1, taps))
    for phase in range(up):
        u = t - (half + phase * down / up)
        window = np.where(np.abs(u) < half, 0.5 + 0.5 * np.cos(np.pi * u / half), 0.0)
        h = 2.0 * cutoff * np.sinc(2.0 * cutoff * u) * window
        kernels[phase, 0] = h / h.sum()
    return kernels


class Resample(nn.Module):
    """Audio ``(batch, 1, T)`` at ``rate_in`` -> ``(batch, 1, ((T - taps) // down + 1) * up)`` at ``rate_out``.

    ``taps`` and ``down`` input samples make each block of ``up`` output samples (see the module doc).
    """

    def __init__(self, rate_in: int, rate_out: int):
        super().__init__()
        self.rate_in, self.rate_out = int(rate_in), int(rate_out)
        self.up, self.down = resampling_ratio(rate_in, rate_out)
        kernels = torch.tensor(polyphase_kernels(self.up, self.down), dtype=torch.float32)
        self.taps = kernels.shape[-1]
        # a buffer, not a parameter: fixed, never trained, yet saved and moved with the model
        self.register_buffer("kernels", kernels)

    @property
    def delay(self) -> float:
        """Input samples by which the output lags: output ``k`` is centred on input ``k * down / up + delay``."""
        return half_width(self.up, self.down)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        phases = nn.functional.conv1d(audio, self.kernels, stride=self.down)  # (B, up, blocks)
        if self.up == 1:
            return phases
        return phases.transpose(1, 2).reshape(audio.shape[0], 1, -1)

    def extra_repr(self) -> str:
        return f"{self.rate_in} Hz -> {self.rate_out} Hz (up {self.up}, down {self.down}, {self.taps} taps)"
