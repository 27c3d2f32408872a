"""SongExplorer's file names for annotation CSVs, and which recording a CSV belongs to.

SongExplorer names a CSV after the recording it annotates, in one of two styles:

- ``<rec>.wav-annotated-<who>.csv`` (the GUI keeps the audio extension), and
- ``<rec>-annotated-<who>.csv`` (``detect``, ``ethogram``, ``misses`` and ``mistakes``
  drop it: ``<rec>-detected.csv``, ``<rec>-predicted-1.0pr.csv``, ``<rec>-missed.csv``,
  ``<rec>-mistakes.csv``).

hark adds ``<rec>-found.csv`` (``hark search``) and ``<rec>-clustered.csv`` (``hark cluster
--assign``: call types found without labels, one label per cluster).

hark adds ``<rec>-denoised.csv`` (``hark denoise``): a detected or predicted file's events,
each marked accepted or rejected by a denoiser; they are ``predicted`` events, but the file
has no precision-recall ratio (``AnnotationFileName.denoised``).

hark reads both and always writes the first style, which keeps the audio extension so that
``song.wav`` and ``song.flac`` in one folder cannot claim each other's CSVs.

One channel's outputs among several (``hark detect --channel all``, docs/channels.md) carry the
channel after the recording's name: ``<rec>-ch<N>``, e.g. ``song.wav-ch1-detected.csv``,
``song.wav-ch1-predicted-1.0pr.csv`` (and ``song.wav-ch1-probabilities.npy``). Such a CSV
belongs to ``song.wav``; :attr:`AnnotationFileName.channel` says which channel. The channel is
read from a name only after an audio file's extension (``song.wav-ch1``), so ``take-ch1-detected.csv``
still names the recording ``take-ch1.wav``, as SongExplorer's style does.

Annotations in other formats are named after their recording too: evsonganaly writes
``<rec>.cbin.not.mat`` beside ``<rec>.cbin``, and a Praat TextGrid is ``<rec>.TextGrid`` or
``<rec>.wav.TextGrid`` (:func:`parse_notmat_or_textgrid_name`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath

from hark.annotations.event import Kind
from hark.audio import audio_suffixes
from hark.errors import HarkError

# The suffix each kind of file ends with. CORRECT has no file of its own: SongExplorer's
# ``mistakes`` writes correct and mistaken sounds into the same ``-mistakes.csv``.
_FIXED_SUFFIXES = {Kind.DETECTED: "detected", Kind.MISSED: "missed", Kind.MISTAKEN: "mistakes", Kind.FOUND: "found", Kind.CLUSTERED: "clustered"}
_RATIO = r"[0-9]+(?:\.[0-9]+)?"
_CHANNEL = re.compile(r"(?P<recording>.+(?P<extension>\.[A-Za-z0-9]+))-ch(?P<channel>[0-9]+)")
_DENOISED_PATTERN = re.compile(r"(?P<recording>.+)-denoised\.csv")
# The fixed endings are tried before ``-annotated-<who>`` so that ``x-annotated-y-detected.csv``
# is a detection file, not an annotation by someone called "y-detected".
_PATTERNS = [
    *((kind, re.compile(rf"(?P<recording>.+)-{suffix}\.csv")) for kind, suffix in _FIXED_SUFFIXES.items()),
    (Kind.PREDICTED, re.compile(rf"(?P<recording>.+)-predicted-(?P<ratio>{_RATIO})pr\.csv")),
    (Kind.PREDICTED, _DENOISED_PATTERN),
    # Greedy: the recording part runs to the last "-annotated-", so annotators may use hyphens.
    (Kind.ANNOTATED, re.compile(r"(?P<recording>.+)-annotated-(?P<annotator>[^/\\]+)\.csv")),
]
# Which row kinds each kind of file holds.
ROW_KINDS_OF_FILE_KIND = {kind: (kind,) for kind in Kind}
ROW_KINDS_OF_FILE_KIND[Kind.MISTAKEN] = (Kind.MISTAKEN, Kind.CORRECT)


@dataclass(frozen=True)
class AnnotationFileName:
    """What an annotation CSV's name says.

    ``recording`` is the part before the suffix, with or without the audio extension
    (``song.wav`` or ``song``). ``annotator`` is set for ``annotated`` files, ``ratio`` (the
    precision-recall ratio as written, e.g. ``"1.0"``) for ``predicted`` files.
    """

    recording: str
    kind: Kind
    annotator: str | None = None
    ratio: str | None = None
    denoised: bool = False  # ``<rec>-denoised.csv``: predicted events without a ratio
    channel: int | None = None  # ``<rec>-ch<N>-...``: the outputs of one channel among several

    @property
    def stem(self) -> str:
        """The part before the suffix as written, channel included (``song.wav-ch1``): what
        the file's companions are named after (``song.wav-ch1-probabilities.npy``)."""
        return channel_stem(self.recording, self.channel)

    @property
    def row_kinds(self) -> tuple[Kind, ...]:
        """The kinds of rows such a file holds (``-mistakes.csv``: mistaken and correct)."""
        return ROW_KINDS_OF_FILE_KIND[self.kind]


def parse_annotation_name(name: str | PurePath) -> AnnotationFileName | None:
    """Parse a CSV's file name (a path's folders are ignored); None if it is no annotation file."""
    name = PurePath(name).name
    for kind, pattern in _PATTERNS:
        match = pattern.fullmatch(name)
        if match:
            groups = match.groupdict()
            denoised = pattern is _DENOISED_PATTERN
            recording, channel = split_channel(match["recording"])
            return AnnotationFileName(recording, kind, groups.get("annotator"), groups.get("ratio"), denoised, channel)
    return None


