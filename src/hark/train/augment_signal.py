"""Signal operations behind the augmentations that simulate a new recording (one example at a time).

Every operation keeps an example's length and its time centre: the example is padded by
reflection (the audio just inside each edge, mirrored), changed, and the middle cut back out,
so nothing wraps around and no silence appears at the edges. Time stretching is a phase
vocoder (the short-time Fourier transform's magnitudes interpolated between frames, phases
advanced at each bin's measured frequency); pitch shifting is a stretch followed by
resampling back to the original duration (:func:`scipy.signal.resample`).
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from hark.dsp.spectral import hann_window


def reflect_index(index: np.ndarray, length: int) -> np.ndarray:
    """Positions ``index`` (any integers) folded into ``[0, length)`` as ``np.pad(mode='reflect')`` folds them."""
    if length == 1:
        return np.zeros_like(index)
    period = 2 * (length - 1)
    folded = np.mod(index, period)
    return np.where(folded > length - 1, period - folded, folded)


def reflect_pad(x: np.ndarray, pad: int) -> np.ndarray:
    """``x`` (1-D) with ``pad`` mirrored samples on each side (folded again where ``pad`` exceeds its length)."""
    return x[reflect_index(np.arange(-pad, len(x) + pad), len(x))]


def _stft(x: np.ndarray, window: np.ndarray, hop: int) -> np.ndarray:
    frames = np.lib.stride_tricks.sliding_window_view(x, len(window))[::hop] * window
    return np.fft.rfft(frames, axis=-1)


def _overlap_add(chunks: np.ndarray) -> np.ndarray:
    """Frames cut into hops, (T, n_fft / hop, hop), added at one hop from each other."""
    count, per_frame, hop = chunks.shape
    out = np.zeros((count + per_frame - 1, hop))
    for i in range(per_frame):
        out[i : i + count] += chunks[:, i]
    return out.ravel()


def _istft(spectra: np.ndarray, window: np.ndarray, hop: int) -> np.ndarray:
    n_fft = len(window)
    frames = np.fft.irfft(spectra, n=n_fft, axis=-1) * window
    out = _overlap_add(frames.reshape(len(frames), n_fft // hop, hop))
    norm = _overlap_add(np.broadcast_to((window**2).reshape(1, n_fft // hop, hop), (len(frames), n_fft // hop, hop)))
    return out / np.maximum(norm, 1e-3 * norm.max())


def phase_vocoder(x: np.ndarray, factor: float, n_fft: int) -> np.ndarray:
    """``x`` (1-D, at least ``n_fft`` long; ``n_fft`` a multiple of 4) lasting ``factor`` times as long at the same frequencies.

    Output sample ``factor * t + n_fft / 2 * (1 - factor)`` corresponds to input sample ``t``.
    """
    hop, window = n_fft // 4, hann_window(n_fft)  # periodic: overlap-adds to a constant at a hop of n_fft / 4
    spectra = _stft(x, window, hop)
    if len(spectra) < 2:
        return x.astype(np.float64)
    steps = np.arange(0.0, len(spectra) - 1, 1.0 / factor)
    lower = steps.astype(np.int64)
    fraction = (steps - lower)[:, None]
    magnitude = np.abs(spectra)
    magnitudes = (1 - fraction) * magnitude[lower] + fraction * magnitude[lower + 1]
    expected = 2 * np.pi * hop * np.arange(spectra.shape[1]) / n_fft  # each bin's phase advance over one hop
    phase = np.angle(spectra)
    deviation = phase[lower + 1] - phase[lower] - expected
    deviation -= 2 * np.pi * np.round(deviation / (2 * np.pi))
    advance = np.concatenate([phase[:1], expected + deviation[:-1]])
    accumulated = np.cumsum(advance, axis=0)
    # Identity phase locking (Laroche & Dolson): each bin keeps its phase relative to the nearest
    # spectral peak, so the bins of one tone stay coherent even where a sound starts after silence
    # (without it a burst's bins, advanced from noise, partly cancel).
    peak = _nearest_peak(magnitudes)
    rows = np.arange(len(steps))[:, None]
    locked = accumulated[rows, peak] + phase[lower][rows, np.arange(phase.shape[1])] - phase[lower][rows, peak]
    return _istft(magnitudes * np.exp(1j * locked), window, hop)


def _nearest_peak(magnitudes: np.ndarray) -> np.ndarray:
    """For each frame and bin, the bin of the nearest local maximum of the frame's magnitudes (itself without one)."""
    n_bins = magnitudes.shape[1]
    padded = np.pad(magnitudes, ((0, 0), (1, 1)), constant_values=-1.0)
    is_peak = (magnitudes > padded[:, :-2]) & (magnitudes >= padded[:, 2:])
    bins = np.broadcast_to(np.arange(n_bins), magnitudes.shape)
    before = np.maximum.accumulate(np.where(is_peak, bins, -n_bins), axis=1)
    after = np.minimum.accumulate(np.where(is_peak, bins, 3 * n_bins)[:, ::-1], axis=1)[:, ::-1]
    nearest = np.where(bins - before <= after - bins, before, after)
    return np.where((nearest >= 0) & (nearest < n_bins), nearest, bins)


