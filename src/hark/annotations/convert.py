"""Converting annotations between SongExplorer CSVs, Raven selection tables, Audacity label tracks and call tables.

The source format is recognised from the file: ``.csv`` is SongExplorer, unless its first
row is two numbers (a ``start_seconds,end_seconds`` call table, :mod:`hark.annotations.usv_table`);
a tab-separated table whose header has ``Begin Time (s)`` is Raven; a text file of
``start<TAB>end<TAB>label`` lines is Audacity; a ``.json`` file is a soundevent/whombat
project, which holds several recordings and so converts into a folder
(:func:`convert_soundevent_project`). Times are samples in SongExplorer and seconds elsewhere,
so every conversion but SongExplorer to SongExplorer needs the sample rate: from
``samplerate``, else from ``recording``, else from the audio file the source names or sits
beside (for a call table, which names no recording: the only audio file in its folder).

``hark`` is SongExplorer's CSV with hark's extra columns (``low_hz,high_hz,score[,status]``)
when events have them; ``songexplorer`` keeps SongExplorer's five columns only.

The output is written to a temporary file and renamed over ``dst`` at the end, so it is
never partial, an existing ``dst`` is replaced whole or not at all, and the source is only read.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from hark.annotations.audacity import is_audacity_track, read_audacity, write_audacity
from hark.annotations.event import Event, Kind
from hark.annotations.folder import read_annotation_file
from hark.annotations.generic_csv import looks_like_generic_csv, read_generic_csv
from hark.annotations.naming import annotation_csv_name, parse_annotation_name, recording_candidates
from hark.annotations.raven import BEGIN_FILE, looks_like_raven, read_raven, write_raven
from hark.annotations.selection import recordings_of, single_recording
from hark.annotations.songexplorer import read_csv, write_csv
from hark.annotations.soundevent import DEFAULT_LABEL_KEY, read_soundevent_project_with_clips
from hark.annotations.textfile import check_input_file, first_text_line, read_text_lines
from hark.annotations.timebase import check_samplerate
from hark.annotations.usv_table import DEFAULT_LABEL, looks_like_header, looks_like_usv_table, read_usv_table, split_row, write_usv_table
from hark.audio import audio_suffixes, open_recording
from hark.errors import FileFormatError, HarkError
from hark.fileio import ensure_writable_dir

Format = Literal["songexplorer", "hark", "raven", "audacity", "usv"]
FORMATS: tuple[str, ...] = ("songexplorer", "hark", "raven", "audacity", "usv")
_CSV_FORMATS = ("songexplorer", "hark")
# read, not written: bird-song annotations whose times need the recording they annotate, and
# soundevent projects (several recordings, read by convert_soundevent_project)
SourceFormat = Literal["songexplorer", "raven", "audacity", "usv", "notmat", "textgrid", "generic", "soundevent"]
_ONE_RECORDING_FILE = {"raven": "a Raven table", "audacity": "an Audacity label track", "usv": "a two-column call table"}
PROJECT_ANNOTATOR = "soundevent"  # the <who> of CSVs made from a project's events that name no annotator
_TABLE_SUFFIX = re.compile(r"(\.Table\.[0-9]+\.selections)?\.(txt|tsv|csv)$", re.IGNORECASE)


def detect_format(path: str | Path) -> SourceFormat:
    """Which format ``path`` holds, from its extension and first line; FileFormatError if none."""
    path = check_input_file(path)
    if path.name.lower().endswith(".not.mat"):
        return "notmat"
    if path.suffix.lower() == ".textgrid":
        return "textgrid"
    if path.suffix.lower() == ".json":
        return "soundevent"
    lines = read_text_lines(path)
    first = first_text_line(lines)
    if path.suffix.lower() == ".csv":
        if first is not None and looks_like_generic_csv(first[1]):
            return "generic"
        return "usv" if _is_usv_table(lines) else "songexplorer"
    if first is None:
        raise FileFormatError(path, "file is empty (no annotation rows)")
    if looks_like_raven(first[1]):
        return "raven"
    if is_audacity_track(lines):
        return "audacity"
    if _is_usv_table(lines):
        return "usv"
    raise FileFormatError(
        path,
        "cannot tell the annotation format: expected a SongExplorer or crowsetta generic .csv, a Raven "
        "selection table (tab-separated, with a 'Begin Time (s)' column), an Audacity label track "
        "(start, end, label), a start_seconds,end_seconds call table, a soundevent .json project, "
        "an evsonganaly .not.mat or a Praat .TextGrid",
        line=first[0],
    )


def _is_usv_table(lines: list[str]) -> bool:
    """Whether the first row is two numbers, or a two-cell header followed by two numbers."""
    rows = [line for line in lines if line.strip()][:2]
    if not rows:
        return False
    if looks_like_usv_table(rows[0]):
        return True
    return len(rows) == 2 and looks_like_header(split_row(rows[0])) and looks_like_usv_table(rows[1])


def convert_annotations(
    src: str | Path,
    dst: str | Path,
    to: Format,
    samplerate: float | None = None,
    recording: str | Path | None = None,
    label: str | None = None,
) -> int:
    """Convert the annotation file ``src`` into format ``to`` at ``dst``; returns the events written.

    ``recording`` (an audio file) gives the sample rate and the recording's name; when
    ``src`` holds several recordings, it also picks that recording's events. Raven and
    Audacity files and call tables hold one recording, so converting a CSV of several to
    them without ``recording`` is an error. Converting to SongExplorer drops frequencies and
    scores; ``hark`` keeps them. ``label`` is the label of a call table's events (default
    ``usv``); other formats carry their own labels.
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
    if label is not None and source_format != "usv":
        raise HarkError(f"{src}: a label can be given only to a start_seconds,end_seconds call table; this file has its own labels")
    if source_format == "soundevent":
        raise HarkError(f"{src}: a soundevent project holds several recordings; convert it into a folder")
    if source_format in ("notmat", "textgrid", "generic"):
        events, rate = _read_birdsong(src, source_format, audio, rate)
    elif source_format == "usv":
        name, rate = _call_table_recording(src, audio, rate, need_name=to in _CSV_FORMATS)
        events = read_usv_table(src, rate, name, label=DEFAULT_LABEL if label is None else label)
    elif source_format == "songexplorer":
        events = _pick_recording(src, read_csv(src), audio.name if audio else None)
        if to not in _CSV_FORMATS and rate is None:
            rate = _rate_beside(src, single_recording(events, _ONE_RECORDING_FILE[to]))
    else:
        if rate is None:
            rate = _rate_beside(src, None)
        name = audio.name if audio else _recording_name_beside(src)
        if source_format == "raven":
            events = read_raven(src, rate, recording=name or (None if _has_begin_file(src) else _guess_recording_name(src)))
        else:
            events = read_audacity(src, rate, recording=name or _guess_recording_name(src))

    return _write(dst, events, to, rate)


