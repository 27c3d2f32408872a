"""Windows and power spectrograms, written once for the models, the GUI, boxes and contours.

Two flavours of the same transform:

- numpy, for code that looks at a stretch of a recording (:func:`windowed_power`,
  :func:`power_spectrogram`): frames are Hann-windowed and transformed with ``rfft``;
- torch, for what runs inside a model's graph (:func:`dft_kernels` here,
  :func:`hark.dsp.graph.stft_power`):
  the DFT is a strided ``conv1d`` whose fixed kernels are the windowed DFT basis, so that
  frame ``k`` covers exactly the samples ``[k * hop, k * hop + window)`` and the graph exports
  to ONNX as a plain ``Conv``.

Both use the *periodic* Hann window (``scipy.signal.get_window("hann", n)``), the one meant
for spectral analysis: shifted copies at a quarter or half window overlap-add to a constant.
"""

from __future__ import annotations

import numpy as np

LOG_EPS = 1e-10
"""Added to the power before the log: -230 dB, below any 32-bit float recording's noise."""


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


def sliding_frames(audio: np.ndarray, window: int, hop: int) -> np.ndarray:
    """``(frames, window)`` views ``audio[k * hop : k * hop + window]`` (no padding; none if shorter)."""
    if len(audio) < window:
        return np.zeros((0, window), dtype=audio.dtype)
    return np.lib.stride_tricks.sliding_window_view(audio, window)[::hop]


def windowed_power(frames: np.ndarray, n_fft: int | None = None) -> np.ndarray:
    """``|rfft(frame * hann)|^2`` of each row of ``frames`` ``(..., window)`` -> ``(..., n_fft // 2 + 1)``.

    ``n_fft`` (at least the window) zero-pads each frame; the dtype follows ``frames``
    (float32 frames give float32 power).
    """
    window = frames.shape[-1]
    hann = hann_window(window).astype(frames.dtype if frames.dtype == np.float32 else np.float64)
    spectrum = np.fft.rfft(frames * hann, n=n_fft or window, axis=-1)
    return spectrum.real**2 + spectrum.imag**2


def power_spectrogram(audio: np.ndarray, window: int, hop: int) -> np.ndarray:
    """``(window // 2 + 1, frames)`` power of the Hann-windowed frames ``[k * hop, k * hop + window)``, in float64."""
    frames = sliding_frames(np.asarray(audio, dtype=np.float64), window, hop)
    return windowed_power(frames).T


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
