"""Finding the recording an annotation file annotates, for the facts the file does not hold.

Times in seconds need the recording's sample rate, and tables that name no recording need
its name. Both come from the audio file the annotation file sits beside: the one its name
(or a CSV's ``wavfile`` column) names, or, for a call table, the only audio file in its folder.
"""

from __future__ import annotations

import re
from pathlib import Path

from hark.annotations.naming import parse_annotation_name, recording_candidates
from hark.annotations.raven import BEGIN_FILE
from hark.annotations.textfile import first_text_line, read_text_lines
from hark.audio import audio_suffixes, open_recording
from hark.errors import ParameterError

_TABLE_SUFFIX = re.compile(r"(\.Table\.[0-9]+\.selections)?\.(txt|tsv|csv)$", re.IGNORECASE)


def find_recording_beside(src: str | Path, recording_name: str | None = None) -> Path | None:
    """The audio file in ``src``'s folder that ``src`` annotates, or None.

    Tried in turn: ``recording_name`` (a CSV's wavfile column); the recording a SongExplorer
    file name names; the one recording whose name starts ``src``'s (``song.wav`` for
    ``song.txt``, ``song.wav.txt`` or ``song.Table.1.selections.txt``).
    """
    src = Path(src)
    folder = src.parent
    if recording_name and (folder / recording_name).is_file():
        return folder / recording_name
    suffixes = {s.lower() for s in audio_suffixes()}
    try:
        audio = [p.name for p in folder.iterdir() if p.suffix.lower() in suffixes and p.is_file()]
    except OSError:
        return None
    parsed = parse_annotation_name(src.name)
    if parsed is not None:
        candidates = recording_candidates(parsed.recording, audio)
    else:
        # A whole name beats a stem (song.wav.txt is song.wav's, not song.flac's), and the
        # longest match wins (bird.song.txt is bird.song.wav's rather than bird.wav's).
        matched = {n: len(n) for n in audio if src.name.startswith(n + ".")} or {
            n: len(Path(n).stem) for n in audio if src.name.startswith(Path(n).stem + ".")
        }
        longest = max(matched.values(), default=0)
        candidates = [n for n, length in matched.items() if length == longest]
    return folder / candidates[0] if len(candidates) == 1 else None


def rate_beside(src: Path, recording_name: str | None) -> float:
    """The sample rate of the recording that ``src`` annotates, found in ``src``'s folder."""
    path = find_recording_beside(src, recording_name)
    if path is None:
        raise ParameterError(
            "samplerate", f"{src}: cannot tell the sample rate, no recording found beside it; pass {{param}} HZ or {{recording}} WAV", others=("recording",)
        )
    return float(open_recording(path).samplerate)


def recording_name_beside(src: Path) -> str | None:
    path = find_recording_beside(src)
    return path.name if path else None


def has_begin_file(src: Path) -> bool:
    """Whether a Raven table has a ``Begin File`` column (it names each row's recording)."""
    first = first_text_line(read_text_lines(src))
    return first is not None and BEGIN_FILE in (c.strip() for c in first[1].split("\t"))


def guess_recording_name(src: Path) -> str:
    """A recording name for a table with no audio beside it: ``song.txt`` -> ``song.wav``."""
    stem = _TABLE_SUFFIX.sub("", src.name) or src.stem
    return stem if Path(stem).suffix.lower() in {s.lower() for s in audio_suffixes()} else stem + ".wav"


def call_table_recording(src: Path, audio, rate: float | None, need_name: bool) -> tuple[str, float]:
    """The recording name and sample rate for a call table, which names neither.

    From the recording given, else from the only audio file in the table's folder
    (``gt_1.csv`` beside ``rec_1.wav``); with only a rate, a name made from the table's.
    """
    if audio is not None:
        return audio.name, float(audio.samplerate)
    suffixes = {s.lower() for s in audio_suffixes()}
    try:
        beside = sorted(p for p in src.parent.iterdir() if p.suffix.lower() in suffixes and p.is_file())
    except OSError:
        beside = []
    if len(beside) == 1:
        return beside[0].name, rate if rate is not None else float(open_recording(beside[0]).samplerate)
    found = f"{len(beside)} audio files" if beside else "no audio file"
    if rate is None or need_name:
        raise ParameterError(
            "recording",
            f"{src}: a start_seconds,end_seconds table names no recording, and its folder holds {found}; "
            "name the recording it annotates with {param} WAV",
        )
    return guess_recording_name(src), rate
