"""A ground-truth folder as SongExplorer lays it out: recordings with their CSVs beside them.

The root holds subfolders (one per session, say) of recordings and annotation CSVs; the
recordings may also sit directly in the root. Every folder below the root is searched,
except hidden ones and SongExplorer's ``congruence-<date>`` and ``oldfiles-<date>`` folders,
whose CSVs are reports and superseded copies rather than annotations. A CSV belongs to the
recording its name names (see :mod:`hark.annotations.naming`); one that names no recording
in its folder is an orphan, reported rather than fatal. CSVs whose names follow none of
SongExplorer's conventions are not annotations and are left out.

Bird-song folders are ground-truth folders too: evsonganaly's ``X.cbin.not.mat`` and Praat's
``X.TextGrid`` (or ``X.wav.TextGrid``) belong to the recording they are named after, as a
CSV does, and hold ``annotated`` events. Such annotations are dense (every syllable is
marked), which :func:`check_no_overlaps` checks where a use depends on it. Any registered
annotation format that names its files after their recording (its ``folder_suffix``, see
:mod:`hark.annotations.formats`) is found the same way: which file is which format's is asked
of the format registry, not decided here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hark.annotations.event import Event, Kind
from hark.annotations.formats import Source, detect_format, folder_format_of, get_format
from hark.annotations.naming import ROW_KINDS_OF_FILE_KIND, recording_candidates
from hark.annotations.selection import check_kinds, filter_events
from hark.audio import audio_suffixes
from hark.errors import FileFormatError, HarkError

_SKIPPED_FOLDER = re.compile(r"(congruence|oldfiles)-[0-9]{8}T[0-9]{6}")


@dataclass(frozen=True)
class RecordingEntry:
    """A recording and its annotation files: CSVs grouped by the kind their names say, and the others.

    ``non_csv_annotations`` are evsonganaly ``.not.mat`` and Praat TextGrid files (and those
    of any other format found in folders), whose events are all ``annotated``.
    """

    recording: Path
    csvs: dict[Kind, tuple[Path, ...]] = field(default_factory=dict)
    non_csv_annotations: tuple[Path, ...] = ()

    def csv_paths(self, kinds: Iterable[Kind | str] | None = None) -> list[Path]:
        """The CSVs that may hold rows of ``kinds`` (None: all), in kind order then by name.

        A ``-mistakes.csv`` file counts for both mistaken and correct rows.
        """
        wanted = check_kinds(kinds)
        paths = []
        for file_kind, csvs in self.csvs.items():
            if wanted is None or wanted.intersection(ROW_KINDS_OF_FILE_KIND[file_kind]):
                paths.extend(csvs)
        return paths

    def annotation_paths(self, kinds: Iterable[Kind | str] | None = None) -> list[Path]:
        """:meth:`csv_paths`, then the ``.not.mat`` and TextGrid files when ``kinds`` includes annotated."""
        wanted = check_kinds(kinds)
        others = list(self.non_csv_annotations) if wanted is None or Kind.ANNOTATED in wanted else []
        return self.csv_paths(wanted) + others


@dataclass(frozen=True)
class OrphanCSV:
    """An annotation file (a CSV, ``.not.mat`` or TextGrid) that matches no recording in its folder, and why."""

    path: Path
    reason: str


@dataclass(frozen=True)
class GroundTruthFolder:
    """``validation`` and ``groups`` (names relative to the root) are what a clip-label table's
    ``split`` and ``group`` columns say; a folder of recordings has neither."""

    root: Path
    entries: tuple[RecordingEntry, ...]
    orphans: tuple[OrphanCSV, ...]
    validation: tuple[str, ...] = ()
    groups: tuple[tuple[str, str], ...] = ()
    table: Path | None = None  # the file that listed the recordings, when one did
    unclaimed: tuple[Path, ...] = ()
    """Files beside the recordings that are neither audio nor named as any format's annotations of
    one (a call table named ``gt_1.csv``, a project file): never read as annotations, but
    ``hark info`` says what they seem to be and how to use them."""

    @property
    def recordings(self) -> list[Path]:
        return [e.recording for e in self.entries]

    def load_events(
        self,
        kinds: Iterable[Kind | str] | None = None,
        labels: Iterable[str] | None = None,
    ) -> list[Event]:
        """The events of every recording's annotation files, keeping those of ``kinds`` and ``labels`` (None: all).

        Each event's ``recording`` becomes the recording's path relative to the root (POSIX
        style), resolved as SongExplorer does from the CSV's folder and ``wavfile`` column, so
        that ``root / event.recording`` is the audio file and same-named recordings in two
        subfolders stay apart. A malformed file raises its FileFormatError; empty CSVs are
        allowed (a detection run over silence writes one).
        """
        return [event for event, _ in self.annotations(kinds, labels)]

    def annotations(
        self,
        kinds: Iterable[Kind | str] | None = None,
        labels: Iterable[str] | None = None,
    ) -> Iterator[tuple[Event, Path]]:
        """Each event of :meth:`load_events` with the annotation file it was read from."""
        wanted = check_kinds(kinds)
        if self.table is not None:  # one file lists every recording: read it once
            if wanted is None or Kind.ANNOTATED in wanted:
                for event in filter_events(read_annotation_file(self.table), wanted, labels):
                    yield event.with_(recording=self.relative_name(self.table.parent / event.recording)), self.table
            return
        for entry in self.entries:
            for path in entry.annotation_paths(wanted):
                for event in filter_events(read_annotation_file(path, entry.recording), wanted, labels):
                    yield event.with_(recording=self.relative_name(path.parent / event.recording)), path

    def relative_name(self, path: Path) -> str:
        """``path`` relative to the root, POSIX style (as events name their recordings)."""
        try:
            return Path(os.path.normpath(path)).relative_to(os.path.normpath(self.root)).as_posix()
        except ValueError:  # a wavfile column that climbs out of the root with ".."
            return Path(os.path.normpath(path)).as_posix()


def scan_folder(root: str | Path) -> GroundTruthFolder:
    """Find the recordings under ``root`` and match each annotation CSV to its recording.

    ``root`` may also be a file that lists recordings (a clip-label table, see
    :mod:`hark.annotations.clip_table`): its recordings, relative to its folder, then make
    up the ground truth, each annotated by the table.
    """
    root = Path(root)
    if not root.exists():
        raise HarkError(f"{root}: no such folder or file")
    if not root.is_dir():
        return _scan_listing(root)
    suffixes = {s.lower() for s in audio_suffixes()}
    entries: list[RecordingEntry] = []
    orphans: list[OrphanCSV] = []
    unclaimed: list[Path] = []

    def unreadable_folder(err: OSError) -> None:
        raise HarkError(f"{err.filename}: cannot list folder ({err.strerror or err})")

    for folder, subfolders, files in os.walk(root, onerror=unreadable_folder):
        # Sorted in place so that os.walk visits folders in a stable order.
        subfolders[:] = sorted(d for d in subfolders if not d.startswith(".") and not _SKIPPED_FOLDER.fullmatch(d))
        visible = sorted(f for f in files if not f.startswith("."))
        audio = [f for f in visible if Path(f).suffix.lower() in suffixes]
        csvs_of: dict[str, dict[Kind, list[Path]]] = {name: {} for name in audio}
        others_of: dict[str, list[Path]] = {name: [] for name in audio}
        for name in visible:
            found = folder_format_of(name)
            if found is None:
                if name not in csvs_of:
                    unclaimed.append(Path(folder, name))
                continue
            recording_part, kind = found[1]
            path = Path(folder, name)
            candidates = recording_candidates(recording_part, audio)
            if len(candidates) == 1 and kind is not None:
                csvs_of[candidates[0]].setdefault(kind, []).append(path)
            elif len(candidates) == 1:
                others_of[candidates[0]].append(path)
            elif candidates:
                orphans.append(OrphanCSV(path, f"matches several recordings ({', '.join(candidates)})"))
            else:
                orphans.append(OrphanCSV(path, f"no recording {recording_part!r} (with or without extension) beside it"))
        for name in audio:
            by_kind = csvs_of[name]
            csvs = {kind: tuple(sorted(by_kind[kind])) for kind in Kind if kind in by_kind}
            entries.append(RecordingEntry(Path(folder, name), csvs, tuple(sorted(others_of[name]))))
    entries.sort(key=lambda e: e.recording)
    orphans.sort(key=lambda o: o.path)
    return GroundTruthFolder(root, tuple(entries), tuple(orphans), unclaimed=tuple(sorted(unclaimed)))


def lists_recordings(path: str | Path) -> bool:
    """Whether ``path`` is a file that lists recordings (a clip-label table), to be read as a ground-truth folder."""
    path = Path(path)
    if not path.is_file():
        return False
    try:
        return get_format(detect_format(path)).lists_recordings
    except FileFormatError:
        return False


def _scan_listing(path: Path) -> GroundTruthFolder:
    """The ground truth a file listing recordings (a clip-label table) describes; a HarkError for other files."""
    not_listing = f"{path}: is a file, not a folder nor a clip-label table (a header file,label[,split][,group])"
    try:
        fmt = get_format(detect_format(path))
    except FileFormatError:  # not text, empty, or no format's: say what was expected
        raise HarkError(not_listing) from None
    listed = fmt.listed_recordings(path)
    if listed is None:
        raise HarkError(not_listing)
    entries = tuple(RecordingEntry(path.parent / name, {}, (path,)) for name in listed.recordings)
    return GroundTruthFolder(path.parent, entries, (), listed.validation, listed.groups, path)


def read_annotation_file(path: str | Path, recording: str | Path | None = None) -> list[Event]:
    """The events of one annotation file of a ground-truth folder: a CSV, ``.not.mat``, TextGrid or a plugin format's.

    The format is the one whose folder files ``path``'s name is (else the one its content
    shows). ``recording`` is the audio file it annotates; a TextGrid needs it for the sample
    rate and the recording's name, a ``.not.mat`` to check its ``Fs``; nothing is looked for
    beside the file. As in a CSV's ``wavfile`` column, each event's ``recording`` is the audio
    file's name, relative to ``path``'s folder. A file without events is no error.
    """
    path = Path(path)
    found = folder_format_of(path.name)
    fmt = found[0] if found else get_format(detect_format(path))
    source = Source(path, recording=None if recording is None else Path(recording), search_beside=False, allow_empty=True)
    return fmt.read(source).events


def check_no_overlaps(events: Iterable[Event], path: str | Path, samplerate: float | None = None) -> None:
    """A one-line FileFormatError naming ``path`` and the first two overlapping events of one recording.

    For dense annotations (every syllable marked, so that unmarked time is silence), where an
    overlap is a mistake rather than two sounds at once. Events that only touch (one stops
    where the next starts) do not overlap. Times are shown in seconds given ``samplerate``,
    else in samples.
    """

    def shown(event: Event) -> str:
        if samplerate is None:
            return f"{event.label!r} at samples {event.start}-{event.stop}"
        return f"{event.label!r} at {event.start / samplerate:.3f}-{event.stop / samplerate:.3f} s"

    by_recording: dict[str, list[Event]] = {}
    for event in events:
        by_recording.setdefault(event.recording, []).append(event)
    for recording in sorted(by_recording):
        ordered = sorted(by_recording[recording], key=lambda e: (e.start, e.stop))
        furthest = ordered[0]  # of the events so far, the one that stops last
        for event in ordered[1:]:
            if event.start < furthest.stop:
                where = f" in {recording}" if len(by_recording) > 1 else ""
                raise FileFormatError(path, f"overlapping syllables{where}: {shown(furthest)} and {shown(event)}")
            if event.stop > furthest.stop:
                furthest = event
