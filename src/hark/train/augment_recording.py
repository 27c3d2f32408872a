"""Augmentations that make a training example sound as if it came from another recording.

A new recording differs from the training ones in its microphone and room (the spectrum's
tilt, the band it passes), in the animal (calls a little higher or lower, faster or slower:
USVs, bats and birds vary in both; a fly's song carrier a few tens of Hz off) and in its level
and background (``volume`` covers gain up to +-60 dB; :mod:`hark.train.augment_background`
mixes in other recordings' background). Each is an augmentation plugin (see
:mod:`hark.train.augment`): pure, the same amount of randomness drawn whatever it decides, the
output as long as the input, changes centred on the example's middle.

Frequencies of ``tilt`` and ``band`` are fractions of the Nyquist frequency (so the defaults
suit any sample rate); ``carrier`` shifts by Hz and learns the sample rate from the training
data (:meth:`~hark.train.augment.Augmentation.prepare`).

>>> chain = build_augmentations(["tilt", {"name": "pitch", "params": {"min_percent": -10, "max_percent": 10}}])
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pydantic import Field, model_validator

from hark.errors import HarkError
from hark.params import Params
from hark.train.augment import Augmentation, _chosen, _probability, _RangeParams, register_augmentation
from hark.train.augment_signal import frequency_shift, pitch_shift, rfft_fractions, spectral_gain, stretch_source, time_stretch


def _fft_size():
    return Field(
        256, ge=16, le=65536, multiple_of=4,
        description="samples of the phase vocoder's analysis window, a multiple of 4 (shorter: sharper in time, coarser in frequency)",
    )


class TiltParams(_RangeParams):
    _range_fields: ClassVar[tuple[str, str]] = ("min_db_per_octave", "max_db_per_octave")
    min_db_per_octave: float = Field(-3.0, ge=-24, le=24, description="steepest fall of the gain towards high frequencies (dB per octave)")
    max_db_per_octave: float = Field(3.0, ge=-24, le=24, description="steepest rise (dB per octave)")
    pivot: float = Field(0.25, gt=0, le=1, description="frequency left unchanged, as a fraction of the Nyquist frequency")
    floor: float = Field(1 / 64, gt=0, lt=1, description="below this fraction of the Nyquist frequency the gain stays constant")
    probability: float = _probability(1.0)


@register_augmentation("tilt")
class Tilt(Augmentation):
    """Tilts each example's spectrum by a slope drawn uniformly in dB per octave (a zero-phase filter).

    The gain at frequency f is ``slope * log2(max(f, floor) / pivot)`` dB.
    """

    Params = TiltParams

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        p = self.params
        slope = rng.uniform(p.min_db_per_octave, p.max_db_per_octave, size=len(x))
        slope = np.where(_chosen(rng, len(x), p.probability), slope, 0.0)
        if not slope.any():
            return np.array(x, dtype=np.float32, copy=True)
        octaves = np.log2(np.maximum(rfft_fractions(x.shape[1]), p.floor) / p.pivot)
        return spectral_gain(np.asarray(x, dtype=np.float64), slope[:, None] * octaves[None, :]).astype(np.float32)


class BandParams(Params):
    max_low: float = Field(0.1, ge=0, lt=1, description="the high-pass edge is drawn uniformly in [0, max_low] (fraction of Nyquist; 0: none)")
    min_high: float = Field(0.7, gt=0, le=1, description="the low-pass edge is drawn uniformly in [min_high, 1] (fraction of Nyquist; 1: none)")
    order: int = Field(2, ge=1, le=8, description="Butterworth order of each edge (its gain falls by 12 * order dB per octave beyond it)")
    probability: float = _probability(1.0)

    @model_validator(mode="after")
    def _ordered(self):
        if self.max_low >= self.min_high:
            raise ValueError(f"max_low {self.max_low} must lie below min_high {self.min_high}")
        return self


# Edges closer than this to 0 or to the Nyquist frequency (fractions) are left out of the filter.
_NO_EDGE = 1e-3


@register_augmentation("band")
class Band(Augmentation):
    """Band-limits each example between a high-pass and a low-pass edge drawn uniformly (a zero-phase filter).

    The gain is a Butterworth filter's applied forwards and backwards, ``1 / (1 + (f / high)^(2 order))``
    times ``1 / (1 + (low / f)^(2 order))`` in power: -6 dB at each edge, in the Fourier domain.
    """

    Params = BandParams

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        p = self.params
        low = rng.uniform(0.0, p.max_low, size=len(x))
        high = rng.uniform(p.min_high, 1.0, size=len(x))
        chosen = _chosen(rng, len(x), p.probability)
        low = np.where(chosen & (low > _NO_EDGE), low, 0.0)
        high = np.where(chosen & (high < 1 - _NO_EDGE), high, np.inf)
        rows = np.flatnonzero((low > 0) | np.isfinite(high))
        out = np.array(x, dtype=np.float32, copy=True)
        if len(rows):
            f = np.maximum(rfft_fractions(x.shape[1]), 1e-12)[None, :]  # DC: fully cut by any high-pass
            with np.errstate(over="ignore"):
                power = 1.0 / (1.0 + (f / high[rows, None]) ** (2 * p.order)) / (1.0 + (low[rows, None] / f) ** (2 * p.order))
            out[rows] = spectral_gain(np.asarray(x[rows], dtype=np.float64), 10 * np.log10(np.maximum(power, 1e-30)))
        return out


class PitchParams(_RangeParams):
    _range_fields: ClassVar[tuple[str, str]] = ("min_percent", "max_percent")
    min_percent: float = Field(-10.0, ge=-50, le=100, description="largest fall of every frequency (percent)")
    max_percent: float = Field(10.0, ge=-50, le=100, description="largest rise (percent)")
    fft_size: int = _fft_size()
    probability: float = _probability(1.0)


@register_augmentation("pitch")
class Pitch(Augmentation):
    """Multiplies every frequency of each example by 1 + a percentage drawn uniformly; durations stay.

    A phase-vocoder stretch by the ratio followed by resampling back to the example's length,
    so a call keeps its place and length (dense targets stay aligned).
    """

    Params = PitchParams

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        p = self.params
        ratio = 1.0 + rng.uniform(p.min_percent, p.max_percent, size=len(x)) / 100.0
        chosen = _chosen(rng, len(x), p.probability) & (ratio != 1.0)
        out = np.array(x, dtype=np.float32, copy=True)
        for row in np.flatnonzero(chosen):
            out[row] = pitch_shift(np.asarray(x[row], dtype=np.float64), float(ratio[row]), p.fft_size)
        return out


class StretchParams(_RangeParams):
    _range_fields: ClassVar[tuple[str, str]] = ("min_factor", "max_factor")
    min_factor: float = Field(0.9, ge=0.5, le=2, description="shortest: durations multiplied by this")
    max_factor: float = Field(1.1, ge=0.5, le=2, description="longest")
    fft_size: int = _fft_size()
    probability: float = _probability(1.0)


@register_augmentation("stretch")
class Stretch(Augmentation):
    """Makes each example last a factor drawn uniformly longer (or shorter) about its middle; frequencies stay.

    A phase vocoder. The example keeps its length: a stretched one is cut to its middle, a
    shortened one continues into its edges mirrored. Dense targets move with the audio
    (:meth:`apply_timed`); a sparse or clip target, the middle's, stays where it was.
    """

    Params = StretchParams
    moves_time = True

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return self.apply_timed(x, rng)[0]

    def apply_timed(self, x: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
        p = self.params
        factor = rng.uniform(p.min_factor, p.max_factor, size=len(x))
        chosen = _chosen(rng, len(x), p.probability) & (factor != 1.0)
        out = np.array(x, dtype=np.float32, copy=True)
        if not chosen.any():
            return out, None
        length = x.shape[1]
        source = np.broadcast_to(np.arange(length, dtype=np.float64), x.shape).copy()
        for row in np.flatnonzero(chosen):
            out[row] = time_stretch(np.asarray(x[row], dtype=np.float64), float(factor[row]), p.fft_size)
            source[row] = stretch_source(length, float(factor[row]))
        return out, source


class CarrierParams(_RangeParams):
    _range_fields: ClassVar[tuple[str, str]] = ("min_hz", "max_hz")
    min_hz: float = Field(-20.0, ge=-1e6, le=1e6, description="largest shift down of every frequency (Hz)")
    max_hz: float = Field(20.0, ge=-1e6, le=1e6, description="largest shift up (Hz)")
    probability: float = _probability(1.0)


@register_augmentation("carrier")
class Carrier(Augmentation):
    """Moves every frequency of each example by a number of Hz drawn uniformly (single-sideband modulation).

    Unlike ``pitch`` the shift is the same in Hz at every frequency: a fly's song carrier a
    few tens of Hz off, its pulses' timing unchanged. Needs the sample rate
    (:meth:`prepare`, which training data does).
    """

    Params = CarrierParams

    def __init__(self, params: Params | dict[str, Any] | None = None):
        super().__init__(params)
        self.samplerate: float | None = None

    def prepare(self, training: Any) -> None:
        nyquist = training.samplerate / 2
        largest = max(abs(self.params.min_hz), abs(self.params.max_hz))
        if largest >= nyquist:
            raise HarkError(f"augmentation carrier: a shift of {largest:g} Hz reaches the Nyquist frequency {nyquist:g} Hz of {training.samplerate} Hz audio")
        self.samplerate = float(training.samplerate)

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if self.samplerate is None:
            raise HarkError("augmentation carrier needs the sample rate: prepare it with the training data first")
        p = self.params
        shift = rng.uniform(p.min_hz, p.max_hz, size=len(x))
        shift = np.where(_chosen(rng, len(x), p.probability), shift, 0.0)
        out = np.array(x, dtype=np.float32, copy=True)
        rows = np.flatnonzero(shift != 0)
        if len(rows):
            out[rows] = frequency_shift(np.asarray(x[rows], dtype=np.float64), shift[rows], self.samplerate)
        return out
