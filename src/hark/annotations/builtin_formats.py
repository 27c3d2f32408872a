"""hark's own annotation formats, each one plugin object registered like a third party's.

pyproject.toml points the entry point group ``hark.annotation_formats`` at the objects at the
bottom of this module; :mod:`hark.annotations.formats` describes what each part means.
Times are samples in SongExplorer CSVs and seconds (milliseconds in a ``.not.mat``)
elsewhere; a format whose files do not carry the sample rate asks the :class:`Source` for it,
which finds it in the recording given or the one beside the file.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePath

from hark.annotations.audacity import is_audacity_track, read_audacity, write_audacity
from hark.annotations.clip_table import clip_events, looks_like_clip_table, read_clip_table
from hark.annotations.beside import (
    call_table_recording,
    guess_recording_name,
    has_begin_file,
    rate_beside,
    recording_name_beside,
)
from hark.annotations.event import Event, Kind
from hark.annotations.formats import AnnotationFormat, Annotations, FolderFile, ListedRecordings, Source
from hark.annotations.generic_csv import looks_like_generic_csv, read_generic_csv, write_generic_csv
from hark.annotations.naming import NOTMAT_SUFFIX, annotation_csv_name, parse_annotation_name
from hark.annotations.notmat import read_notmat, write_notmat
from hark.annotations.raven import looks_like_raven, read_raven, write_raven
from hark.annotations.selection import recordings_of
from hark.annotations.songexplorer import read_csv, write_csv
from hark.annotations.soundevent import read_soundevent_project
from hark.annotations.textfile import first_text_line
from hark.annotations.textgrid import read_textgrid, write_textgrid
from hark.annotations.usv_table import DEFAULT_LABEL, looks_like_header, looks_like_usv_table, read_usv_table, split_row, write_usv_table
from hark.audio import Recording, open_recording
from hark.errors import HarkError, ParameterError


def _first_line(lines: list[str] | None) -> str | None:
    first = first_text_line(lines) if lines is not None else None
    return first[1] if first else None


def _rate(source: Source) -> float | None:
    """The rate given, else (outside a ground-truth folder, whose CSVs are read without opening their audio) the recording's."""
    if source.samplerate is not None or not source.search_beside:
        return source.samplerate
    return float(source.audio.samplerate) if source.audio is not None else None


def _pick_recording(src: Path, events: list[Event], recording_name: str | None) -> list[Event]:
    """With ``recording_name``, the events of that recording when ``src`` holds several."""
    names = recordings_of(events)
    if recording_name is None or len(names) <= 1:
        return events
    if recording_name not in names:
        raise HarkError(f"{src} has no events of {recording_name} (it has {len(names)} recordings: {', '.join(names[:3])}...)")
    return [e for e in events if e.recording == recording_name]


class SongExplorerCsv(AnnotationFormat):
    """SongExplorer's ``wavfile,start,stop,kind,label`` CSV, times in samples; read with hark's extra columns too."""

    name = "songexplorer"
    summary = "five columns: wavfile,start,stop,kind,label"
    description = "a SongExplorer or crowsetta generic .csv"
    claims = (".csv",)
    sniff_order = 80  # the .csv that is no other format's
    names_annotator = True

    def read(self, source: Source) -> Annotations:
        events = read_csv(source.path, allow_empty=source.allow_empty)
        if source.search_beside and source.audio is not None:
            events = _pick_recording(source.path, events, source.audio.name)
        return Annotations(events, _rate(source))

    def write(self, path: Path, events: list[Event], samplerate: float | None) -> int:
        return write_csv(path, events, extras=False)

    def file_name(self, recording: str, annotator: str) -> str:
        return annotation_csv_name(recording, Kind.ANNOTATED, annotator=annotator)

    def folder_file(self, name: str) -> FolderFile | None:
        parsed = parse_annotation_name(name) if name.endswith(".csv") else None
        return FolderFile(parsed.recording, parsed.kind) if parsed else None


class HarkCsv(SongExplorerCsv):
    """SongExplorer's CSV with hark's ``low_hz,high_hz,score[,status[,channel]]`` columns when events have them."""

    name = "hark"
    summary = "SongExplorer's CSV plus low_hz,high_hz,score[,status[,channel]]"
    description = ""
    claims = ()  # never sniffed: SongExplorer's reader reads the extra columns too
    read_as = "songexplorer"

    def write(self, path: Path, events: list[Event], samplerate: float | None) -> int:
        return write_csv(path, events)

    def folder_file(self, name: str) -> FolderFile | None:
        return None