def _centred_crop(y: np.ndarray, start: float, length: int) -> np.ndarray:
    first = int(round(start))
    out = np.zeros(length)
    lo, hi = max(first, 0), min(first + length, len(y))
    if hi > lo:
        out[lo - first : hi - first] = y[lo:hi]
    return out


def time_stretch(x: np.ndarray, factor: float, n_fft: int) -> np.ndarray:
    """``x`` played ``factor`` times as long about its centre at unchanged frequencies, cut to its own length.

    Output sample ``j`` holds what input sample ``c + (j - c) / factor`` held, ``c`` the centre
    (folded back by reflection where that lies beyond an edge): :func:`stretch_source`.
    """
    length = len(x)
    centre = (length - 1) / 2
    # only the input the output needs (the middle length / factor samples), with room for the vocoder's frames
    first = int(np.floor(centre - length / (2 * factor))) - 2 * n_fft
    needed = x[reflect_index(np.arange(first, int(np.ceil(centre + length / (2 * factor))) + 2 * n_fft + 1), length)]
    stretched = phase_vocoder(needed, factor, n_fft)
    return _centred_crop(stretched, factor * (centre - first) + n_fft / 2 * (1 - factor) - centre, length)


def stretch_source(length: int, factor: float) -> np.ndarray:
    """For each output sample of :func:`time_stretch`, the input sample it came from (float)."""
    centre = (length - 1) / 2
    source = centre + (np.arange(length) - centre) / factor
    return reflect_index(np.round(source).astype(np.int64), length).astype(np.float64)


def pitch_shift(x: np.ndarray, ratio: float, n_fft: int) -> np.ndarray:
    """``x`` with every frequency multiplied by ``ratio``, its duration and centre unchanged."""
    length = len(x)
    pad = 2 * n_fft
    stretched = phase_vocoder(reflect_pad(x, pad), ratio, n_fft)
    resampled = signal.resample(stretched, max(int(round(len(stretched) / ratio)), 1))
    # stretched[ratio * t + n_fft / 2 * (1 - ratio)] held input t; resampling divides positions by ratio
    return _centred_crop(resampled, pad + n_fft / 2 * (1 - ratio) / ratio, length)


def frequency_shift(x: np.ndarray, shift_hz: np.ndarray, samplerate: float) -> np.ndarray:
    """Each row of ``x`` (B, L) with every frequency moved by its row's ``shift_hz`` (single-sideband modulation)."""
    length = x.shape[1]
    pad = min(length - 1, 1024)
    padded = x[:, reflect_index(np.arange(-pad, length + pad), length)]
    analytic = signal.hilbert(padded, axis=-1)
    t = np.arange(padded.shape[1]) / samplerate
    shifted = np.real(analytic * np.exp(2j * np.pi * shift_hz[:, None] * t[None, :]))
    return shifted[:, pad : pad + length]


def spectral_gain(x: np.ndarray, gain_db: np.ndarray) -> np.ndarray:
    """Each row of ``x`` (B, L) filtered by a zero-phase gain; ``gain_db`` (B, F) at the rfft bins of twice its length."""
    length = x.shape[1]
    pad = length // 2
    padded = x[:, reflect_index(np.arange(-pad, length + pad), length)]
    spectra = np.fft.rfft(padded, n=2 * pad + length, axis=-1)
    filtered = np.fft.irfft(spectra * 10.0 ** (gain_db / 20.0), n=2 * pad + length, axis=-1)
    return filtered[:, pad : pad + length]


def rfft_fractions(length: int) -> np.ndarray:
    """The frequencies, as fractions of the Nyquist frequency, of :func:`spectral_gain`'s bins for examples of ``length``."""
    n = 2 * (length // 2) + length
    return np.fft.rfftfreq(n) * 2