def _write(dst: Path, events: list[Event], to: str, rate: float | None) -> int:
    if to == "songexplorer":
        return write_csv(dst, events, extras=False)
    if to == "hark":
        return write_csv(dst, events)
    if to == "raven":
        return write_raven(dst, events, rate)
    if to == "usv":
        return write_usv_table(dst, events, rate)
    return write_audacity(dst, events, rate)


def convert_soundevent_project(
    src: str | Path,
    out_dir: str | Path,
    to: Format,
    annotator: str | None = None,
    label_key: str = DEFAULT_LABEL_KEY,
) -> list[tuple[Path, int]]:
    """Convert a soundevent/whombat project into one file per recording in ``out_dir``; returns (file, events) pairs.

    SongExplorer and hark CSVs are named ``<rec>-annotated-<who>.csv`` (a ground-truth
    folder's convention), one per recording and annotator: ``<who>`` is ``annotator`` if
    given, else each event's annotator (its whombat user name), else ``soundevent``. Raven
    tables are ``<rec stem>.Table.1.selections.txt``, Audacity tracks ``<rec>.txt`` and call
    tables ``<rec stem>.csv``, one per recording. Recordings without events get no file.
    Each file is replaced atomically; the project is only read.
    """
    if to not in FORMATS:
        raise HarkError(f"unknown annotation format {to!r} (known: {', '.join(FORMATS)})")
    src = check_input_file(src)
    if annotator is not None:
        _check_annotator(annotator)
    project = read_soundevent_project_with_clips(src, label_key=label_key)
    out_dir = ensure_writable_dir(out_dir)
    written = []
    for recording in project.recordings.values():
        if not recording.events:
            continue
        groups: dict[str, list[Event]] = {}
        for event in recording.events:
            who = annotator if to not in _CSV_FORMATS else annotator or _as_annotator(event.annotator)
            groups.setdefault(who or "", []).append(event)
        for who, events in groups.items():
            name = _project_file_name(recording.name, to, who)
            written.append((out_dir / name, _write(out_dir / name, events, to, recording.samplerate)))
    return written


def _project_file_name(recording: str, to: str, who: str) -> str:
    stem = Path(recording).stem
    if to in _CSV_FORMATS:
        return annotation_csv_name(recording, Kind.ANNOTATED, annotator=who)
    if to == "raven":
        return f"{stem}.Table.1.selections.txt"
    if to == "audacity":
        return f"{recording}.txt"
    return f"{stem}.csv"


def _as_annotator(name: str | None) -> str:
    """A user name as the ``<who>`` of a CSV name: spaces and slashes become underscores."""
    return re.sub(r"[\s/\\]+", "_", name.strip()) if name and name.strip() else PROJECT_ANNOTATOR


def _check_annotator(annotator: str) -> None:
    if not re.fullmatch(r"[^/\\\s]+", annotator):
        raise HarkError(f"annotator name {annotator!r} must be non-empty, without spaces or slashes")


def _call_table_recording(src: Path, audio, rate: float | None, need_name: bool) -> tuple[str, float]:
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
        raise HarkError(
            f"{src}: a start_seconds,end_seconds table names no recording, and its folder holds {found}; "
            "name the recording it annotates with --recording WAV"
        )
    return _guess_recording_name(src), rate


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
