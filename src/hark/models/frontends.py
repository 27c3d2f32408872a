"""In-graph front ends: waveform, log-power spectrogram and mel-cepstrum.

The DSP is written as pure functions (numpy for the matrices computed once at build time,
torch for what runs in the graph) with thin :class:`torch.nn.Module` wrappers, in the style
of torchaudio. The spectrogram is a strided ``conv1d`` whose fixed kernels are the
Hann-windowed DFT basis, so that

- frame ``k`` covers exactly the input samples ``[k * hop, k * hop + window)`` (no centring,
  no padding), which keeps the frame models' receptive-field arithmetic exact;
- it exports to ONNX as a plain ``Conv`` (no FFT operator needed);
- only the bins inside ``[low_hz, high_hz]`` are computed.

Every front end maps ``(batch, 1, T)`` audio to ``(batch, channels, frames)`` and exposes
``window`` and ``hop`` in samples and ``n_channels``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch
from torch import nn

from hark.errors import HarkError

FrontEndKind = Literal["waveform", "spectrogram", "mel-cepstrum"]

LOG_EPS = 1e-10
"""Added to the power before the log: -230 dB, below any 32-bit float recording's noise."""


# ---------------------------------------------------------------------------------------
# pure functions


def ms_to_samples(ms: float, samplerate: float) -> int:
    """The whole number of samples nearest to ``ms`` milliseconds."""
    return int(round(ms * samplerate / 1000.0))


def hann_window(n: int) -> np.ndarray:
    """The periodic Hann window (``scipy.signal.get_window("hann", n)``), as used for STFTs."""
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)


def rfft_frequencies(samplerate: float, n_fft: int) -> np.ndarray:
    """Centre frequency (Hz) of each one-sided DFT bin of an ``n_fft``-point transform."""
    return np.arange(n_fft // 2 + 1) * samplerate / n_fft


def bins_in_range(samplerate: float, n_fft: int, low_hz: float, high_hz: float) -> np.ndarray:
    """Indices of the one-sided DFT bins whose frequency lies in ``[low_hz, high_hz]``."""
    freqs = rfft_frequencies(samplerate, n_fft)
    return np.flatnonzero((freqs >= low_hz - 1e-9) & (freqs <= high_hz + 1e-9))


def dft_kernels(window: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """Conv1d weights ``(2 * len(bins), 1, len(window))``: windowed cosines, then minus sines.

    Scaled by ``1 / sum(window)`` like ``scipy.signal.stft``'s default ``scaling="spectrum"``,
    so that a full-scale sinusoid on a bin has amplitude 0.5 whatever the window length.
    """
    n = len(window)
    phase = 2.0 * np.pi * np.outer(bins, np.arange(n)) / n
    scale = window / window.sum()
    kernels = np.concatenate([np.cos(phase) * scale, -np.sin(phase) * scale])
    return kernels[:, None, :]


def stft_power(audio: torch.Tensor, kernels: torch.Tensor, hop: int) -> torch.Tensor:
    """``(B, 1, T)`` -> power ``(B, F, frames)`` with ``frames = (T - window) // hop + 1``."""
    parts = nn.functional.conv1d(audio, kernels, stride=hop)
    real, imag = parts.chunk(2, dim=1)
    return real * real + imag * imag


def log_power(power: torch.Tensor, eps: float = LOG_EPS) -> torch.Tensor:
    return torch.log(power + eps)


def hz_to_mel(hz):
    """HTK mel scale."""
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=float) / 700.0)


def mel_to_hz(mel):
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=float) / 2595.0) - 1.0)


def mel_filterbank(frequencies: np.ndarray, n_mels: int, low_hz: float, high_hz: float) -> np.ndarray:
    """Triangular filters ``(n_mels, len(frequencies))``, equally spaced on the mel scale.

    Filter ``m`` rises from edge ``m`` to 1 at edge ``m + 1`` and falls to 0 at edge ``m + 2``,
    the ``n_mels + 2`` edges spanning ``[low_hz, high_hz]`` evenly in mel (HTK's definition,
    unnormalised: each filter peaks at 1).
    """
    edges = mel_to_hz(np.linspace(hz_to_mel(low_hz), hz_to_mel(high_hz), n_mels + 2))
    left, centre, right = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    f = np.asarray(frequencies, dtype=float)[None, :]
    rising = (f - left) / (centre - left)
    falling = (right - f) / (right - centre)
    return np.clip(np.minimum(rising, falling), 0.0, None)


def dct_matrix(n_dct: int, n_in: int) -> np.ndarray:
    """The first ``n_dct`` rows of the orthonormal DCT-II of length ``n_in``: ``M @ v == dct(v)[:n_dct]``."""
    k = np.arange(n_dct)[:, None]
    n = np.arange(n_in)[None, :]
    m = np.cos(np.pi * k * (2 * n + 1) / (2 * n_in)) * np.sqrt(2.0 / n_in)
    m[0] /= np.sqrt(2.0)
    return m


