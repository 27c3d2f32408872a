"""What the context window draws, computed for the visible stretch only.

A view of samples ``[start, stop)`` drawn ``columns`` pixels wide needs one waveform
column (its lowest and highest sample) and one spectrum per pixel, never more: however long
the recording and however far the user zooms out, a redraw reads and transforms about
``columns`` windows of audio. When the visible stretch is short (a few million samples) it
is read in one go and every sample counts in the waveform; when it is longer, each pixel
column reads one window of at most :data:`OVERVIEW_SAMPLES` samples around its centre, so
the waveform of an hour-long view is an overview (each column shows that window, not all of
the column's samples; SongExplorer and Audacity draw such overviews too).
"""

from __future__ import annotations

import base64
import io
import wave
from dataclasses import dataclass

import numpy as np

from hark.audio.recording import Recording
from hark.dsp import rfft_frequencies, windowed_power

DIRECT_READ_SAMPLES = 1 << 22  # read the visible stretch whole up to this many samples (16 MB float32)
OVERVIEW_SAMPLES = 8192  # beyond that, each pixel column reads this many samples around its centre
PLAYBACK_RATES = (8000, 768000)  # sample rates every browser plays: slower audio is upsampled


@dataclass(frozen=True)
class ViewData:
    """One redraw: the waveform envelope and the spectrogram of ``[start, stop)``.

    ``times`` (seconds) are where the envelope's ``low``/``high`` values are drawn: one per
    pixel column, or one per sample when the view holds fewer samples than pixels.
    ``spectrogram`` is ``(rows, columns)`` in dB for frequencies ``low_hz..high_hz``.
    """

    start: int
    stop: int
    samplerate: int
    times: np.ndarray
    low: np.ndarray
    high: np.ndarray
    spectrogram: np.ndarray
    low_hz: float
    high_hz: float

    @property
    def start_s(self) -> float:
        return self.start / self.samplerate

    @property
    def stop_s(self) -> float:
        return self.stop / self.samplerate


def default_nfft(samplerate: int) -> int:
    """A window of about 20 ms, a power of two between 64 and 1024 samples."""
    return int(min(1024, max(64, 2 ** round(np.log2(max(samplerate * 0.02, 1))))))


def compute_view(
    recording: Recording,
    start: int,
    stop: int,
    columns: int,
    rows: int,
    nfft: int,
    frequency_range: tuple[float, float] | None = None,
) -> ViewData:
    """Envelope and spectrogram of samples ``[start, stop)``, ``columns`` wide and at most ``rows`` high."""
    start = max(0, min(int(start), recording.frames))
    stop = max(start + 1, min(int(stop), recording.frames)) if recording.frames > 0 else start
    columns = max(1, int(columns))
    nyquist = recording.samplerate / 2
    low_hz, high_hz = frequency_range if frequency_range is not None else (0.0, nyquist)
    low_hz, high_hz = max(0.0, min(low_hz, nyquist)), max(0.0, min(high_hz, nyquist))
    if high_hz <= low_hz:
        low_hz, high_hz = 0.0, nyquist
    if recording.frames == 0:
        empty = np.zeros(0, np.float32)
        return ViewData(0, 0, recording.samplerate, empty, empty, empty, np.zeros((1, 1), np.float32), low_hz, high_hz)
    span = stop - start
    centres = start + (np.arange(columns) + 0.5) * (span / columns)
    stream = recording.reader.open(recording.path)
    try:
        if span + nfft <= DIRECT_READ_SAMPLES:
            first = max(0, start - nfft)
            last = min(recording.frames, stop + nfft)
            audio = stream.read(first, last)[:, recording.channel]
            times, low, high = _envelope(audio[start - first : stop - first], start, columns, recording.samplerate)
            windows = _windows_at(audio, first, centres, nfft)
        else:
            length = max(nfft, OVERVIEW_SAMPLES)
            pieces = [_read_around(stream, recording, c, length) for c in centres]
            audio = np.stack(pieces)
            times = centres / recording.samplerate
            low, high = audio.min(axis=1), audio.max(axis=1)
            middle = (length - nfft) // 2
            windows = audio[:, middle : middle + nfft]
    finally:
        stream.close()
    image = _spectrogram(windows, nfft, recording.samplerate, low_hz, high_hz, rows)
    return ViewData(start, stop, recording.samplerate, times, low.astype(np.float32), high.astype(np.float32), image, low_hz, high_hz)


def _envelope(audio: np.ndarray, start: int, columns: int, samplerate: int):
    """Lowest and highest sample per pixel column, or the samples themselves when fewer than columns."""
    if len(audio) <= 2 * columns:
        times = (start + np.arange(len(audio))) / samplerate
        return times, audio, audio
    edges = np.linspace(0, len(audio), columns + 1).astype(np.int64)[:-1]
    low = np.minimum.reduceat(audio, edges)
    high = np.maximum.reduceat(audio, edges)
    times = (start + edges) / samplerate
    return times, low, high


def _windows_at(audio: np.ndarray, first: int, centres: np.ndarray, nfft: int) -> np.ndarray:
    """``(columns, nfft)`` windows of ``audio`` (which starts at sample ``first``) centred on ``centres``, zero-padded."""
    begins = np.round(centres).astype(np.int64) - nfft // 2 - first
    index = begins[:, None] + np.arange(nfft)[None, :]
    inside = (index >= 0) & (index < len(audio))
    return np.where(inside, audio[np.clip(index, 0, max(len(audio) - 1, 0))], 0.0).astype(np.float32)


