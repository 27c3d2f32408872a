"""A recording's noise level, estimated in one streaming pass with bounded memory.

The robust estimate (median and median absolute deviation) is read off a fine histogram
of the samples, so it costs the same few MB for a minute or a day of audio. Samples are
floats in [-1, 1]; 2**20 bins resolve 16-bit audio exactly and 24-bit audio to 2e-6.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Robust = Literal["median", "mean"]


@dataclass(frozen=True)
class NoiseLevel:
    """Where the signal sits (median or mean) and how much it spreads (MAD or standard deviation)."""

    center: float
    spread: float


class NoiseLevelAccumulator:
    """Feed chunks with :meth:`add`, then read :meth:`level`."""

    def __init__(self, robust: Robust = "median", bins: int = 2**20):
        self.robust = robust
        self.bins = bins
        self._counts = np.zeros(bins, dtype=np.int64) if robust == "median" else None
        self._n = 0
        self._sum = 0.0
        self._sum_sq = 0.0

    def add(self, samples: np.ndarray) -> None:
        samples = np.asarray(samples)
        if self._counts is None:
            self._n += samples.size
            samples = samples.astype(np.float64, copy=False)
            self._sum += float(samples.sum())
            self._sum_sq += float(np.dot(samples, samples))
            return
        self.add_counts(self.counts_of(samples), samples.size)

    def counts_of(self, samples: np.ndarray) -> np.ndarray:
        """The histogram of one chunk (median only), without touching the accumulator: chunks can
        be counted on several threads at once and added with :meth:`add_counts` in any order, as
        the counts are integers (the level is the same as :meth:`add` of each chunk)."""
        index = self.bin_of(np.asarray(samples))
        np.clip(index, 0, self.bins - 1, out=index)
        return np.bincount(index, minlength=self.bins)

    def add_counts(self, counts: np.ndarray, n: int) -> None:
        """Add a chunk's :meth:`counts_of` (of ``n`` samples)."""
        self._n += n
        self._counts += counts

    def bin_of(self, samples: np.ndarray) -> np.ndarray:
        """``floor((x + 1) * bins / 2)`` of each sample (before clipping), in fewer passes over the
        chunk: with ``bins`` a power of two, ``x * half + half`` rounds as ``(x + 1) * half`` does
        (scaling by a power of two commutes with rounding), and truncation differs from floor only
        below zero, where both are clipped to bin 0."""
        half = self.bins / 2
        if self.bins & (self.bins - 1):
            return np.floor((samples + 1.0) * half).astype(np.int64)
        index = np.multiply(samples, half, dtype=np.float64)
        index += half
        return index.astype(np.int64)

    def level(self) -> NoiseLevel:
        if self._n == 0:
            raise ValueError("no samples were added")
        if self._counts is None:
            mean = self._sum / self._n
            return NoiseLevel(mean, float(np.sqrt(max(self._sum_sq / self._n - mean**2, 0.0))))
        width = 2.0 / self.bins
        centers = -1.0 + (np.arange(self.bins) + 0.5) * width
        median = _weighted_median(centers, self._counts)
        deviations = np.abs(centers - median)
        order = np.argsort(deviations, kind="stable")
        mad = _weighted_median(deviations[order], self._counts[order])
        return NoiseLevel(float(median), float(mad))


def _weighted_median(sorted_values: np.ndarray, counts: np.ndarray) -> float:
    cumulative = np.cumsum(counts)
    return float(sorted_values[np.searchsorted(cumulative, cumulative[-1] / 2.0)])
