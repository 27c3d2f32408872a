"""Annotation formats as plugins: one object per format, found through a registry (as crowsetta does).

Each format says how to recognise its files (:meth:`AnnotationFormat.sniff`, tried on the
file endings it ``claims``), how to read them into :class:`~hark.annotations.event.Event`
values (:meth:`~AnnotationFormat.read`), how to write them if it can
(:meth:`~AnnotationFormat.write`), what a file for one recording is called
(:meth:`~AnnotationFormat.file_name`) and which files of a ground-truth folder are its own
(:meth:`~AnnotationFormat.folder_file`). hark's own formats (:mod:`hark.annotations.builtin_formats`)
are registered through the entry point group ``hark.annotation_formats``, as a third party's are::

    [project.entry-points."hark.annotation_formats"]
    toy = "my_package.toy:TOY"

where ``TOY`` is an instance of a subclass of :class:`AnnotationFormat`. ``hark convert``,
ground-truth folders (:func:`~hark.annotations.folder.scan_folder`) and ``hark info`` then
know it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from hark.annotations.beside import find_recording_beside
from hark.annotations.event import Event, Kind
from hark.annotations.textfile import check_input_file, first_text_line, read_text_lines
from hark.audio import Recording, open_recording
from hark.errors import FileFormatError, HarkError
from hark.registry import Registry


class FolderFile(NamedTuple):
    """What an annotation file's name says in a ground-truth folder.

    ``recording`` is the part of the name that names its recording (``song.wav`` or ``song``,
    matched as :func:`~hark.annotations.naming.recording_candidates` does); ``kind`` is the kind
    of events the name says the file holds (SongExplorer's ``-detected.csv``, ...), or None for
    a file whose events are all ``annotated``.
    """

    recording: str
    kind: Kind | None = None


class ListedRecordings(NamedTuple):
    """What a file that lists whole recordings (a clip-label table) says of them, for ground-truth loading.

    Names are POSIX paths relative to the file's folder, as the files are called on disk.
    """

    recordings: tuple[str, ...]
    validation: tuple[str, ...] = ()  # those the file holds out for validation (its split column)
    groups: tuple[tuple[str, str], ...] = ()  # (recording, group) of the recordings that have a group


class Annotations(NamedTuple):
    """The events read from a file and the sample rate they were read at (None if none was needed)."""

    events: list[Event]
    samplerate: float | None


@dataclass
class Source:
    """An annotation file to read, with what is known of the recording it annotates.

    ``samplerate`` and ``recording`` are what the caller knows (``--rate``, ``--recording``);
    a format that needs more looks beside the file when ``search_beside`` (``hark convert``)
    and not when the file is a ground-truth folder's, whose recording is given.
    ``names_needed``: whether the events' recording name matters to whoever uses them (it
    does for a CSV of several recordings, not for a table of one). ``allow_empty``: a file
    without events is no error (a detection run over silence writes one).
    """

    path: Path
    samplerate: float | None = None
    recording: Path | None = None
    label: str | None = None
    search_beside: bool = True
    names_needed: bool = True
    allow_empty: bool = False

    @cached_property
    def audio(self) -> Recording | None:
        """The recording given, opened (its header only)."""
        return None if self.recording is None else open_recording(self.recording)

    def audio_or_beside(self) -> Recording | None:
        """The recording given, else (when ``search_beside``) the one the file sits beside and is named after, else None."""
        if self.audio is not None or not self.search_beside:
            return self.audio
        path = find_recording_beside(self.path)
        return None if path is None else open_recording(path)


class AnnotationFormat:
    """One annotation format. Subclass it, set the attributes and override what applies.

    A format that cannot be written leaves :meth:`write` alone (``can_write`` is then False).
    """

    name: str = ""
    description: str = ""  # a noun phrase for errors: "a Raven selection table (...)"
    summary: str = ""  # what its files hold, for ``hark convert --to``'s help: "start_seconds,end_seconds rows"
    claims: tuple[str, ...] = ()  # lower-case file endings whose files may be this format's
    any_ending: bool = False  # also a candidate for files whose ending no format claims
    sniff_order: int = 100  # candidates are tried in this order (lower first)
    needs_samplerate: bool = False  # times are not samples: writing needs the recording's rate
    one_recording: str | None = None  # files hold one recording's events; what to call such a file in errors
    is_project: bool = False  # several recordings, each with its sample rate: converts into a folder, not a file
    takes_label: bool = False  # its rows carry no label: ``--label`` gives one
    names_annotator: bool = False  # its file names say who annotated (``<rec>-annotated-<who>.csv``)
    folder_suffix: str | None = None  # in a ground-truth folder, ``<rec><folder_suffix>`` is ``<rec>``'s (no case)
    resolution_s: float = 0.0  # how far times may move in a write and read back, in seconds (0: to the sample)
    read_as: str | None = None  # the format that reads its files, when another does (hark's CSV is read as SongExplorer's)
    lists_recordings: bool = False  # its files list whole recordings (a clip-label table): one stands for a ground-truth folder

    def listed_recordings(self, path: Path) -> ListedRecordings | None:
        """The recordings a file of this format lists, when its files list whole recordings
        (a clip-label table, given as ``--data TABLE.csv``); None for formats whose files
        annotate recordings found beside them."""
        return None

    def sniff(self, path: Path, lines: list[str] | None) -> bool:
        """Whether ``path`` (one of the endings this format claims, or any if ``any_ending``) is this format's.

        ``lines`` are the file's text lines, or None if it is not UTF-8 text.
        """
        return True

    def read(self, source: Source) -> Annotations:
        raise HarkError(f"{source.path}: {self.name} files cannot be read")

    def write(self, path: Path, events: list[Event], samplerate: float | None) -> int:
        """Write ``events`` to ``path`` atomically; returns how many were written."""
        raise HarkError(f"{self.name} files cannot be written")

    @property
    def can_write(self) -> bool:
        return type(self).write is not AnnotationFormat.write

    def file_name(self, recording: str, annotator: str) -> str:
        """The name of a file holding ``recording``'s events (``annotator``'s, where names say who)."""
        suffix = self.folder_suffix or (self.claims[0] if self.claims else "." + self.name)
        return f"{recording}{suffix}"

    def folder_file(self, name: str) -> FolderFile | None:
        """What a file name in a ground-truth folder says, if it is this format's; None if not."""
        suffix = self.folder_suffix
        if suffix and name.lower().endswith(suffix.lower()) and len(name) > len(suffix):
            return FolderFile(name[: -len(suffix)])
        return None


