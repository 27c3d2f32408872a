"""evsonganaly's ``.cbin`` recordings: raw big-endian int16 samples, the sample rate in a ``.rec`` beside.

A ``.cbin`` file (written by evTAF, the Bengalese finch song-recording software, and read by
the evsonganaly MATLAB GUI) has no header: it is only samples, 16-bit big-endian, channels
interleaved frame by frame. Everything else is in the text file ``X.rec`` beside ``X.cbin``:
the sample rate on an ``ADFREQ = ...`` line, written either as an integer (``32000``) or in
MATLAB's exponent style (``3.2000000e+004``), and the channel count on ``Chans = ...``. The
number of frames follows from the file size; the ``.rec``'s ``Samples`` line is not needed.
Song is on channel 0, as :func:`hark.audio.open_recording` chooses by default.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from hark.audio.base import AudioInfo, AudioReader, audio_readers, reader_for
from hark.errors import FileFormatError

SAMPLE_DTYPE = np.dtype(">i2")  # big-endian int16: evTAF wrote on big-endian-ordered files
FULL_SCALE = 32768.0  # int16 to [-1, 1), as libsndfile scales PCM_16


def rec_path_of(cbin: Path) -> Path:
    """The header evsonganaly keeps beside a recording: ``X.cbin`` -> ``X.rec``."""
    return cbin.with_suffix(".rec")


def read_rec_header(rec: Path) -> dict[str, str]:
    """The ``key = value`` lines of a ``.rec`` file (keys stripped; later lines do not override)."""
    # Latin-1 decodes any byte: the .rec holds Windows paths that need not be UTF-8.
    text = rec.read_bytes().decode("latin-1")
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip():
            fields.setdefault(key.strip(), value.strip())
    return fields


def _whole_number(rec: Path, fields: dict[str, str], key: str, what: str) -> int:
    """``fields[key]`` as a positive whole number, accepting ``32000`` and ``3.2000000e+004``."""
    if key not in fields:
        raise FileFormatError(rec, f"no {key} line ({what}); is this an evTAF .rec file?")
    text = fields[key]
    try:
        value = float(text)
    except ValueError:
        raise FileFormatError(rec, f"{key} {text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0 or not value.is_integer():
        raise FileFormatError(rec, f"{key} {text!r} must be a positive whole number ({what})")
    return int(value)


class CbinStream:
    """An open ``.cbin``; each :meth:`read` seeks to its slice and reads only those bytes."""

    def __init__(self, path: Path):
        self.path = path
        rec = rec_path_of(path)
        if not rec.is_file():
            raise FileFormatError(path, f"no {rec.name} beside it (evsonganaly writes the sample rate there)")
        fields = read_rec_header(rec)
        samplerate = _whole_number(rec, fields, "ADFREQ", "the sample rate in Hz")
        channels = _whole_number(rec, fields, "Chans", "the number of channels")
        size = path.stat().st_size
        if size == 0:
            raise FileFormatError(path, "file is empty")
        self._frame_bytes = SAMPLE_DTYPE.itemsize * channels
        if size % self._frame_bytes:
            raise FileFormatError(
                path,
                f"truncated: {size} bytes is not a whole number of frames "
                f"({channels} channel(s) of 2-byte samples, as {rec.name} says)",
            )
        self.info = AudioInfo(samplerate, size // self._frame_bytes, channels, format="CBIN", subtype="PCM_16")
        self._file = open(path, "rb")

    def read(self, start: int, stop: int) -> np.ndarray:
        channels = self.info.channels
        self._file.seek(start * self._frame_bytes)
        raw = np.fromfile(self._file, dtype=SAMPLE_DTYPE, count=(stop - start) * channels)
        if len(raw) != (stop - start) * channels:
            raise FileFormatError(self.path, f"could read only {len(raw) // channels} of {stop - start} samples at {start}")
        return (raw.astype(np.float32) / np.float32(FULL_SCALE)).reshape(-1, channels)

    def close(self) -> None:
        self._file.close()


@audio_readers.register("cbin")
class CbinReader(AudioReader):
    """evsonganaly/evTAF ``.cbin`` files, with the sample rate and channel count from the ``.rec`` beside."""

    suffixes = (".cbin",)

    def open(self, path: Path):
        # ``--reader cbin`` applies to every file of a run, so a file that is neither a .cbin
        # nor has a .rec beside it (a .wav in the same folder) is read by its own format's reader.
        if path.suffix.lower() not in self.suffixes and not rec_path_of(path).is_file():
            return reader_for(path)().open(path)
        return CbinStream(path)