def _read_around(stream, recording: Recording, centre: float, length: int) -> np.ndarray:
    begin = int(round(centre)) - length // 2
    lo, hi = max(0, begin), min(recording.frames, begin + length)
    piece = np.zeros(length, np.float32)
    if hi > lo:
        piece[lo - begin : hi - begin] = stream.read(lo, hi)[:, recording.channel]
    return piece


def _spectrogram(windows: np.ndarray, nfft: int, samplerate: int, low_hz: float, high_hz: float, rows: int) -> np.ndarray:
    """Power in dB, ``(rows, columns)``: bins of ``low_hz..high_hz``, max-pooled down to ``rows`` rows."""
    power = windowed_power(windows, nfft).T  # (bins, columns), periodic Hann as for every spectrogram of hark
    frequencies = rfft_frequencies(samplerate, nfft)
    keep = (frequencies >= low_hz) & (frequencies <= high_hz)
    if keep.sum() < 2:
        keep = np.zeros_like(keep)
        nearest = int(np.argmin(np.abs(frequencies - (low_hz + high_hz) / 2)))
        keep[max(0, nearest - 1) : nearest + 1] = True
    power = power[keep]
    rows = max(1, int(rows))
    if len(power) > rows:  # more frequency bins than pixels: keep each pixel's loudest bin
        power = np.maximum.reduceat(power, np.linspace(0, len(power), rows + 1).astype(np.int64)[:-1], axis=0)
    return (10.0 * np.log10(power + 1e-12)).astype(np.float32)


def palette_rgba(palette: list[str] | tuple[str, ...]) -> np.ndarray:
    """``#rrggbb`` colours as the ``uint32`` pixels of a Bokeh RGBA image (bytes R, G, B, A in memory)."""
    channels = np.array([[int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16), 255] for c in palette], dtype=np.uint8)
    return channels.view("<u4").ravel()


NAN_RGBA = palette_rgba(["#808080"])[0]  # Bokeh's colour mappers draw a NaN grey


def colour_map(values: np.ndarray, low: float, high: float, palette: np.ndarray) -> np.ndarray:
    """``values`` coloured as Bokeh's ``LinearColorMapper(palette, low, high)`` colours them in the browser.

    The page then draws the pixels as they are (an RGBA image) instead of mapping a float image
    itself: one less pass over every pixel in the browser per redraw, and the contrast sliders no
    longer re-map it there. ``palette`` comes from :func:`palette_rgba`. As BokehJS does: a value
    falls in bin ``floor((v - low) / (high - low) * n)``, ``high`` itself in the last; values
    below ``low`` take the first colour, above ``high`` the last, NaN grey.
    """
    values = np.asarray(values)
    exact = values.astype(np.float64)  # the page reads float32 pixels as doubles; so does this
    n = len(palette)
    span = high - low
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if span != 0:
            # the same operations, in the same (double) precision, as BokehJS's value_to_index
            scaled = np.floor((exact - low) * (1.0 / span) / (1.0 / n))
        else:  # a flat mapping: above it the last colour, below it the first (JS: an infinite factor)
            scaled = np.where(exact > low, float(n), -1.0)
        scaled[exact == high] = n - 1
        index = np.clip(np.nan_to_num(scaled, nan=0.0, posinf=n - 1, neginf=0.0), 0, n - 1).astype(np.intp)
    pixels = palette[index]
    nan = np.isnan(values)
    if nan.any():
        pixels[nan] = NAN_RGBA
    return pixels


def playback_wav(
    recording: Recording, start: int, stop: int, speed: float = 1.0, max_seconds: float = 60.0, peak: float | None = None
) -> tuple[bytes, float]:
    """A 16-bit WAV of ``[start, stop)`` played at ``speed`` (0.1: ten times slower), and the seconds it holds.

    At most ``max_seconds`` of the recording are taken (a browser holds the whole clip in
    memory). The WAV's rate is the recording's times ``speed``; one below what browsers
    play is raised by repeating samples (an integer factor, so pitch and duration keep).
    The sound is scaled so that ``peak`` (default: the clip's own highest amplitude) is at 90 %
    of full scale: chunks of one stretch given one ``peak`` play at one loudness.
    """
    start = max(0, int(start))
    stop = min(recording.frames, int(stop), start + int(max_seconds * recording.samplerate))
    audio = recording.read(start, stop) if stop > start else np.zeros(0, np.float32)
    rate = max(1, int(round(recording.samplerate * speed)))
    if rate < PLAYBACK_RATES[0]:
        factor = -(-PLAYBACK_RATES[0] // rate)
        audio, rate = np.repeat(audio, factor), rate * factor
    rate = min(rate, PLAYBACK_RATES[1])
    if peak is None or not peak > 0:
        peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
    scaled = audio / peak * 0.9 if peak > 0 else audio  # normalised: quiet recordings are audible
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.clip(scaled, -1, 1) * 32767).astype("<i2").tobytes())
    return buffer.getvalue(), (stop - start) / recording.samplerate


def wav_data_url(data: bytes) -> str:
    return "data:audio/wav;base64," + base64.b64encode(data).decode("ascii")
