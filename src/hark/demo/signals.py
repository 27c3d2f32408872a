"""Building blocks shared by the demo generators: shaped noise, envelopes, schedules, scales.

Everything takes a :class:`numpy.random.Generator` and draws from nothing else, so that a
seed fixes every sample.
"""

from __future__ import annotations

import numpy as np
from pydantic import model_validator

from hark.params import Params


def as_generator(rng: np.random.Generator | int) -> np.random.Generator:
    """Accept a Generator (used as is) or an integer seed."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(int(rng))


def robust_scale(samples: np.ndarray) -> float:
    """Median absolute deviation, the noise scale SongExplorer's detector thresholds against."""
    return float(np.median(np.abs(samples - np.median(samples))))


def shaped_noise(
    n: int,
    samplerate: float,
    rng: np.random.Generator,
    exponent: float = 1.0,
    low_hz: float = 0.0,
    high_hz: float | None = None,
) -> np.ndarray:
    """Gaussian noise with power ~ 1/f**exponent between ``low_hz`` and ``high_hz``, MAD 1.

    Shaped in the frequency domain (one FFT), which is exact and fast even for millions of
    samples. exponent 0 is white, 1 pink, 2 brown. Outside the band the power falls off
    over a quarter octave instead of stopping dead, so that no ringing edge is audible.
    """
    if n <= 0:
        return np.zeros(0)
    high_hz = samplerate / 2 if high_hz is None else high_hz
    spectrum = rng.standard_normal(n // 2 + 1) + 1j * rng.standard_normal(n // 2 + 1)
    freqs = np.fft.rfftfreq(n, 1 / samplerate)
    # Floor the frequency used for 1/f so that DC and the lowest bin do not blow up.
    gain = np.maximum(freqs, max(low_hz, samplerate / n)) ** (-exponent / 2)
    gain *= _soft_band(freqs, low_hz, high_hz)
    gain[0] = 0.0  # no DC offset
    noise = np.fft.irfft(spectrum * gain, n)
    scale = robust_scale(noise)
    return noise / scale if scale > 0 else noise


def _soft_band(freqs: np.ndarray, low_hz: float, high_hz: float) -> np.ndarray:
    """1 inside [low_hz, high_hz], a raised-cosine fall to 0 over a quarter octave outside."""
    width = 2**0.25
    band = np.ones_like(freqs)
    if low_hz > 0:
        below = freqs < low_hz
        x = np.clip(np.log2(np.maximum(freqs[below], 1e-9) / (low_hz / width)) / np.log2(width), 0, 1)
        band[below] = 0.5 - 0.5 * np.cos(np.pi * x)
    above = freqs > high_hz
    x = np.clip(np.log2(freqs[above] / high_hz) / np.log2(width), 0, 1)
    band[above] = 0.5 + 0.5 * np.cos(np.pi * x)
    return band


def tukey(n: int, ramp: int) -> np.ndarray:
    """A flat-topped envelope of ``n`` samples with raised-cosine on/offsets of ``ramp`` samples."""
    envelope = np.ones(n)
    ramp = min(ramp, n // 2)
    if ramp > 0:
        rise = 0.5 - 0.5 * np.cos(np.pi * (np.arange(ramp) + 0.5) / ramp)
        envelope[:ramp] = rise
        envelope[n - ramp :] = rise[::-1]
    return envelope


def chirp(inst_hz: np.ndarray, samplerate: float, phase: float = 0.0) -> np.ndarray:
    """A unit sinusoid following the instantaneous frequency ``inst_hz`` (one value per sample)."""
    return np.sin(phase + 2 * np.pi * np.cumsum(inst_hz) / samplerate)


def add_at(target: np.ndarray, start: int, sound: np.ndarray) -> None:
    """``target[start:start+len(sound)] += sound``, clipped to the target's bounds."""
    lo, hi = max(start, 0), min(start + len(sound), len(target))
    if lo < hi:
        target[lo:hi] += sound[lo - start : hi - start]


def free_intervals(busy: list[tuple[int, int]], total: int) -> list[tuple[int, int]]:
    """The stretches of ``[0, total)`` that no ``busy`` interval touches."""
    gaps, cursor = [], 0
    for lo, hi in sorted(busy):
        if lo > cursor:
            gaps.append((cursor, lo))
        cursor = max(cursor, hi)
    if cursor < total:
        gaps.append((cursor, total))
    return gaps


def uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    """One draw from [low, high]; equal bounds give that value (a way to switch jitter off)."""
    low, high = bounds
    return float(low if low == high else rng.uniform(low, high))


class RangedParams(Params):
    """Parameters with ``<name>_min`` / ``<name>_max`` pairs, checked to be in order."""

    @model_validator(mode="after")
    def _min_not_above_max(self):
        for name in type(self).model_fields:
            if name.endswith("_min"):
                partner = name[:-4] + "_max"
                if partner in type(self).model_fields and getattr(self, name) > getattr(self, partner):
                    raise ValueError(f"{name} {getattr(self, name):g} is above {partner} {getattr(self, partner):g}")
        return self

    def span(self, name: str) -> tuple[float, float]:
        """``(name_min, name_max)``."""
        return getattr(self, f"{name}_min"), getattr(self, f"{name}_max")
