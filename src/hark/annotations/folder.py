"""A ground-truth folder as SongExplorer lays it out: recordings with their CSVs beside them.

The root holds subfolders (one per session, say) of recordings and annotation CSVs; the
recordings may also sit directly in the root. Every folder below the root is searched,
except hidden ones and SongExplorer's ``congruence-<date>`` and ``oldfiles-<date>`` folders,
whose CSVs are reports and superseded copies rather than annotations. A CSV belongs to the
recording its name names (see :mod:`hark.annotations.naming`); one that names no recording
in its folder is an orphan, reported rather than fatal. CSVs whose names follow none of
SongExplorer's conventions are not annotations and are left out.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from hark.annotations.event import Event, Kind
from hark.annotations.naming import ROW_KINDS_OF_FILE_KIND, parse_annotation_name, recording_candidates
from hark.annotations.selection import check_kinds, filter_events
from hark.annotations.songexplorer import read_csv
from hark.audio import audio_suffixes
from hark.errors import HarkError

_SKIPPED_FOLDER = re.compile(r"(congruence|oldfiles)-[0-9]{8}T[0-9]{6}")


@dataclass(frozen=True)
class RecordingEntry:
    """A recording and its annotation CSVs, grouped by the kind their names say."""

    recording: Path
    csvs: dict[Kind, tuple[Path, ...]] = field(default_factory=dict)

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


@dataclass(frozen=True)
class OrphanCSV:
    """An annotation CSV that matches no recording in its folder, and why."""

    path: Path
    reason: str


@dataclass(frozen=True)
class GroundTruthFolder:
    root: Path
    entries: tuple[RecordingEntry, ...]
    orphans: tuple[OrphanCSV, ...]

    @property
    def recordings(self) -> list[Path]:
        return [e.recording for e in self.entries]

    def load_events(
        self,
        kinds: Iterable[Kind | str] | None = None,
        labels: Iterable[str] | None = None,
    ) -> list[Event]:
        """The events of every recording's CSVs, keeping those of ``kinds`` and ``labels`` (None: all).

        Each event's ``recording`` becomes the recording's path relative to the root (POSIX
        style), resolved as SongExplorer does from the CSV's folder and ``wavfile`` column, so
        that ``root / event.recording`` is the audio file and same-named recordings in two
        subfolders stay apart. A malformed CSV raises its FileFormatError; empty CSVs are
        allowed (a detection run over silence writes one).
        """
        wanted = check_kinds(kinds)
        events: list[Event] = []
        for entry in self.entries:
            for csv_path in entry.csv_paths(wanted):
                rows = filter_events(read_csv(csv_path, allow_empty=True), wanted, labels)
                events.extend(e.with_(recording=self._relative(csv_path.parent / e.recording)) for e in rows)
        return events

    def _relative(self, path: Path) -> str:
        try:
            return Path(os.path.normpath(path)).relative_to(os.path.normpath(self.root)).as_posix()
        except ValueError:  # a wavfile column that climbs out of the root with ".."
            return Path(os.path.normpath(path)).as_posix()


def scan_folder(root: str | Path) -> GroundTruthFolder:
    """Find the recordings under ``root`` and match each annotation CSV to its recording."""
    root = Path(root)
    if not root.exists():
        raise HarkError(f"{root}: no such folder")
    if not root.is_dir():
        raise HarkError(f"{root}: is a file, not a folder")
    suffixes = {s.lower() for s in audio_suffixes()}
    entries: list[RecordingEntry] = []
    orphans: list[OrphanCSV] = []

    def unreadable_folder(err: OSError) -> None:
        raise HarkError(f"{err.filename}: cannot list folder ({err.strerror or err})")

    for folder, subfolders, files in os.walk(root, onerror=unreadable_folder):
        # Sorted in place so that os.walk visits folders in a stable order.
        subfolders[:] = sorted(d for d in subfolders if not d.startswith(".") and not _SKIPPED_FOLDER.fullmatch(d))
        visible = sorted(f for f in files if not f.startswith("."))
        audio = [f for f in visible if Path(f).suffix.lower() in suffixes]
        csvs_of: dict[str, dict[Kind, list[Path]]] = {name: {} for name in audio}
        for name in visible:
            parsed = parse_annotation_name(name) if name.endswith(".csv") else None
            if parsed is None:
                continue
            path = Path(folder, name)
            candidates = recording_candidates(parsed.recording, audio)
            if len(candidates) == 1:
                csvs_of[candidates[0]].setdefault(parsed.kind, []).append(path)
            elif candidates:
                orphans.append(OrphanCSV(path, f"matches several recordings ({', '.join(candidates)})"))
            else:
                orphans.append(OrphanCSV(path, f"no recording {parsed.recording!r} (with or without extension) beside it"))
        for name in audio:
            by_kind = csvs_of[name]
            csvs = {kind: tuple(sorted(by_kind[kind])) for kind in Kind if kind in by_kind}
            entries.append(RecordingEntry(Path(folder, name), csvs))
    entries.sort(key=lambda e: e.recording)
    orphans.sort(key=lambda o: o.path)
    return GroundTruthFolder(root, tuple(entries), tuple(orphans))