def channel_stem(recording: str | PurePath, channel: int | None) -> str:
    """What one channel's outputs are named after: ``song.wav-ch1`` (``channel`` None: ``song.wav``)."""
    name = PurePath(recording).name
    return name if channel is None else f"{name}-ch{int(channel)}"


def split_channel(stem: str) -> tuple[str, int | None]:
    """The inverse of :func:`channel_stem`: ``song.wav-ch1`` gives ``("song.wav", 1)``; a stem
    without a channel after an audio file's extension is returned whole, with None."""
    match = _CHANNEL.fullmatch(stem)
    if match is None or not _is_audio_extension(match["extension"]):
        return stem, None
    return match["recording"], int(match["channel"])


def _is_audio_extension(extension: str) -> bool:
    return extension.lower() in {suffix.lower() for suffix in audio_suffixes()}


def annotation_csv_name(
    recording: str | PurePath,
    kind: Kind | str,
    *,
    annotator: str | None = None,
    ratio: float | str | None = None,
    channel: int | None = None,
) -> str:
    """The CSV name hark writes for ``recording``: ``song.wav-annotated-ann.csv``, ``song.wav-detected.csv``, ...

    ``annotator`` is required for annotated files and ``ratio`` for predicted ones
    (``1.0`` becomes ``-predicted-1.0pr.csv``); ``channel``, for one channel's outputs among
    several, puts ``-ch<N>`` after the recording's name (``song.wav-ch1-detected.csv``).
    """
    recording = PurePath(recording).name
    if not recording:
        raise HarkError("cannot name an annotation file for an empty recording name")
    recording = channel_stem(recording, channel)
    try:
        kind = Kind(kind)
    except ValueError:
        raise HarkError(f"unknown kind {kind!r}") from None
    if kind is Kind.ANNOTATED:
        if not annotator or not re.fullmatch(r"[^/\\\s]+", annotator):
            raise HarkError(f"annotator name {annotator!r} must be non-empty, without spaces or slashes")
        return f"{recording}-annotated-{annotator}.csv"
    if kind is Kind.PREDICTED:
        return f"{recording}-predicted-{_format_ratio(ratio)}pr.csv"
    if kind is Kind.CORRECT:
        kind = Kind.MISTAKEN
    return f"{recording}-{_FIXED_SUFFIXES[kind]}.csv"


def denoised_csv_name(recording: str | PurePath) -> str:
    """The name ``hark denoise`` writes for ``recording``: ``song.wav-denoised.csv``."""
    name = PurePath(recording).name
    if not name:
        raise HarkError("cannot name a denoised file for an empty recording name")
    return f"{name}-denoised.csv"


def annotation_csv_path(recording: str | Path, kind: Kind | str, **naming) -> Path:
    """:func:`annotation_csv_name` beside the recording file."""
    recording = Path(recording)
    return recording.with_name(annotation_csv_name(recording.name, kind, **naming))


def _format_ratio(ratio: float | str | None) -> str:
    if ratio is None:
        raise HarkError("a predicted file needs its precision-recall ratio (e.g. 1.0)")
    # SongExplorer writes the ratio as Python prints a float: 1.0, 2.0, 0.5.
    text = ratio if isinstance(ratio, str) else repr(float(ratio))
    if not re.fullmatch(_RATIO, text):
        raise HarkError(f"precision-recall ratio {ratio!r} must be a non-negative number like 1.0")
    return text


NOTMAT_SUFFIX = ".not.mat"
TEXTGRID_SUFFIX = ".textgrid"  # compared without case: Praat writes .TextGrid, people .textgrid


def parse_notmat_or_textgrid_name(name: str | PurePath) -> tuple[str, str] | None:
    """``(format, recording part)`` of an evsonganaly or Praat file name, None for any other file.

    ``song.cbin.not.mat`` gives ``("notmat", "song.cbin")``; ``song.TextGrid`` gives
    ``("textgrid", "song")`` and ``song.wav.TextGrid`` ``("textgrid", "song.wav")``. The
    recording part is matched as a CSV's is (:func:`recording_candidates`).
    """
    name = PurePath(name).name
    lowered = name.lower()
    for format_name, suffix in (("notmat", NOTMAT_SUFFIX), ("textgrid", TEXTGRID_SUFFIX)):
        if lowered.endswith(suffix) and len(name) > len(suffix):
            return format_name, name[: -len(suffix)]
    return None


def match_recording(csv_name: str | PurePath | AnnotationFileName, recording_names: Iterable[str]) -> str | None:
    """Which of ``recording_names`` (file names in the CSV's folder) a CSV annotates.

    ``song.wav-…csv`` matches ``song.wav`` exactly; ``song-…csv`` matches the one recording
    whose name is ``song`` plus an extension. None when nothing, or more than one, matches.
    """
    parsed = csv_name if isinstance(csv_name, AnnotationFileName) else parse_annotation_name(csv_name)
    if parsed is None:
        return None
    candidates = recording_candidates(parsed.recording, recording_names)
    return candidates[0] if len(candidates) == 1 else None


def recording_candidates(recording_part: str, recording_names: Iterable[str]) -> list[str]:
    """Recordings that ``recording_part`` of a CSV name may mean: the exact name, else same stem."""
    names = sorted(set(recording_names))
    if recording_part in names:
        return [recording_part]
    return [name for name in names if PurePath(name).stem == recording_part]