class RavenTable(AnnotationFormat):
    """Raven's tab-separated selection table, times in seconds, with frequency bounds."""

    name = "raven"
    summary = "a tab-separated selection table with frequency bounds"
    description = "a Raven selection table (tab-separated, with a 'Begin Time (s)' column)"
    any_ending = True
    sniff_order = 50
    needs_samplerate = True
    one_recording = "a Raven table"

    def sniff(self, path: Path, lines: list[str] | None) -> bool:
        first = _first_line(lines)
        return first is not None and looks_like_raven(first)

    def read(self, source: Source) -> Annotations:
        rate = _rate(source) or rate_beside(source.path, None)
        name = source.audio.name if source.audio else recording_name_beside(source.path)
        # A table with a Begin File column names each row's recording itself.
        name = name or (None if has_begin_file(source.path) else guess_recording_name(source.path))
        return Annotations(read_raven(source.path, rate, recording=name, allow_empty=source.allow_empty), rate)

    def write(self, path: Path, events: list[Event], samplerate: float | None) -> int:
        return write_raven(path, events, samplerate)

    def file_name(self, recording: str, annotator: str) -> str:
        return f"{PurePath(recording).stem}.Table.1.selections.txt"


class AudacityTrack(AnnotationFormat):
    """An Audacity label track: ``start<TAB>end<TAB>label`` lines in seconds, spectral lines for frequencies."""

    name = "audacity"
    summary = "a label track"
    description = "an Audacity label track (start, end, label)"
    any_ending = True
    sniff_order = 60
    needs_samplerate = True
    one_recording = "an Audacity label track"

    def sniff(self, path: Path, lines: list[str] | None) -> bool:
        return lines is not None and is_audacity_track(lines)

    def read(self, source: Source) -> Annotations:
        rate = _rate(source) or rate_beside(source.path, None)
        name = source.audio.name if source.audio else recording_name_beside(source.path)
        return Annotations(read_audacity(source.path, rate, recording=name or guess_recording_name(source.path)), rate)

    def write(self, path: Path, events: list[Event], samplerate: float | None) -> int:
        return write_audacity(path, events, samplerate)

    def file_name(self, recording: str, annotator: str) -> str:
        return f"{recording}.txt"


class CallTable(AnnotationFormat):
    """A rodent-USV call table: ``start_seconds,end_seconds`` rows of one recording, without labels."""

    name = "usv"
    summary = "start_seconds,end_seconds rows"
    description = "a start_seconds,end_seconds call table"
    claims = (".csv",)
    any_ending = True
    sniff_order = 70  # after Raven and Audacity, whose two first cells are numbers too
    needs_samplerate = True
    one_recording = "a two-column call table"
    takes_label = True

    def sniff(self, path: Path, lines: list[str] | None) -> bool:
        """Whether the first row is two numbers, or a two-cell header followed by two numbers."""
        rows = [line for line in lines or () if line.strip()][:2]
        if not rows:
            return False
        if looks_like_usv_table(rows[0]):
            return True
        try:
            header = split_row(rows[0])
        except ValueError:  # no CSV row
            return False
        return len(rows) == 2 and looks_like_header(header) and looks_like_usv_table(rows[1])

    def read(self, source: Source) -> Annotations:
        name, rate = call_table_recording(source.path, source.audio, source.samplerate, need_name=source.names_needed)
        label = DEFAULT_LABEL if source.label is None else source.label
        return Annotations(read_usv_table(source.path, rate, name, label=label, allow_empty=source.allow_empty), rate)

    def write(self, path: Path, events: list[Event], samplerate: float | None) -> int:
        return write_usv_table(path, events, samplerate)

    def file_name(self, recording: str, annotator: str) -> str:
        return f"{PurePath(recording).stem}.csv"


class GenericCsv(AnnotationFormat):
    """crowsetta's generic-seq CSV (``label,onset_s,offset_s,...,notated_path,...``)."""

    name = "generic"
    summary = "crowsetta's generic-seq CSV"
    description = ""  # told apart from SongExplorer's by its header; named in songexplorer's description
    claims = (".csv",)
    sniff_order = 40

    def sniff(self, path: Path, lines: list[str] | None) -> bool:
        first = _first_line(lines)
        return first is not None and looks_like_generic_csv(first)

    def read(self, source: Source) -> Annotations:
        rate = _rate(source)
        return Annotations(read_generic_csv(source.path, rate, basename=True, allow_empty=source.allow_empty), rate)

    def write(self, path: Path, events: list[Event], samplerate: float | None) -> int:
        return write_generic_csv(path, events, samplerate)

    def file_name(self, recording: str, annotator: str) -> str:
        return f"{recording}.generic.csv"


