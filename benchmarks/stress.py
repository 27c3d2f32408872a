"""A recording made harder, as a new recording would be: quieter, noisier, pitched differently.

The stress conditions of ``python -m benchmarks.generalize`` (USVs), as pure functions of
sample arrays and call spans (``(start, stop)`` in samples), so that each is tested on
synthetic signals with known answers (tests/benchmarks/test_generalize.py):

- :func:`attenuate`: the whole recording scaled down by ``db`` decibels.
- :func:`background`: another recording's stretches without a hand-marked call (each call
  widened by a margin), joined end to end with short equal-power cross-fades (no click at a
  join) and repeated until long enough.
- :func:`mix_at_snr`: that background added so that the signal-to-noise ratio is ``snr_db``,
  where the signal is the withheld recording's power inside its hand-marked calls and the
  noise the added background's power, both measured above ``low_hz`` (15 kHz for USVs: the
  ``calls`` detector's spectrogram starts there, so power below it is neither signal nor
  noise to the detector). The recording's own noise stays in; the added noise comes on top.
- :func:`pitch_shift`: resampling, as a tape played faster or slower: every frequency is
  multiplied by ``factor`` and every duration divided by it (a call at 40 kHz lasting 50 ms
  becomes, at ``factor`` 1.1, a call at 44 kHz lasting 45.5 ms), the rate stays. Call spans
  move with :func:`scale_spans`. Resampling keeps the spectrum's shape exactly (no phase
  vocoder artefacts); a mouse whose calls are 10 % higher and 10 % shorter is the case it
  simulates.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np
from scipy.signal import butter, resample_poly, sosfiltfilt

Spans = Sequence[tuple[int, int]]


def attenuate(samples: np.ndarray, db: float) -> np.ndarray:
    """``samples`` made ``db`` decibels quieter (``db`` > 0 attenuates)."""
    return (np.asarray(samples, np.float64) * 10 ** (-db / 20)).astype(np.float32)


def call_free_stretches(length: int, calls: Spans, margin: int) -> list[tuple[int, int]]:
    """The stretches of ``[0, length)`` at least ``margin`` samples from every call."""
    busy = sorted((max(0, a - margin), min(length, b + margin)) for a, b in calls)
    stretches, position = [], 0
    for a, b in busy:
        if a > position:
            stretches.append((position, a))
        position = max(position, b)
    if position < length:
        stretches.append((position, length))
    return stretches


def background(samples: np.ndarray, calls: Spans, length: int, *, margin: int, fade: int) -> np.ndarray:
    """``length`` samples of ``samples`` outside its ``calls``: call-free stretches joined by cross-fades.

    Stretches shorter than two fades are skipped. Neighbouring stretches overlap by ``fade``
    samples under sine and cosine ramps, which keep the power of uncorrelated noise constant
    through the join.
    """
    samples = np.asarray(samples, np.float64)
    pieces = [samples[a:b] for a, b in call_free_stretches(len(samples), calls, margin) if b - a >= 2 * fade]
    if not pieces:
        raise ValueError("no stretch without a call is long enough to make a background")
    ramp = np.sin(np.linspace(0, np.pi / 2, fade, endpoint=False) + np.pi / (4 * fade)) if fade else np.zeros(0)
    out = pieces[0].copy()
    k = 1
    while len(out) < length:
        piece = pieces[k % len(pieces)]
        k += 1
        if fade:
            joined = out[-fade:] * ramp[::-1] + piece[:fade] * ramp
            out = np.concatenate([out[:-fade], joined, piece[fade:]])
        else:
            out = np.concatenate([out, piece])
    return out[:length]


def band_power(samples: np.ndarray, samplerate: float, low_hz: float, spans: Spans | None = None) -> float:
    """Mean power above ``low_hz`` (4th-order Butterworth high-pass, forwards and backwards) over ``spans`` or everything."""
    filtered = sosfiltfilt(butter(4, low_hz, "highpass", fs=samplerate, output="sos"), np.asarray(samples, np.float64))
    if spans is None:
        return float(np.mean(filtered**2))
    inside = np.concatenate([filtered[a:b] for a, b in spans])
    return float(np.mean(inside**2))


def mix_at_snr(samples: np.ndarray, noise: np.ndarray, calls: Spans, snr_db: float, samplerate: float, low_hz: float) -> np.ndarray:
    """``samples`` plus ``noise`` scaled so that call power / added noise power (above ``low_hz``) is ``snr_db``."""
    signal = band_power(samples, samplerate, low_hz, calls)
    added = band_power(noise, samplerate, low_hz)
    gain = np.sqrt(signal / (added * 10 ** (snr_db / 10)))
    return (np.asarray(samples, np.float64) + gain * np.asarray(noise, np.float64)).astype(np.float32)


def _speed(factor: float) -> tuple[int, int]:
    """``(up, down)`` of the resampling that plays ``factor`` times faster: up/down = 1/factor."""
    ratio = Fraction(1 / factor).limit_denominator(1000)
    return ratio.numerator, ratio.denominator


def pitch_shift(samples: np.ndarray, factor: float) -> np.ndarray:
    """``samples`` played ``factor`` times faster at the same rate: frequencies x factor, durations / factor."""
    up, down = _speed(factor)
    return resample_poly(np.asarray(samples, np.float64), up, down).astype(np.float32)


def scale_spans(spans: Spans, factor: float) -> list[tuple[int, int]]:
    """Call spans of a recording after :func:`pitch_shift` by ``factor``."""
    up, down = _speed(factor)
    return [(round(a * up / down), round(b * up / down)) for a, b in spans]


__all__ = ["attenuate", "background", "band_power", "call_free_stretches", "mix_at_snr", "pitch_shift", "scale_spans"]
