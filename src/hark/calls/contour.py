"""A call's spectrogram, read from the recording around the call alone, and its pitch contour.

The spectrogram has Hann windows of ``window_ms`` centred every ``hop_ms`` from the call's
start, and one centred on its stop; the samples read are the call's plus half a window on each side (zeros
beyond the recording's ends), so a long recording is never read whole.

The contour is, on each frame with enough energy, the frequency of the loudest bin inside the
call's frequency band, refined below the bin spacing by a parabola through the log power of
that bin and its two neighbours (a clean sweep then gives a straight contour rather than a
staircase). A frame is part of the contour when that loudest bin's power is at most
``contour_db`` below the loudest frame's and the frame is tonal: its tonality (1 minus the
Wiener entropy, the geometric over the arithmetic mean of the band's magnitude spectrum) is at
least ``min_tonality``. Background noise has a tonality near 0.15 and a whistle near 1, so the
second test keeps the noise between and around faint calls out of their contour. (Tonality
needs a spectrum to be flat or peaked in: a band narrower than :data:`MIN_TONALITY_BINS` bins,
the box of a nearly flat call, is widened about its middle to that many bins for it.) When no frame
is tonal enough (a noise burst), the frames with enough energy make the contour. Each contour
point keeps its power spectral density and its frame's tonality.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hark.annotations.event import Event
from hark.audio.recording import Recording
from hark.dsp import hann_window, rfft_frequencies, windowed_power
from hark.errors import HarkError

# Magnitudes below this fraction of the call's largest count as this fraction: keeps log() finite
# for digital silence without changing any real spectrum (float32 samples resolve ~1e-7).
_MAGNITUDE_FLOOR = 1e-12
MIN_TONALITY_BINS = 16


@dataclass(frozen=True)
class SpectrogramSettings:
    """Window, hop and FFT size in samples for one sample rate."""

    samplerate: float
    window: int
    hop: int
    nfft: int

    @classmethod
    def of(cls, samplerate: float, window_ms: float, hop_ms: float, nfft: int | None) -> SpectrogramSettings:
        window = max(4, round(window_ms * samplerate / 1000))
        hop = max(1, round(hop_ms * samplerate / 1000))
        size = window if nfft is None else nfft
        if size < window:
            raise HarkError(f"nfft {size} is shorter than the {window_ms:g} ms window ({window} samples at {samplerate:g} Hz)")
        return cls(float(samplerate), window, hop, size)

    @property
    def bin_hz(self) -> float:
        return self.samplerate / self.nfft

    @property
    def nyquist(self) -> float:
        return self.samplerate / 2


@dataclass(frozen=True)
class Contour:
    """The pitch contour of one call: one entry per frame with enough energy, in time order.

    ``times_s`` are frame centres in seconds from the recording's start; ``psd_db`` is the
    power spectral density at the contour (dB re full scale squared per Hz).
    """

    times_s: np.ndarray
    frequencies_hz: np.ndarray
    psd_db: np.ndarray
    tonality: np.ndarray
    frames: int  # frames in the call, with enough energy or not

    def __len__(self) -> int:
        return len(self.times_s)


def call_power(recording: Recording, event: Event, settings: SpectrogramSettings) -> tuple[np.ndarray, np.ndarray]:
    """(frame centres in samples, power spectrogram ``[frame, bin]``) of the event's stretch."""
    if recording.samplerate != settings.samplerate:
        raise HarkError(f"{recording.path}: sampled at {recording.samplerate} Hz, not {settings.samplerate:g} Hz")
    centres = event.start + settings.hop * np.arange((event.stop - event.start) // settings.hop + 1)
    if centres[-1] < event.stop:  # a last frame centred on the stop, so that the end frequency is the end's
        centres = np.append(centres, event.stop)
    first = int(centres[0]) - settings.window // 2
    last = int(centres[-1]) - settings.window // 2 + settings.window  # one past the last sample needed
    read_from, read_to = max(first, 0), min(last, recording.frames)
    samples = np.zeros(last - first, dtype=np.float64)
    if read_to > read_from:
        samples[read_from - first : read_to - first] = recording.read(read_from, read_to)
    windows = np.lib.stride_tricks.sliding_window_view(samples, settings.window)[centres - centres[0]]
    return centres, windowed_power(windows, settings.nfft)


def band_bins(settings: SpectrogramSettings, low_hz: float, high_hz: float) -> np.ndarray:
    """Indices of the FFT bins whose centre lies in ``[low_hz, high_hz]`` (at least the nearest one)."""
    centres = rfft_frequencies(settings.samplerate, settings.nfft)
    inside = np.flatnonzero((centres >= low_hz) & (centres <= high_hz))
    if len(inside):
        return inside
    return np.array([int(np.argmin(np.abs(centres - (low_hz + high_hz) / 2)))])


def extract_contour(
    power: np.ndarray,
    centres: np.ndarray,
    settings: SpectrogramSettings,
    bins: np.ndarray,
    contour_db: float,
    min_tonality: float = 0.0,
) -> Contour:
    """The contour of a call from its power spectrogram, searching only ``bins``."""
    frames = power.shape[0]
    band = power[:, bins]
    local_peak = np.argmax(band, axis=1)
    peak_power = band[np.arange(frames), local_peak]
    loudest = float(peak_power.max()) if frames else 0.0
    if loudest <= 0:  # digital silence: no contour
        empty = np.zeros(0)
        return Contour(empty, empty, empty, empty, frames)
    tonality = frame_tonality(power[:, widened(bins, power.shape[1], MIN_TONALITY_BINS)], math.sqrt(loudest) * _MAGNITUDE_FLOOR)
    loud = peak_power >= loudest * 10 ** (-contour_db / 10)
    keep = loud & (tonality >= min_tonality)
    rows = np.flatnonzero(keep if keep.any() else loud)
    peak_bin = bins[local_peak[rows]]
    frequencies = (peak_bin + _parabolic_offset(power[rows], peak_bin)) * settings.bin_hz

    window_power = np.sum(hann_window(settings.window) ** 2)
    # One-sided power spectral density, as DeepSqueak computes its call power.
    psd = 2 * peak_power[rows] / (settings.samplerate * window_power)
    return Contour(
        times_s=centres[rows] / settings.samplerate,
        frequencies_hz=frequencies,
        psd_db=10 * np.log10(np.maximum(psd, 1e-300)),
        tonality=tonality[rows],
        frames=frames,
    )


def widened(bins: np.ndarray, total: int, minimum: int) -> np.ndarray:
    """``bins`` (consecutive), or ``minimum`` consecutive bins about their middle, within ``0..total-1``."""
    if len(bins) >= minimum or total <= minimum:
        return bins if len(bins) >= minimum else np.arange(total)
    first = min(max(int(bins[0]) - (minimum - len(bins)) // 2, 0), total - minimum)
    return np.arange(first, first + minimum)


def frame_tonality(band_power: np.ndarray, floor: float) -> np.ndarray:
    """Per frame, 1 - geometric / arithmetic mean of the magnitude spectrum (1 - Wiener entropy).

    Magnitudes, as DeepSqueak takes them: white noise's (Rayleigh-distributed) give
    1 - 0.85 = 0.15 whatever the band's width; a pure tone's give nearly 1. A band of one bin
    has a tonality of 0.
    """
    magnitude = np.sqrt(band_power)
    geometric = np.exp(np.mean(np.log(np.maximum(magnitude, floor)), axis=1))
    arithmetic = np.maximum(np.mean(magnitude, axis=1), floor)
    return 1 - geometric / arithmetic


def _parabolic_offset(power: np.ndarray, peak_bin: np.ndarray) -> np.ndarray:
    """Sub-bin offset (-0.5..0.5) of each row's peak, from a parabola through log power at bins k-1, k, k+1."""
    last = power.shape[1] - 1
    rows = np.arange(len(peak_bin))
    floor = max(float(power.max()), 1e-300) * _MAGNITUDE_FLOOR**2
    left = np.log(np.maximum(power[rows, np.maximum(peak_bin - 1, 0)], floor))
    middle = np.log(np.maximum(power[rows, peak_bin], floor))
    right = np.log(np.maximum(power[rows, np.minimum(peak_bin + 1, last)], floor))
    curvature = left - 2 * middle + right
    with np.errstate(divide="ignore", invalid="ignore"):
        offset = np.where(curvature < 0, 0.5 * (left - right) / curvature, 0.0)
    # At the spectrum's edges there is only one neighbour: no refinement.
    offset[(peak_bin == 0) | (peak_bin == last)] = 0.0
    return np.clip(offset, -0.5, 0.5)
