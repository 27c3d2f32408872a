"""Reading recordings: any sample rate, any time slice without loading the file, chunked streams.

>>> rec = open_recording("song.wav", channel=0)
>>> rec.samplerate, rec.duration
>>> x = rec.read(start=2500, stop=5000)          # one second at 2.5 kHz
>>> for chunk in rec.chunks(size=2**20, overlap=256): ...

Readers are plugins (:data:`audio_readers`); ``soundfile`` (WAV, FLAC, AIFF, OGG, ...),
``cbin`` (evsonganaly's ``.cbin`` with its ``.rec``) and ``highpass`` (a Butterworth high-pass
over any format) ship with hark.
"""

from collections.abc import Callable, Iterable
from pathlib import Path

from hark.audio import cbin_reader as _cbin_reader  # noqa: F401  (registers the plugin)
from hark.audio import highpass as _highpass  # noqa: F401  (registers the plugin)
from hark.audio import soundfile_reader as _soundfile_reader  # noqa: F401  (registers the plugin)
from hark.audio.base import AudioInfo, AudioReader, AudioStream, audio_readers, reader_for
from hark.audio.highpass import HighpassParams, highpass, highpass_sos
from hark.audio.recording import Chunk, Recording, open_recording
from hark.errors import HarkError



def audio_suffixes() -> tuple[str, ...]:
    """File endings that some registered reader opens by itself (``.wav``, ``.flac``, ...)."""
    return tuple(sorted({s for _, r in audio_readers.items() for s in r.suffixes}))


def find_recordings(paths: Iterable[str | Path], name: Callable[[Path], str] = str) -> list[Path]:
    """Recordings named directly, and every recording inside a named folder (recursively, sorted).

    Inside a folder, files and folders whose names start with a dot (hark's own ``.hark/``,
    ``.git/``) are left out. ``name`` says how a path is shown in an error (the GUI shows
    paths relative to its data folder). A missing path, or a folder without recordings, is a
    one-line HarkError.
    """
    suffixes = set(audio_suffixes())
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes and not _hidden(p, path))
            if not inside:
                raise HarkError(f"{name(path)}: folder holds no recordings ({', '.join(sorted(suffixes))})")
            found.extend(inside)
        elif not path.exists():
            raise HarkError(f"{name(path)}: no such file or folder")
        else:
            found.append(path)
    return found


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


__all__ = [
    "AudioInfo",
    "AudioReader",
    "AudioStream",
    "Chunk",
    "HighpassParams",
    "Recording",
    "audio_readers",
    "audio_suffixes",
    "find_recordings",
    "highpass",
    "highpass_sos",
    "open_recording",
    "reader_for",
]
