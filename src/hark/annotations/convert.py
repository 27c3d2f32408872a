"""Converting an annotation file into another format, or a soundevent project into a folder of files.

The formats are the registered :class:`~hark.annotations.formats.AnnotationFormat` plugins
(:mod:`hark.annotations.builtin_formats` and any a package adds). The source format is
recognised from the file (:func:`~hark.annotations.formats.detect_format`): ``.csv`` is
SongExplorer, unless its header is crowsetta's generic-seq or its first row is two numbers
(a ``start_seconds,end_seconds`` call table); a tab-separated table whose header has
``Begin Time (s)`` is Raven; a text file of ``start<TAB>end<TAB>label`` lines is Audacity;
``.not.mat`` is evsonganaly's, ``.TextGrid`` Praat's; a ``.json`` file is a soundevent/whombat
project, which holds several recordings and so converts into a folder
(:func:`convert_soundevent_project`). Times are samples in SongExplorer and seconds elsewhere,
so every conversion but SongExplorer to SongExplorer needs the sample rate: from
``samplerate``, else from ``recording``, else from the audio file the source names or sits
beside (for a call table, which names no recording: the only audio file in its folder).

``hark`` is SongExplorer's CSV with hark's extra columns (``low_hz,high_hz,score[,status[,channel]]``)
when events have them; ``songexplorer`` keeps SongExplorer's five columns only.

The output is written to a temporary file and renamed over ``dst`` at the end, so it is
never partial, an existing ``dst`` is replaced whole or not at all, and the source is only read.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from hark.annotations.beside import find_recording_beside, rate_beside
from hark.annotations.event import Event
from hark.annotations.formats import Source, detect_format, get_format, writable_format, writable_names
from hark.annotations.selection import single_recording
from hark.annotations.soundevent import DEFAULT_LABEL_KEY, read_soundevent_project_with_clips
from hark.annotations.textfile import check_input_file
from hark.annotations.timebase import check_samplerate
from hark.audio import open_recording
from hark.errors import HarkError, ParameterError, excerpt
from hark.fileio import ensure_writable_dir

__all__ = ["convert_annotations", "convert_soundevent_project", "detect_format", "find_recording_beside", "target_formats"]

OVERRUN_S = 1.0  # seconds an event may end past its recording's end (a selection drawn to the edge)
PROJECT_ANNOTATOR = "soundevent"
MAX_ANNOTATOR = 64  # characters of a user name kept in a file name  # the <who> of CSVs made from a project's events that name no annotator


def target_formats() -> list[str]:
    """The names of the registered formats that can be written (``--to`` of ``hark convert``)."""
    return writable_names()


def convert_annotations(
    src: str | Path,
    dst: str | Path,
    to: str,
    samplerate: float | None = None,
    recording: str | Path | None = None,
    label: str | None = None,
) -> int:
    """Convert the annotation file ``src`` into format ``to`` at ``dst``; returns the events written.

    ``to`` is a registered annotation format that can be written (:func:`target_formats`).
    ``recording`` (an audio file) gives the sample rate and the recording's name; when
    ``src`` holds several recordings, it also picks that recording's events. Raven and
    Audacity files and call tables hold one recording, so converting a CSV of several to
    them without ``recording`` is an error. Converting to SongExplorer drops frequencies and
    scores; ``hark`` keeps them. ``label`` is the label of a call table's events (default
    ``usv``); other formats carry their own labels.
    """
    target = writable_format(to)
    src = check_input_file(src)
    dst = _check_output(Path(dst), src)
    rate = None if samplerate is None else check_samplerate(samplerate)
    if recording is not None:
        audio = open_recording(recording)
        if rate is not None and rate != audio.samplerate:
            raise ParameterError("samplerate", f"{{param}} {rate:g} Hz disagrees with {audio.path}, which is sampled at {audio.samplerate} Hz")
        rate = float(audio.samplerate)

    source_format = get_format(detect_format(src))
    if label is not None and not source_format.takes_label:
        raise HarkError(f"{src}: a label can be given only to a start_seconds,end_seconds call table; this file has its own labels")
    if source_format.is_project:
        raise HarkError(f"{src}: {source_format.description} holds several recordings; convert it into a folder")
    source = Source(src, rate, None if recording is None else Path(recording), label, names_needed=target.one_recording is None)
    events, rate = source_format.read(source)
    _check_within_recordings(src, events, source)
    if target.needs_samplerate and rate is None:
        # Times in samples to a format in seconds: the rate of the one recording the events belong to.
        name = single_recording(events, target.one_recording) if target.one_recording else None
        rate = rate_beside(src, name)
    return _write(target, dst, events, rate)


def convert_soundevent_project(
    src: str | Path,
    out_dir: str | Path,
    to: str,
    annotator: str | None = None,
    label_key: str = DEFAULT_LABEL_KEY,
) -> list[tuple[Path, int]]:
    """Convert a soundevent/whombat project into one file per recording in ``out_dir``; returns (file, events) pairs.

    SongExplorer and hark CSVs are named ``<rec>-annotated-<who>.csv`` (a ground-truth
    folder's convention), one per recording and annotator: ``<who>`` is ``annotator`` if
    given, else each event's annotator (its whombat user name), else ``soundevent``. Raven
    tables are ``<rec stem>.Table.1.selections.txt``, Audacity tracks ``<rec>.txt`` and call
    tables ``<rec stem>.csv``, one per recording; any other format names its files with
    :meth:`~hark.annotations.formats.AnnotationFormat.file_name`. Recordings without events
    get no file. Each file is replaced atomically; the project is only read.
    """
    target = writable_format(to)
    src = check_input_file(src)
    if annotator is not None:
        _check_annotator(annotator)
    project = read_soundevent_project_with_clips(src, label_key=label_key)
    out_dir = ensure_writable_dir(out_dir)
    written = []
    for recording in project.recordings.values():
        if not recording.events:
            continue
        past = [e for e in recording.events if e.stop > recording.frames + recording.samplerate * OVERRUN_S]
        if past:
            raise HarkError(
                f"{src}: {len(past)} event(s) of {recording.name} end past its end ({recording.frames / recording.samplerate:.3f} s), "
                f"the first at {past[0].start / recording.samplerate:.6g} s; is its samplerate or duration wrong?"
            )
        groups: dict[str, list[Event]] = {}
        for event in recording.events:
            who = (annotator or _as_annotator(event.annotator)) if target.names_annotator else annotator
            groups.setdefault(who or "", []).append(event)
        for who, events in groups.items():
            name = target.file_name(recording.name, who)
            written.append((out_dir / name, _write(target, out_dir / name, events, recording.samplerate)))
    return written


def _check_within_recordings(src: Path, events: list[Event], source: Source) -> None:
    """A HarkError if an event ends well past the end of its recording (when the recording is known).

    A selection drawn to the very end of a spectrogram may overrun by a few samples; one more
    than a second past the end is a wrong sample rate or a wrong file, and converting it would
    pass the mistake on silently.
    """
    try:
        audio = source.audio_or_beside()
    except HarkError:
        return  # a recording that cannot be opened gives no length to check against
    if audio is None:
        return
    limit = audio.frames + audio.samplerate * OVERRUN_S
    past = [e for e in events if e.recording == audio.name and e.stop > limit]
    if past:
        first = past[0]
        raise HarkError(
            f"{src}: {len(past)} event(s) end past the end of {audio.name} ({audio.duration:.3f} s), the first "
            f"{excerpt(first.label, 40)} at {first.start / audio.samplerate:.6g}-{first.stop / audio.samplerate:.6g} s; "
            "is the sample rate or the recording wrong?"
        )


def _write(target, path: Path, events: list[Event], rate: float | None) -> int:
    try:
        return target.write(path, events, rate)
    except OSError as err:  # a name too long, a folder not writable, a full disk
        raise HarkError(f"{path}: cannot write ({err.strerror or err})") from None


def _as_annotator(name: str | None) -> str:
    """A user name as the ``<who>`` of a CSV name: spaces and slashes become underscores."""
    if not name or not name.strip():
        return PROJECT_ANNOTATOR
    # A file name part: no spaces or slashes, and short (a project may hold any text as a user name).
    return re.sub(r"[\s/\\]+", "_", name.strip())[:MAX_ANNOTATOR]


def _check_annotator(annotator: str) -> None:
    if not re.fullmatch(r"[^/\\\s]+", annotator):
        raise HarkError(f"annotator name {excerpt(annotator)} must be non-empty, without spaces or slashes")


def _check_output(dst: Path, src: Path) -> Path:
    if dst.is_dir():
        raise HarkError(f"{dst}: is a folder; give the output file's name")
    if dst.exists() and os.path.samefile(dst, src):
        raise HarkError(f"{dst}: the output would overwrite the input; choose another name")
    return dst


def convert_clip_table(src: str | Path, out_dir: str | Path, to: str, annotator: str | None = None) -> list[tuple[Path, int]]:
    """Convert a clip-label table (:mod:`hark.annotations.clip_table`) into one file per listed
    recording in ``out_dir``, in the subfolders the table names them in, each holding one event
    over its whole recording, so that ``out_dir`` laid over the table's folder is a ground-truth
    folder of per-recording files. ``<who>`` of ``<rec>-annotated-<who>.csv`` is ``annotator``,
    else the table's name. The table is checked whole (every file present, none twice) before
    anything is written; the split and group columns have no place in per-recording files and are dropped.
    """
    from hark.annotations.clip_table import clip_events, read_clip_table

    target = writable_format(to)
    src = check_input_file(src)
    if annotator is not None:
        _check_annotator(annotator)
    table = read_clip_table(src)
    audio = {row.file: open_recording(table.folder / row.file) for row in table.rows}
    events = clip_events(table, {name: recording.frames for name, recording in audio.items()})
    who = annotator or _as_annotator(src.stem)
    out_dir = ensure_writable_dir(out_dir)
    written = []
    for event in events:
        name = Path(event.recording)
        folder = ensure_writable_dir(out_dir / name.parent) if name.parent != Path(".") else out_dir
        path = folder / target.file_name(name.name, who)
        written.append((path, _write(target, path, [event.with_(recording=name.name)], float(audio[event.recording].samplerate))))
    return written
