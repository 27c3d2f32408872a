"""Reading a ground-truth folder for training: its annotations (with the CSV each came from) and its audio.

Audio is read whole into memory, one float32 array per recording, because training draws
thousands of short windows at random places and re-reading files for each would dominate
the time. That bounds the data to what fits in memory: an hour at 250 kHz is about 3.6 GB.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hark.annotations.event import Event
from hark.annotations.folder import scan_folder
from hark.annotations.selection import check_kinds
from hark.audio import open_recording
from hark.errors import HarkError


@dataclass(frozen=True)
class Annotation:
    """An event and the CSV it was read from (for error messages that point at the file)."""

    event: Event
    csv: Path


@dataclass(frozen=True)
class FolderContents:
    """What a ground-truth folder holds for training."""

    root: Path
    recordings: tuple[str, ...]  # every recording, relative POSIX names
    annotated: tuple[str, ...]  # recordings with at least one CSV of the chosen kinds
    annotations: tuple[Annotation, ...]  # of the chosen kinds, any label


def read_folder(root: str | Path, kinds: Iterable[str]) -> FolderContents:
    """Scan ``root`` and read every annotation of ``kinds``; names are relative to ``root``."""
    root = Path(root)
    folder = scan_folder(root)
    if not folder.entries:
        raise HarkError(f"{root}: no recordings found (looked for audio files in it and its subfolders)")
    names = {entry.recording: folder.relative_name(entry.recording) for entry in folder.entries}
    wanted = check_kinds(list(kinds))
    annotated = [names[entry.recording] for entry in folder.entries if entry.annotation_paths(wanted)]
    annotations = [Annotation(event, path) for event, path in folder.annotations(wanted)]
    known = set(names.values())
    for annotation in annotations:
        if annotation.event.recording not in known:
            raise HarkError(f"{annotation.csv}: annotates {annotation.event.recording}, which is not a recording in {root}")
    annotations.sort(key=lambda a: (a.event, str(a.csv)))
    return FolderContents(root, tuple(sorted(known)), tuple(annotated), tuple(annotations))


def read_audio(
    root: Path,
    recordings: Sequence[str],
    channel: int = 0,
    reader: str = "auto",
    reader_params: dict | None = None,
) -> tuple[int, dict[str, np.ndarray]]:
    """The common sample rate and every recording's samples (float32, one channel).

    All headers are read before any audio, so a folder of mixed rates fails at once.
    """
    opened = [open_recording(root / name, channel=channel, reader=reader, reader_params=reader_params) for name in recordings]
    if not opened:
        raise HarkError(f"{root}: no recordings to train on")
    first = opened[0]
    for name, other in zip(recordings[1:], opened[1:]):
        if other.samplerate != first.samplerate:
            raise HarkError(
                f"recordings of different sample rates in {root}: {recordings[0]} is {first.samplerate} Hz "
                f"but {name} is {other.samplerate} Hz; resample them to one rate (hark resample --rate {first.samplerate} --out NEW_FOLDER {root})"
            )
    samples = {name: rec.read() for name, rec in zip(recordings, opened)}
    return first.samplerate, samples


def check_labels_present(contents: FolderContents, labels: Sequence[str], kinds: Sequence[str]) -> None:
    """A one-line HarkError for the first requested label that has no annotations."""
    present = {a.event.label for a in contents.annotations}
    for label in labels:
        if label not in present:
            others = ", ".join(sorted(present)[:8]) or "none"
            raise HarkError(
                f"label {label!r} has no annotations of kinds {','.join(kinds)} in {contents.root} (labels there: {others})"
            )
