"""Reading recordings: any sample rate, any time slice without loading the file, chunked streams.

>>> rec = open_recording("song.wav", channel=0)
>>> rec.samplerate, rec.duration
>>> x = rec.read(start=2500, stop=5000)          # one second at 2.5 kHz
>>> for chunk in rec.chunks(size=2**20, overlap=256): ...

Readers are plugins (:data:`audio_readers`); ``soundfile`` (WAV, FLAC, AIFF, OGG, ...),
``cbin`` (evsonganaly's ``.cbin`` with its ``.rec``) and ``highpass`` (a Butterworth high-pass
over any format) ship with hark.
"""

from hark.audio import cbin_reader as _cbin_reader  # noqa: F401  (registers the plugin)
from hark.audio import highpass as _highpass  # noqa: F401  (registers the plugin)
from hark.audio import soundfile_reader as _soundfile_reader  # noqa: F401  (registers the plugin)
from hark.audio.base import AudioInfo, AudioReader, AudioStream, audio_readers, reader_for
from hark.audio.highpass import HighpassParams, highpass, highpass_sos
from hark.audio.recording import Chunk, Recording, open_recording



def audio_suffixes() -> tuple[str, ...]:
    """File endings that some registered reader opens by itself (``.wav``, ``.flac``, ...)."""
    return tuple(sorted({s for _, r in audio_readers.items() for s in r.suffixes}))


__all__ = [
    "AudioInfo",
    "AudioReader",
    "AudioStream",
    "Chunk",
    "HighpassParams",
    "Recording",
    "audio_readers",
    "audio_suffixes",
    "highpass",
    "highpass_sos",
    "open_recording",
    "reader_for",
]
