"""Call statistics, DeepSqueak's table in Python: one :class:`CallStats` per call (event).

The definitions are in docs/calls.md; in short, from the call's pitch contour
(:mod:`hark.calls.contour`):

- start and duration: the event's;
- low and high frequency: the event's box when it has one, else the contour's extremes;
- principal frequency: the contour's frequency on its loudest frame (frequency of maximum power);
- start and end frequency: the contour's first and last;
- slope: of a least-squares line through the contour, Hz/s;
- sinuosity: the contour's path length over the straight distance between its ends, with time in
  ms and frequency in kHz (1 ms counts as much as 1 kHz);
- mean power: the mean over the contour of the power spectral density at the contour, dB re full
  scale²/Hz;
- tonality: the mean over the contour's frames of 1 − the Wiener entropy (geometric over
  arithmetic mean of the magnitude spectrum inside the band): near 1 for a whistle, near 0.15 for
  white noise.

A statistic that cannot be had (no frame with energy, one contour point for a slope) is NaN.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import Field, model_validator

from hark.annotations.event import Event
from hark.audio.recording import Recording, open_recording
from hark.calls.contour import Contour, SpectrogramSettings, band_bins, call_power, extract_contour
from hark.errors import HarkError
from hark.params import Params


class CallStatsParams(Params):
    """How call statistics are measured."""

    window_ms: float = Field(1.0, gt=0, description="length of the spectrogram's Hann window (ms)")
    hop_ms: float = Field(0.25, gt=0, description="step between spectrogram frames (ms)")
    nfft: int | None = Field(None, ge=4, description="FFT size, zero-padding each window (default: the window's length in samples)")
    contour_db: float = Field(
        20.0, gt=0, description="energy threshold: frames whose loudest bin in the band is more than this many dB below the call's loudest are left out of the contour"
    )
    min_tonality: float = Field(
        0.3, ge=0, le=1, description="frames less tonal than this (1 - Wiener entropy; noise ~0.15, a whistle ~1) are left out of the contour, unless no frame is tonal enough"
    )
    min_hz: float = Field(0.0, ge=0, description="lowest frequency searched for a call without a box (Hz)")
    max_hz: float | None = Field(None, gt=0, description="highest frequency searched for a call without a box (Hz; default: half the sample rate)")

    @model_validator(mode="after")
    def _band_is_a_band(self):
        if self.max_hz is not None and self.max_hz <= self.min_hz:
            raise ValueError(f"max_hz {self.max_hz:g} must be above min_hz {self.min_hz:g}")
        return self


@dataclass(frozen=True)
class CallStats:
    """The statistics of one call; frequencies in Hz, times in seconds, NaN where undefined."""

    recording: str
    label: str
    start_s: float
    duration_s: float
    low_frequency_hz: float
    high_frequency_hz: float
    frequency_bounds: str  # "box" (the event's) or "contour"
    principal_frequency_hz: float
    start_frequency_hz: float
    end_frequency_hz: float
    slope_hz_per_s: float
    sinuosity: float
    mean_power_db: float
    tonality: float
    contour_frames: int
    score: float | None = None
    event: Event | None = field(default=None, compare=False, repr=False)


def call_statistics(
    recording: Recording | str | Path,
    events: Iterable[Event],
    params: CallStatsParams | None = None,
) -> list[CallStats]:
    """The statistics of each event of ``recording``, in the order given.

    Only each call's samples (plus half a window either side) are read. An event past the
    recording's end, or whose box lies above the Nyquist frequency, is a one-line HarkError.
    """
    params = params or CallStatsParams()
    audio = recording if isinstance(recording, Recording) else open_recording(recording)
    settings = SpectrogramSettings.of(audio.samplerate, params.window_ms, params.hop_ms, params.nfft)
    return [_one_call(audio, event, settings, params) for event in events]


def call_contour(recording: Recording, event: Event, params: CallStatsParams | None = None) -> Contour:
    """The pitch contour of one call (see :mod:`hark.calls.contour`)."""
    params = params or CallStatsParams()
    settings = SpectrogramSettings.of(recording.samplerate, params.window_ms, params.hop_ms, params.nfft)
    return _contour(recording, event, settings, params)


def _contour(audio: Recording, event: Event, settings: SpectrogramSettings, params: CallStatsParams) -> Contour:
    where = f"{audio.name}: call at {event.start / audio.samplerate:.4f} s"
    if event.stop > audio.frames:
        raise HarkError(f"{where} ends at sample {event.stop}, past the recording's end ({audio.frames} samples)")
    low, high = search_band(event, settings.nyquist, params)
    if low >= settings.nyquist:
        raise HarkError(
            f"{where} has a box from {low:g} Hz, above the Nyquist frequency {settings.nyquist:g} Hz of a recording "
            f"sampled at {audio.samplerate} Hz"
        )
    centres, power = call_power(audio, event, settings)
    return extract_contour(power, centres, settings, band_bins(settings, low, high), params.contour_db, params.min_tonality)


def search_band(event: Event, nyquist: float, params: CallStatsParams) -> tuple[float, float]:
    """The band searched for the contour: the event's box where it has bounds, else the parameters', up to Nyquist."""
    low = event.low_hz if event.low_hz is not None else params.min_hz
    high = event.high_hz if event.high_hz is not None else (params.max_hz or nyquist)
    return low, min(high, nyquist)


def _one_call(audio: Recording, event: Event, settings: SpectrogramSettings, params: CallStatsParams) -> CallStats:
    contour = _contour(audio, event, settings, params)
    rate = settings.samplerate
    nan = math.nan
    if event.has_frequency:
        low, high, bounds = event.low_hz, event.high_hz, "box"
    elif len(contour):
        low, high, bounds = float(contour.frequencies_hz.min()), float(contour.frequencies_hz.max()), "contour"
    else:
        low, high, bounds = nan, nan, "contour"
    empty = not len(contour)
    return CallStats(
        recording=event.recording,
        label=event.label,
        start_s=event.start / rate,
        duration_s=(event.stop - event.start) / rate,
        low_frequency_hz=low,
        high_frequency_hz=high,
        frequency_bounds=bounds,
        principal_frequency_hz=nan if empty else float(contour.frequencies_hz[np.argmax(contour.psd_db)]),
        start_frequency_hz=nan if empty else float(contour.frequencies_hz[0]),
        end_frequency_hz=nan if empty else float(contour.frequencies_hz[-1]),
        slope_hz_per_s=contour_slope(contour),
        sinuosity=contour_sinuosity(contour),
        mean_power_db=nan if empty else float(np.mean(contour.psd_db)),
        tonality=nan if empty else float(np.mean(contour.tonality)),
        contour_frames=len(contour),
        score=event.score,
        event=event,
    )


def contour_slope(contour: Contour) -> float:
    """Hz per second of the least-squares line through the contour; NaN with fewer than two points."""
    if len(contour) < 2:
        return math.nan
    times = contour.times_s - contour.times_s.mean()
    return float(np.sum(times * (contour.frequencies_hz - contour.frequencies_hz.mean())) / np.sum(times**2))


def contour_sinuosity(contour: Contour) -> float:
    """Path length over the straight distance between the ends, time in ms against frequency in kHz.

    DeepSqueak measures both in spectrogram pixels, which makes the number depend on its
    window and hop; ms and kHz make it a property of the call. NaN when the ends coincide.
    """
    if len(contour) < 2:
        return math.nan
    time_ms = contour.times_s * 1000
    frequency_khz = contour.frequencies_hz / 1000
    path = float(np.sum(np.hypot(np.diff(time_ms), np.diff(frequency_khz))))
    straight = math.hypot(time_ms[-1] - time_ms[0], frequency_khz[-1] - frequency_khz[0])
    return path / straight if straight > 0 else math.nan