annotation_formats: Registry[AnnotationFormat] = Registry("annotation format", "hark.annotation_formats")


def resolve_name(name: str) -> str:
    """``name`` as registered: in any case if no format has the exact name (``RAVEN`` is ``raven``)."""
    if name not in annotation_formats and name.lower() in annotation_formats:
        return name.lower()
    return name


def get_format(name: str) -> AnnotationFormat:
    """The registered format ``name`` (see :func:`resolve_name`); a HarkError naming the known ones."""
    return annotation_formats.get(resolve_name(name))


def writable_format(name: str) -> AnnotationFormat:
    """The registered format ``name``, which must be writable."""
    fmt = get_format(name)
    if not fmt.can_write:
        raise HarkError(f"annotation format {name!r} can be read but not written; writable: {', '.join(writable_names())}")
    return fmt


def writable_names() -> list[str]:
    return [name for name, fmt in annotation_formats.items() if fmt.can_write]


def _in_sniff_order(formats: Iterable[tuple[str, AnnotationFormat]]) -> list[tuple[str, AnnotationFormat]]:
    ordered = sorted(formats, key=lambda item: (item[1].sniff_order, item[0]))
    if not ordered:
        # Without this, a ground-truth folder would silently look empty.
        raise HarkError(
            f"no annotation formats are registered (entry point group {annotation_formats.entry_point_group}); "
            "hark's own come with its installation: reinstall hark (pip install -e . in a checkout)"
        )
    return ordered


def detect_format(path: str | Path) -> str:
    """The name of the format ``path`` holds, from its ending and content; FileFormatError if none.

    The formats that claim the file's ending are tried in their ``sniff_order``; a file whose
    ending no format claims is tried on the formats that take ``any_ending``.
    """
    path = check_input_file(path)
    lowered = path.name.lower()
    formats = _in_sniff_order(annotation_formats.items())
    candidates = [(n, f) for n, f in formats if any(lowered.endswith(e) and len(lowered) > len(e) for e in f.claims)]
    if not candidates:
        candidates = [(n, f) for n, f in formats if f.any_ending]
    try:
        lines: list[str] | None = read_text_lines(path)
        not_text = None
    except FileFormatError as err:  # not UTF-8 text: only a binary format's sniff can claim it
        lines, not_text = None, err
    for name, fmt in candidates:
        if fmt.sniff(path, lines):
            return name
    if not_text is not None:
        raise not_text
    first = first_text_line(lines)
    if first is None:
        raise FileFormatError(path, "file is empty (no annotation rows)")
    # Names, not descriptions: the list must fit a one-line error (the descriptions are in hark convert --help).
    expected = ", ".join(n for n, f in formats if f.claims or f.any_ending)
    raise FileFormatError(path, f"cannot tell the annotation format (hark reads {expected}; see hark convert --help)", line=first[0])


def folder_format_of(name: str) -> tuple[AnnotationFormat, FolderFile] | None:
    """The format whose ground-truth-folder files ``name`` is one of, and what the name says; None for other files."""
    for _, fmt in _in_sniff_order(annotation_formats.items()):
        found = fmt.folder_file(name)
        if found is not None:
            return fmt, found
    return None
