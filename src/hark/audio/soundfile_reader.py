"""The default reader: WAV, FLAC, AIFF, OGG and the other formats of libsndfile, through soundfile."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from hark.audio.base import AudioInfo, AudioReader, audio_readers
from hark.errors import FileFormatError


class SoundfileStream:
    def __init__(self, path: Path):
        self.path = path
        if path.stat().st_size == 0:
            raise FileFormatError(path, "file is empty")
        try:
            self._file = sf.SoundFile(str(path))
        except (sf.LibsndfileError, RuntimeError, TypeError) as err:
            reason = str(err).split(":", 1)[-1].strip() or "unreadable"
            raise FileFormatError(path, f"not a readable audio file ({reason})") from None
        # libsndfile opens a truncated file and quietly shortens it; its header log says so.
        log = self._file.extra_info or ""
        if "should be" in log and any(line.startswith("data") and "should be" in line for line in log.splitlines()):
            self._file.close()
            raise FileFormatError(path, "truncated: the file is shorter than its header says")
        self.info = AudioInfo(
            samplerate=int(self._file.samplerate),
            frames=int(self._file.frames),
            channels=int(self._file.channels),
            format=self._file.format,
            subtype=self._file.subtype,
        )
        if self.info.frames == 0:
            self._file.close()
            raise FileFormatError(path, "holds no audio samples")

    def read(self, start: int, stop: int) -> np.ndarray:
        self._file.seek(start)
        data = self._file.read(stop - start, dtype="float32", always_2d=True)
        if len(data) != stop - start:
            raise FileFormatError(self.path, f"could read only {len(data)} of {stop - start} samples at {start}")
        return data

    def close(self) -> None:
        self._file.close()


@audio_readers.register("soundfile")
class SoundfileReader(AudioReader):
    """Any sample rate; 8/16/24/32-bit integer or float samples, returned as float32 in [-1, 1]."""

    suffixes = (".wav", ".wave", ".flac", ".aif", ".aiff", ".aifc", ".ogg", ".oga", ".w64", ".rf64", ".caf", ".au", ".snd")

    def open(self, path: Path) -> SoundfileStream:
        return SoundfileStream(path)
