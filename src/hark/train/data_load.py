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
from hark.audio.channel_group import describe_channels, open_channels
from hark.errors import HarkError, ParameterError


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
    # What a clip-label table (given instead of a folder; root is then its folder) says:
    table: Path | None = None
    validation: tuple[str, ...] = ()  # recordings its split column holds out for validation
    groups: tuple[tuple[str, str], ...] = ()  # (recording, group): a group's recordings stay on one side


def read_folder(root: str | Path, kinds: Iterable[str]) -> FolderContents:
    """Scan ``root`` and read every annotation of ``kinds``; names are relative to ``root``.

    ``root`` may be a clip-label table instead: its recordings and labels, names relative to its folder.
    """
    folder = scan_folder(root)
    root = folder.root
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
    return FolderContents(
        root, tuple(sorted(known)), tuple(annotated), tuple(annotations), folder.table, folder.validation, folder.groups
    )


def read_audio(
    root: Path,
    recordings: Sequence[str],
    channel: int = 0,
    reader: str = "auto",
    reader_params: dict | None = None,
    channels: Sequence[int] | None = None,
) -> tuple[int, dict[str, np.ndarray]]:
    """The common sample rate and every recording's samples (float32, one channel; with
    ``channels``, a model of several channels': ``(T, C)``, one column per channel, in order).

    All headers are read before any audio, so a folder of mixed rates fails at once.
    """
    if channels:
        wanted_by = f"the model (--channels {describe_channels(channels)})"
        opened = [open_channels(root / name, channels, reader, reader_params, wanted_by=wanted_by) for name in recordings]
    else:
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


def table_validation(contents: FolderContents) -> list[str] | None:
    """The recordings a clip-label table's split column holds out (None: it has none), checked
    against its groups: a group whose files lie on both sides is a one-line HarkError."""
    if not contents.validation:
        return None
    held = set(contents.validation)
    sides: dict[str, dict[bool, str]] = {}
    for recording, group in contents.groups:
        sides.setdefault(group, {})[recording in held] = recording
    for group, seen in sorted(sides.items()):
        if len(seen) == 2:
            raise HarkError(
                f"{contents.table}: group {group!r} has files on both sides of the split ({seen[False]} trains, "
                f"{seen[True]} validates); a group's files must share one split value"
            )
    return sorted(held)


def labels_of_data(root: str | Path) -> list[str] | None:
    """The labels to learn when none are given: every label of a clip-label table; None for a folder."""
    if Path(root).is_dir():
        return None
    folder = scan_folder(root)
    return sorted({event.label for event in folder.load_events()})


def check_table_clips(contents: FolderContents, labels: Sequence[str]) -> None:
    """A one-line HarkError for a label of a clip-label table with a single clip: it cannot both train and validate."""
    if contents.table is None:
        return
    count: dict[str, int] = {}
    for annotation in contents.annotations:
        count[annotation.event.label] = count.get(annotation.event.label, 0) + 1
    for label in labels:
        if count.get(label, 0) == 1:
            only = next(a.event.recording for a in contents.annotations if a.event.label == label)
            raise ParameterError(
                "labels",
                f"{contents.table}: label {label!r} has a single clip ({only}); a label needs at least two clips, one to train "
                "on and one to validate (add clips or leave the label out of {param})",
            )


def check_labels_present(contents: FolderContents, labels: Sequence[str], kinds: Sequence[str], also_present: Iterable[str] = ()) -> None:
    """A one-line HarkError for the first requested label that has no annotations (``also_present``: labels taught otherwise, e.g. by rejected events)."""
    present = {a.event.label for a in contents.annotations} | set(also_present)
    for label in labels:
        if label not in present:
            others = ", ".join(sorted(present)[:8]) or "none"
            raise HarkError(
                f"label {label!r} has no annotations of kinds {','.join(kinds)} in {contents.root} (labels there: {others})"
            )
