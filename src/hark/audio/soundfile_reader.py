"""The default reader: WAV, FLAC, AIFF, OGG and the other formats of libsndfile, through soundfile.

A damaged file is refused with a one-line :class:`~hark.errors.FileFormatError` as early as is
cheap: at open, a file shorter than its header says (libsndfile's header log), a FLAC or other
compressed file whose last frames cannot be decoded, and an Ogg file without its final page;
at read, a block that cannot be decoded, and float samples that are NaN, infinite or far beyond
±1 (which would turn into NaN probabilities, or a "silent" recording, downstream).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from hark.audio.base import AudioInfo, AudioReader, audio_readers
from hark.errors import FileFormatError, one_line

TAIL_FRAMES = 1024  # frames decoded at open to prove the end of the file is there
FLOAT_SUBTYPES = ("FLOAT", "DOUBLE")
# Float samples are full scale at ±1; a recorder's float output may overshoot a little, but
# beyond ±16 (24 dB over full scale) the file holds another scale (int16 values saved as
# floats: ±32768) or damage, on which the detectors' noise estimates fail.
MAX_FLOAT = 16.0
_OGG_MAX_PAGE = 27 + 255 + 255 * 255  # bytes: header, segment table, largest payload
# The header-log lines of the chunk that holds the samples (WAV/W64/CAF ``data``, AIFF ``SSND``).
_DATA_CHUNKS = ("data", "SSND")


def _reason(err: Exception) -> str:
    return one_line(str(err).split(":", 1)[-1].strip() or type(err).__name__, 120)


class SoundfileStream:
    def __init__(self, path: Path):
        self.path = path
        if path.stat().st_size == 0:
            raise FileFormatError(path, "file is empty")
        with open(path, "rb"):  # an unreadable file: OSError's reason, not libsndfile's "(System error.)"
            pass
        try:
            self._file = sf.SoundFile(str(path))
        except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as err:
            raise FileFormatError(path, f"not a readable audio file ({_reason(err)})") from None
        try:
            self._check_whole()
            self.info = AudioInfo(
                samplerate=int(self._file.samplerate),
                frames=int(self._file.frames),
                channels=int(self._file.channels),
                format=self._file.format,
                subtype=self._file.subtype,
            )
        except (ValueError, FileFormatError) as err:
            self._file.close()
            if isinstance(err, FileFormatError):
                raise
            raise FileFormatError(path, f"not a readable audio file ({_reason(err)})") from None
        if self.info.frames == 0:
            self._file.close()
            raise FileFormatError(path, "holds no audio samples")
        self._float = self.info.subtype in FLOAT_SUBTYPES

    def _check_whole(self) -> None:
        """A FileFormatError if the file is cut short or its end cannot be decoded."""
        # libsndfile opens a truncated file and quietly shortens it; its header log says so.
        log = self._file.extra_info or ""
        for line in log.splitlines():
            if line.strip().startswith(_DATA_CHUNKS) and "should be" in line:
                raise FileFormatError(self.path, "truncated: the file is shorter than its header says")
        if self._file.format == "OGG" and not _ogg_ends_whole(self.path):
            raise FileFormatError(self.path, "truncated: the Ogg stream's final page is missing")
        frames = int(self._file.frames)
        if frames <= 0:
            return
        tail = min(TAIL_FRAMES, frames)
        try:
            self._file.seek(frames - tail)
            got = len(self._file.read(tail, dtype="float32", always_2d=True))
        except (sf.LibsndfileError, RuntimeError) as err:
            raise FileFormatError(self.path, f"truncated or damaged: its last samples cannot be decoded ({_reason(err)})") from None
        if got != tail:
            raise FileFormatError(self.path, f"truncated: holds fewer samples than its header's {frames}")

    def read(self, start: int, stop: int) -> np.ndarray:
        try:
            self._file.seek(start)
            data = self._file.read(stop - start, dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError) as err:
            raise FileFormatError(self.path, f"damaged: samples from {start} cannot be decoded ({_reason(err)})") from None
        if len(data) != stop - start:
            raise FileFormatError(self.path, f"could read only {len(data)} of {stop - start} samples at {start}")
        if self._float:
            _check_float_block(self.path, data, start)
        return data

    def close(self) -> None:
        self._file.close()


def _check_float_block(path: Path, data: np.ndarray, start: int) -> None:
    """A FileFormatError for float samples that are not finite or far beyond ±1 (two passes over a block: cheap)."""
    peak = float(np.max(np.abs(data))) if data.size else 0.0
    if peak <= MAX_FLOAT:
        return
    bad = np.flatnonzero(~np.isfinite(data).all(axis=1))
    if len(bad):
        value = data[bad[0]][~np.isfinite(data[bad[0]])][0]
        raise FileFormatError(path, f"sample {start + int(bad[0])} is {value} (not a finite number): the recording is damaged")
    index = int(np.argmax(np.abs(data).max(axis=1)))
    raise FileFormatError(
        path,
        f"float sample {start + index} is {peak:.6g}, far beyond full scale (±1): integers saved as floats? "
        "scale the recording to [-1, 1]",
    )


def _ogg_ends_whole(path: Path) -> bool:
    """Whether an Ogg file's last 64 KB hold a whole page that ends the stream (its end-of-stream flag set).

    A file cut short has lost that page (the last one written); bytes after it are harmless.
    """
    with open(path, "rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(0, size - _OGG_MAX_PAGE))
        tail = handle.read()
    at = len(tail)
    while (at := tail.rfind(b"OggS", 0, at)) >= 0:
        if at + 27 <= len(tail) and tail[at + 5] & 0x04:
            segments = tail[at + 26]
            lacing = tail[at + 27 : at + 27 + segments]
            if len(lacing) == segments and at + 27 + segments + sum(lacing) <= len(tail):
                return True
    return False


@audio_readers.register("soundfile")
class SoundfileReader(AudioReader):
    """Any sample rate; 8/16/24/32-bit integer or float samples, returned as float32 in [-1, 1]."""

    suffixes = (".wav", ".wave", ".flac", ".aif", ".aiff", ".aifc", ".ogg", ".oga", ".w64", ".rf64", ".caf", ".au", ".snd")

    def open(self, path: Path) -> SoundfileStream:
        return SoundfileStream(path)