def _recording_of(source: Source, why: str) -> Recording | None:
    """The recording given, else (when searching) the one beside the file, else a HarkError saying ``why``."""
    audio = source.audio_or_beside()
    if audio is None and source.search_beside:
        raise ParameterError("recording", f"{source.path}: no recording found beside it {why}; pass {{param}}")
    return audio


class NotMat(AnnotationFormat):
    """evsonganaly's ``<rec>.not.mat``: one-character labels, onsets and offsets in ms, the rate ``Fs``."""

    name = "notmat"
    summary = "evsonganaly, one-character labels"
    description = "an evsonganaly .not.mat"
    claims = (NOTMAT_SUFFIX,)
    folder_suffix = NOTMAT_SUFFIX
    sniff_order = 10
    needs_samplerate = True
    one_recording = "a .not.mat file"

    def read(self, source: Source) -> Annotations:
        audio = _recording_of(source, "to give times their sample rate")
        rate = float(audio.samplerate) if audio else None
        events = read_notmat(source.path, samplerate=rate, recording=audio.name if audio else None)
        return Annotations(events, rate)

    def write(self, path: Path, events: list[Event], samplerate: float | None) -> int:
        return write_notmat(path, events, samplerate)


class PraatTextGrid(AnnotationFormat):
    """A Praat TextGrid: the labelled intervals of one interval tier, in seconds."""

    name = "textgrid"
    summary = "one interval tier, no overlaps"
    description = "a Praat .TextGrid"
    claims = (".textgrid",)
    folder_suffix = ".TextGrid"
    sniff_order = 20
    needs_samplerate = True
    one_recording = "a TextGrid tier"

    def read(self, source: Source) -> Annotations:
        audio = _recording_of(source, "to give times their sample rate")
        if audio is None:
            raise HarkError(f"{source.path}: a TextGrid's times are seconds; name the recording it annotates for its sample rate")
        return Annotations(read_textgrid(source.path, audio.samplerate, audio.name), float(audio.samplerate))

    def write(self, path: Path, events: list[Event], samplerate: float | None) -> int:
        return write_textgrid(path, events, samplerate)


class SoundeventProject(AnnotationFormat):
    """A soundevent/whombat annotation project (AOEF JSON): several recordings, each with its sample rate."""

    name = "soundevent"
    description = "a soundevent .json project"
    claims = (".json",)
    sniff_order = 30
    is_project = True

    def read(self, source: Source) -> Annotations:
        events = [e for recording_events in read_soundevent_project(source.path).values() for e in recording_events]
        return Annotations(events, None)


class ClipLabelTable(AnnotationFormat):
    """A clip-label table (``file,label[,split][,group]``, see :mod:`hark.annotations.clip_table`): one label per file."""

    name = "labeltable"
    description = "a clip-label table (file,label[,split][,group])"
    claims = (".csv",)
    any_ending = True  # a .tsv too, without claiming it from Raven's tables, whose headers have no file column
    sniff_order = 35  # before crowsetta's generic CSV and SongExplorer's, whose headers have no file column
    is_project = True
    lists_recordings = True

    def sniff(self, path: Path, lines: list[str] | None) -> bool:
        return looks_like_clip_table(path, lines)

    def listed_recordings(self, path: Path) -> ListedRecordings:
        table = read_clip_table(path)
        return ListedRecordings(tuple(row.file for row in table.rows), tuple(table.validation()), tuple(sorted(table.groups().items())))

    def read(self, source: Source) -> Annotations:
        """Every row's event, each over its whole file; with ``source.recording``, that file's row only."""
        table = read_clip_table(source.path)
        if source.audio is not None:
            wanted = os.path.normpath(source.audio.path)
            rows = [row for row in table.rows if os.path.normpath(table.folder / row.file) == wanted]
            frames_of = {row.file: source.audio.frames for row in rows}
        else:
            frames_of = {row.file: open_recording(table.folder / row.file).frames for row in table.rows}
        return Annotations(clip_events(table, frames_of), None)


SONGEXPLORER = SongExplorerCsv()
HARK = HarkCsv()
RAVEN = RavenTable()
AUDACITY = AudacityTrack()
USV = CallTable()
GENERIC = GenericCsv()
NOTMAT = NotMat()
TEXTGRID = PraatTextGrid()
SOUNDEVENT = SoundeventProject()
LABELTABLE = ClipLabelTable()
