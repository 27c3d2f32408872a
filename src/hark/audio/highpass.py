"""High-pass Butterworth filtering, for ultrasonic recordings that carry low-frequency noise.

``highpass_sos`` and ``highpass`` are pure functions; :class:`HighpassReader` is the reader
plugin that applies them to any recording as it is read, slice by slice.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import Field

from hark.audio.base import AudioInfo, AudioReader, audio_readers, reader_for
from hark.errors import FileFormatError
from hark.params import Params


def highpass_sos(cutoff_hz: float, order: int, samplerate: float) -> np.ndarray:
    """Second-order sections of a Butterworth high-pass filter."""
    from scipy import signal  # a second to import: only when filtering

    return signal.butter(order, cutoff_hz, btype="highpass", fs=samplerate, output="sos")


def highpass(samples: np.ndarray, cutoff_hz: float, order: int, samplerate: float) -> np.ndarray:
    """Zero-phase high-pass filter along the first axis."""
    from scipy import signal

    sos = highpass_sos(cutoff_hz, order, samplerate)
    return signal.sosfiltfilt(sos, samples, axis=0).astype(np.float32)


class HighpassParams(Params):
    cutoff_hz: float = Field(15000.0, gt=0, description="frequencies below this are attenuated (Hz)")
    order: int = Field(4, ge=1, le=12, description="order of the Butterworth filter")


class HighpassStream:
    """Filters each slice with enough of its neighbours read along that the edges match a whole-file filter."""

    def __init__(self, inner, params: HighpassParams, path: Path):
        self._inner = inner
        self.info: AudioInfo = inner.info
        nyquist = self.info.samplerate / 2
        if params.cutoff_hz >= nyquist:
            inner.close()
            raise FileFormatError(path, f"high-pass cutoff {params.cutoff_hz:g} Hz is not below the Nyquist frequency {nyquist:g} Hz")
        self._sos = highpass_sos(params.cutoff_hz, params.order, self.info.samplerate)
        # The filter's transient decays within a few dozen periods of the cutoff.
        self._pad = int(np.ceil(40 * params.order * self.info.samplerate / params.cutoff_hz))

    def read(self, start: int, stop: int) -> np.ndarray:
        lo = max(0, start - self._pad)
        hi = min(self.info.frames, stop + self._pad)
        from scipy import signal

        data = self._inner.read(lo, hi).astype(np.float64)
        padlen = min(3 * (2 * len(self._sos) + 1), len(data) - 1)
        filtered = signal.sosfiltfilt(self._sos, data, axis=0, padlen=max(padlen, 0))
        return filtered[start - lo : stop - lo].astype(np.float32)

    def close(self) -> None:
        self._inner.close()


@audio_readers.register("highpass")
class HighpassReader(AudioReader):
    """Reads any supported format, then removes low frequencies with a Butterworth high-pass filter."""

    Params = HighpassParams

    def open(self, path: Path) -> HighpassStream:
        inner = reader_for(path)().open(path)
        return HighpassStream(inner, self.params, path)