# ---------------------------------------------------------------------------------------
# modules


class Waveform(nn.Module):
    """The audio itself, one channel per sample: ``window == hop == 1``."""

    window = 1
    hop = 1
    n_channels = 1

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        return audio


class Spectrogram(nn.Module):
    """Log power ``log(|STFT|^2 + eps)`` of Hann-windowed frames, bins in ``[low_hz, high_hz]``.

    ``window`` and ``hop`` are in samples; the DFT length is the window (no zero padding).
    """

    def __init__(self, samplerate: float, window: int, hop: int, low_hz: float = 0.0, high_hz: float | None = None):
        super().__init__()
        high_hz = samplerate / 2 if high_hz is None else high_hz
        check_frequency_range(samplerate, low_hz, high_hz)
        if window < 2 or hop < 1:
            raise HarkError(f"spectrogram window ({window} samples) must be >= 2 and its hop ({hop}) >= 1")
        bins = bins_in_range(samplerate, window, low_hz, high_hz)
        if len(bins) == 0:
            raise HarkError(
                f"no frequency bin of a {window}-sample window lies in {low_hz:g}-{high_hz:g} Hz; "
                "widen the range or lengthen the window"
            )
        self.window, self.hop, self.n_channels = window, hop, len(bins)
        self.frequencies = rfft_frequencies(samplerate, window)[bins]
        kernels = torch.tensor(dft_kernels(hann_window(window), bins), dtype=torch.float32)
        # a buffer, not a parameter: fixed (never trained) yet saved and moved with the model
        self.register_buffer("kernels", kernels)

    def power(self, audio: torch.Tensor) -> torch.Tensor:
        return stft_power(audio, self.kernels, self.hop)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        return log_power(self.power(audio))


class MelCepstrum(nn.Module):
    """Spectrogram power -> mel filterbank -> log -> DCT-II, keeping ``n_dct`` coefficients."""

    def __init__(
        self,
        samplerate: float,
        window: int,
        hop: int,
        n_mels: int,
        n_dct: int,
        low_hz: float = 0.0,
        high_hz: float | None = None,
    ):
        super().__init__()
        high_hz = samplerate / 2 if high_hz is None else high_hz
        if n_dct > n_mels:
            raise HarkError(f"n_dct ({n_dct}) must not exceed n_mels ({n_mels})")
        self.spectrogram = Spectrogram(samplerate, window, hop, low_hz, high_hz)
        mel = mel_filterbank(self.spectrogram.frequencies, n_mels, low_hz, high_hz)
        empty = int((mel.sum(axis=1) == 0).sum())
        if empty:
            raise HarkError(
                f"{empty} of the {n_mels} mel bands hold no frequency bin of a {window}-sample window; "
                "use fewer mels, a longer window or a wider frequency range"
            )
        self.window, self.hop, self.n_channels = window, hop, n_dct
        self.register_buffer("mel", torch.tensor(mel, dtype=torch.float32))
        self.register_buffer("dct", torch.tensor(dct_matrix(n_dct, n_mels), dtype=torch.float32))

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        mel_power = torch.matmul(self.mel, self.spectrogram.power(audio))
        return torch.matmul(self.dct, log_power(mel_power))


def check_frequency_range(samplerate: float, low_hz: float, high_hz: float) -> None:
    nyquist = samplerate / 2
    if not 0 <= low_hz < high_hz <= nyquist + 1e-9:
        raise HarkError(
            f"frequency range {low_hz:g}-{high_hz:g} Hz must satisfy 0 <= low_hz < high_hz <= {nyquist:g} (Nyquist)"
        )


def build_front_end(
    kind: FrontEndKind,
    samplerate: float,
    window_ms: float = 6.4,
    stride_ms: float = 1.6,
    low_hz: float = 0.0,
    high_hz: float = 0.0,
    n_mels: int = 7,
    n_dct: int = 7,
) -> nn.Module:
    """A front end from the parameters architectures share; ``high_hz == 0`` means Nyquist."""
    if kind == "waveform":
        return Waveform()
    window, hop = ms_to_samples(window_ms, samplerate), ms_to_samples(stride_ms, samplerate)
    high = samplerate / 2 if high_hz == 0 else high_hz
    if kind == "spectrogram":
        return Spectrogram(samplerate, window, hop, low_hz, high)
    if kind == "mel-cepstrum":
        return MelCepstrum(samplerate, window, hop, n_mels, n_dct, low_hz, high)
    raise HarkError(f"unknown front end {kind!r}; known: waveform, spectrogram, mel-cepstrum")
