"""The time-domain thresholds of a chunk, kept from the pass that reads it before the noise level is known.

The detector's time-domain sounds are ``fill_gaps(runs(|x - center| > sigma * spread), smooth)``
for two multiples ``sigma``, with ``center`` and ``spread`` (median and MAD) known only once the
whole recording has been read. Reading and high-pass filtering the recording a second time just
for these thresholds cost a third of detection at 250 kHz. Instead, while the first pass reads a
chunk, it estimates the level from every 64th sample of the chunk (``c``, ``s``) and keeps, for
each ``sigma``:

- the runs where ``|x - c| > hi * sigma * s`` (sure to pass the final threshold), gaps shorter
  than ``smooth`` filled, and
- the samples of the band ``lo * sigma * s < |x - c| <= hi * sigma * s`` that lie outside those
  runs, with their values (the ones that might pass).

Once the level is known, a chunk's result is exact when the final threshold lies inside the
band with a margin that covers the difference of the centers and float32 rounding: samples below
the band cannot pass it, samples above can only pass, and the band's samples are compared
exactly as the full computation compares them. Runs rebuilt from the sure runs and the band's
passing samples, gaps then filled, are those of the full computation, because filling gaps
(a closing) is extensive, monotone and idempotent: ``fill(fill(A) | B) == fill(A | B)``, and
band samples inside ``fill(A)`` change nothing. A chunk where the estimate missed (its noise
level far from the recording's), or whose band would not fit the memory budget, returns
``None``: the detector reads it again (tests/detect/test_time_candidates.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hark.detect import intervals as iv
from hark.detect.noise import NoiseLevel

LOW, HIGH = 0.8, 1.25  # the band around the estimated thresholds: 1-3 % of the samples of USV and bat recordings
STRIDE = 64  # every 64th sample estimates the chunk's level (16,384 of a million)
MARGIN = 1e-5  # beyond float32 rounding of |x - center| for samples within [-2, 2]


@dataclass(frozen=True)
class TimeCandidates:
    """One chunk's sure runs and band samples per threshold (positions relative to the chunk)."""

    center: float  # the estimate the band was taken around (float32 value)
    bands: tuple[tuple[float, float], ...]  # per sigma: (lowest, highest) |x - center| of the band
    sure: tuple[np.ndarray, ...]  # per sigma: runs above the band, gaps filled
    index: tuple[np.ndarray, ...]  # per sigma: band samples outside the sure runs
    values: tuple[np.ndarray, ...]  # their samples

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for group in (self.sure, self.index, self.values) for a in group)


def candidates_of(samples: np.ndarray, sigmas, smooth: int) -> TimeCandidates | None:
    """The chunk's candidates, or None where its level cannot be estimated (silence)."""
    sample = samples[::STRIDE]
    if len(sample) == 0:
        return None
    center = np.float32(np.median(sample))
    scale = float(np.median(np.abs(sample - center)))
    if not np.isfinite(scale) or scale <= 0:
        return None
    deviation = np.abs(samples - center)
    bands, sure, index, values = [], [], [], []
    for sigma in sigmas:
        low, high = LOW * sigma * scale, HIGH * sigma * scale
        runs = iv.fill_gaps(iv.runs(deviation > high), smooth)
        band = np.flatnonzero((deviation > low) & (deviation <= high))
        band = band[~_inside(band, runs)]
        bands.append((low, high))
        sure.append(runs)
        index.append(band.astype(np.int32))
        values.append(samples[band])
    return TimeCandidates(float(center), tuple(bands), tuple(sure), tuple(index), tuple(values))


def time_runs_of(candidates: TimeCandidates | None, level: NoiseLevel, sigmas, smooth: int, start: int):
    """Per sigma, ``fill_gaps(runs(|x - level.center| > sigma * level.spread, start), smooth)`` of
    the chunk, as the full computation gives it; None where the band does not hold a threshold."""
    if candidates is None:
        return None
    shift = abs(level.center - candidates.center) + MARGIN
    result = []
    for sigma, (low, high), sure, index, values in zip(sigmas, candidates.bands, candidates.sure, candidates.index, candidates.values):
        threshold = sigma * level.spread
        if not (low + shift < threshold and threshold + shift < high):
            return None
        passing = index[np.abs(values - level.center) > threshold]  # as the full computation compares
        runs = iv.union(sure, _runs_of_positions(passing))
        result.append(iv.fill_gaps(runs + start, smooth))
    return tuple(result)


def _inside(positions: np.ndarray, runs: np.ndarray) -> np.ndarray:
    """Which of the sorted ``positions`` lie inside one of the sorted, disjoint ``runs``."""
    if len(runs) == 0 or len(positions) == 0:
        return np.zeros(len(positions), dtype=bool)
    after = np.searchsorted(runs[:, 0], positions, side="right") - 1  # the last run starting at or before
    return (after >= 0) & (positions < runs[np.maximum(after, 0), 1])


def _runs_of_positions(positions: np.ndarray) -> np.ndarray:
    """Runs of consecutive values of sorted, distinct ``positions`` (``iv.runs`` of their mask)."""
    if len(positions) == 0:
        return iv.EMPTY.copy()
    positions = positions.astype(np.int64)
    breaks = np.flatnonzero(np.diff(positions) != 1) + 1
    starts = positions[np.concatenate([[0], breaks])]
    stops = positions[np.concatenate([breaks - 1, [len(positions) - 1]])] + 1
    return np.stack([starts, stops], axis=1)
