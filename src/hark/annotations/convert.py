"""Converting annotations between SongExplorer CSVs, Raven selection tables and Audacity label tracks.

The source format is recognised from the file: ``.csv`` is SongExplorer; a tab-separated
table whose header has ``Begin Time (s)`` is Raven; a text file of ``start<TAB>end<TAB>label``
lines is Audacity. Times are samples in SongExplorer and seconds elsewhere, so every
conversion but SongExplorer to SongExplorer needs the sample rate: from ``samplerate``, else
from ``recording``, else from the audio file the source names or sits beside.

The output is written to a temporary file and renamed over ``dst`` at the end, so it is
never partial, an existing ``dst`` is replaced whole or not at all, and the source is only read.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from hark.annotations.audacity import is_audacity_track, read_audacity, write_audacity
from hark.annotations.event import Event
from hark.annotations.folder import read_annotation_file
from hark.annotations.generic_csv import looks_like_generic_csv, read_generic_csv
from hark.annotations.naming import parse_annotation_name, recording_candidates
from hark.annotations.raven import BEGIN_FILE, looks_like_raven, read_raven, write_raven
from hark.annotations.selection import recordings_of, single_recording
from hark.annotations.songexplorer import read_csv, write_csv
from hark.annotations.textfile import check_input_file, first_text_line, read_text_lines
from hark.annotations.timebase import check_samplerate
from hark.audio import audio_suffixes, open_recording
from hark.errors import FileFormatError, HarkError

Format = Literal["songexplorer", "raven", "audacity"]
FORMATS: tuple[str, ...] = ("songexplorer", "raven", "audacity")
# read, not written: bird-song annotations whose times need the recording they annotate
SourceFormat = Literal["songexplorer", "raven", "audacity", "notmat", "textgrid", "generic"]
_ONE_RECORDING_FILE = {"raven": "a Raven table", "audacity": "an Audacity label track"}
_TABLE_SUFFIX = re.compile(r"(\.Table\.[0-9]+\.selections)?\.(txt|tsv|csv)$", re.IGNORECASE)


def detect_format(path: str | Path) -> SourceFormat:
    """Which format ``path`` holds, from its extension and first line; FileFormatError if none."""
    path = check_input_file(path)
    if path.name.lower().endswith(".not.mat"):
        return "notmat"
    if path.suffix.lower() == ".textgrid":
        return "textgrid"
    if path.suffix.lower() == ".csv":
        first = first_text_line(read_text_lines(path))
        return "generic" if first is not None and looks_like_generic_csv(first[1]) else "songexplorer"
    lines = read_text_lines(path)
    first = first_text_line(lines)
    if first is None:
        raise FileFormatError(path, "file is empty (no annotation rows)")
    if looks_like_raven(first[1]):
        return "raven"
    if is_audacity_track(lines):
        return "audacity"
    raise FileFormatError(
        path,
        "cannot tell the annotation format: expected a SongExplorer or crowsetta generic .csv, a Raven "
        "selection table (tab-separated, with a 'Begin Time (s)' column), an Audacity label track "
        "(start, end, label), an evsonganaly .not.mat or a Praat .TextGrid",
        line=first[0],
    )


def convert_annotations(
    src: str | Path,
    dst: str | Path,
    to: Format,
    samplerate: float | None = None,
    recording: str | Path | None = None,
) -> int:
    """Convert the annotation file ``src`` into format ``to`` at ``dst``; returns the events written.

    ``recording`` (an audio file) gives the sample rate and the recording's name; when
    ``src`` holds several recordings, it also picks that recording's events. Raven and
    Audacity files hold one recording, so converting a CSV of several to them without
    ``recording`` is an error. Converting to SongExplorer drops frequencies and scores.
    """
    if to not in FORMATS:
        raise HarkError(f"unknown annotation format {to!r} (known: {', '.join(FORMATS)})")
    src = check_input_file(src)
    dst = _check_output(Path(dst), src)
    rate = None if samplerate is None else check_samplerate(samplerate)
    audio = None
    if recording is not None:
        audio = open_recording(recording)
        if rate is not None and rate != audio.samplerate:
            raise HarkError(f"--rate {rate:g} Hz disagrees with {audio.path}, which is sampled at {audio.samplerate} Hz")
        rate = float(audio.samplerate)

    source_format = detect_format(src)
    if source_format in ("notmat", "textgrid", "generic"):
        events, rate = _read_birdsong(src, source_format, audio, rate)
    elif source_format == "songexplorer":
        events = _pick_recording(src, read_csv(src), audio.name if audio else None)
        if to != "songexplorer" and rate is None:
            rate = _rate_beside(src, single_recording(events, _ONE_RECORDING_FILE[to]))
    else:
        if rate is None:
            rate = _rate_beside(src, None)
        name = audio.name if audio else _recording_name_beside(src)
        if source_format == "raven":
            events = read_raven(src, rate, recording=name or (None if _has_begin_file(src) else _guess_recording_name(src)))
        else:
            events = read_audacity(src, rate, recording=name or _guess_recording_name(src))

    if to == "songexplorer":
        return write_csv(dst, events, extras=False)
    if to == "raven":
        return write_raven(dst, events, rate)
    return write_audacity(dst, events, rate)


def _read_birdsong(src: Path, source_format: str, audio, rate: float | None) -> tuple[list[Event], float | None]:
    """Events of a .not.mat, TextGrid or generic CSV, and the sample rate (from the recording they annotate)."""
    if source_format == "generic":
        events = read_generic_csv(src, rate, basename=True)
        return events, rate
    path = audio.path if audio is not None else find_recording_beside(src)
    if path is None:
        raise HarkError(f"{src}: no recording found beside it to give times their sample rate; pass --recording")
    return read_annotation_file(src, path), float(open_recording(path).samplerate)


def _check_output(dst: Path, src: Path) -> Path:
    if dst.is_dir():
        raise HarkError(f"{dst}: is a folder; give the output file's name")
    if dst.exists() and os.path.samefile(dst, src):
        raise HarkError(f"{dst}: the output would overwrite the input; choose another name")
    return dst


def _pick_recording(src: Path, events: list[Event], recording_name: str | None) -> list[Event]:
    """With ``recording_name``, the events of that recording when ``src`` holds several."""
    names = recordings_of(events)
    if recording_name is None or len(names) <= 1:
        return events
    if recording_name not in names:
        raise HarkError(f"{src} has no events of {recording_name} (it has {len(names)} recordings: {', '.join(names[:3])}...)")
    return [e for e in events if e.recording == recording_name]


def _rate_beside(src: Path, recording_name: str | None) -> float:
    """The sample rate of the recording that ``src`` annotates, found in ``src``'s folder."""
    path = find_recording_beside(src, recording_name)
    if path is None:
        raise HarkError(
            f"{src}: cannot tell the sample rate, no recording found beside it; pass --rate HZ or --recording WAV"
        )
    return float(open_recording(path).samplerate)


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


def _recording_name_beside(src: Path) -> str | None:
    path = find_recording_beside(src)
    return path.name if path else None


def _has_begin_file(src: Path) -> bool:
    first = first_text_line(read_text_lines(src))
    return first is not None and BEGIN_FILE in (c.strip() for c in first[1].split("\t"))


def _guess_recording_name(src: Path) -> str:
    """A recording name for a table with no audio beside it: ``song.txt`` -> ``song.wav``."""
    stem = _TABLE_SUFFIX.sub("", src.name) or src.stem
    return stem if Path(stem).suffix.lower() in {s.lower() for s in audio_suffixes()} else stem + ".wav"
