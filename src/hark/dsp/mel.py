"""The mel scale, triangular mel filterbanks and the orthonormal DCT-II (for cepstra)."""

from __future__ import annotations

import numpy as np


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
