"""Plain-data descriptions of recordings, folders and CSVs, for ``hark info`` and its ``--json``.

Each function returns a JSON-ready dict. Problems that should not hide the rest of the
report (an unreadable recording, a malformed CSV, an orphan CSV) become ``warnings``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hark.annotations.event import Event
from hark.annotations.folder import scan_folder
from hark.annotations.naming import parse_annotation_name, recording_candidates
from hark.annotations.songexplorer import read_csv
from hark.annotations.summary import count_by_kind_and_label
from hark.audio import audio_suffixes, open_recording
from hark.errors import FileFormatError, HarkError


def _count_rows(events: list[Event]) -> list[dict[str, Any]]:
    return [{"kind": kind.value, "label": label, "count": n} for (kind, label), n in count_by_kind_and_label(events).items()]


def _read_files(paths: list[Path], warnings: list[str], shown_as, recording: Path | None = None) -> list[Event]:
    """Events of annotation files (CSV, .not.mat, TextGrid); an unreadable one becomes a warning."""
    return [event for event, _ in _read_sourced(paths, warnings, shown_as, recording)]


def _read_sourced(paths: list[Path], warnings: list[str], shown_as, recording: Path | None = None) -> list[tuple[Event, Path]]:
    """:func:`_read_files`'s events, each with the file it came from."""
    from hark.annotations.folder import read_annotation_file

    events: list[tuple[Event, Path]] = []
    for path in paths:
        try:
            events.extend((event, path) for event in read_annotation_file(path, recording))
        except HarkError as err:
            warnings.append(f"unreadable annotation file {shown_as(path)}: {err}")
    return events


SHOWN_CONFLICTS = 5  # places listed; the count says how many there are


def conflicts_report(sourced: list[tuple[Event, Path]], shown_as) -> dict[str, Any]:
    """Places where two annotation files disagree and no rule settles it (:mod:`hark.annotations.precedence`):
    their count and the first few, each with both files, labels and verdicts."""
    from hark.annotations.precedence import resolve

    found = resolve(sourced).conflicts
    places = []
    for conflict in found[:SHOWN_CONFLICTS]:
        (a, a_csv), (b, b_csv) = conflict.first, conflict.second
        places.append({
            "recording": a.recording,
            "start": a.start,
            "stop": a.stop,
            "files": [shown_as(a_csv), shown_as(b_csv)],
            "labels": [a.label, b.label],
            "statuses": [None if a.status is None else a.status.value, None if b.status is None else b.status.value],
            "text": conflict.describe(shown_as),
        })
    return {"count": len(found), "places": places}


def _audio_facts(path: Path) -> dict[str, Any]:
    info = open_recording(path).info
    return {
        "samplerate": info.samplerate,
        "frames": info.frames,
        "duration_s": info.duration,
        "channels": info.channels,
        "format": info.format,
        "subtype": info.subtype,
    }


def describe_recording(path: str | Path) -> dict[str, Any]:
    """A recording's format and the annotation counts of the CSVs beside it that name it."""
    path = Path(path)
    report: dict[str, Any] = {"type": "recording", "path": str(path), **_audio_facts(path)}
    suffixes = {s.lower() for s in audio_suffixes()}
    siblings = sorted(p.name for p in path.parent.iterdir() if not p.name.startswith("."))
    audio = [n for n in siblings if Path(n).suffix.lower() in suffixes]
    csvs = []
    for name in siblings:
        parsed = parse_annotation_name(name) if name.endswith(".csv") else None
        if parsed is not None and recording_candidates(parsed.recording, audio) == [path.name]:
            csvs.append(path.parent / name)
    warnings: list[str] = []
    events = _read_files(csvs, warnings, lambda p: p.name, path)
    report.update(annotation_files=[p.name for p in csvs], annotations=_count_rows(events), warnings=warnings)
    return report


def describe_csv(path: str | Path) -> dict[str, Any]:
    """A SongExplorer CSV's annotation counts (a malformed file is an error, not a warning)."""
    path = Path(path)
    events = read_csv(path, allow_empty=True)
    recordings = sorted({e.recording for e in events})
    return {
        "type": "csv",
        "path": str(path),
        "recordings": recordings,
        "annotation_files": [path.name],
        "annotations": _count_rows(events),
        "warnings": [],
    }


def describe_annotation_file(path: str | Path) -> dict[str, Any]:
    """The annotation counts of a file of any registered format, recognised by its name and content.

    Times that need a sample rate take it from the recording the file sits beside.
    """
    from hark.annotations.formats import Source, annotation_formats, detect_format, get_format

    path = Path(path)
    try:
        name = detect_format(path)
    except FileFormatError:
        known = ", ".join(annotation_formats.names())
        raise HarkError(f"{path}: not a recording ({', '.join(audio_suffixes())}), a folder or an annotation file of a known format ({known})") from None
    events = get_format(name).read(Source(path, allow_empty=True)).events
    return {
        "type": "annotations",
        "format": name,
        "path": str(path),
        "recordings": sorted({e.recording for e in events}),
        "annotation_files": [path.name],
        "annotations": _count_rows(events),
        "warnings": [],
    }


def _warn_past_end(events: list[Event], name: str, facts: dict[str, Any], shown: str, warnings: list[str]) -> None:
    """A warning when some of a recording's events end more than a second past its end (a wrong rate or file)."""
    rate, frames = facts["samplerate"], facts["frames"]
    past = [e for e in events if e.recording == name and e.stop > frames + rate]
    if past:
        warnings.append(
            f"{len(past)} event(s) of {shown} end past its end ({frames / rate:.3f} s), the first at "
            f"{past[0].start / rate:.6g}-{past[0].stop / rate:.6g} s"
        )


def _listing_facts(folder) -> dict[str, Any]:
    """What a clip-label table adds to a folder's report: the table, and its split's counts."""
    if folder.table is None:
        return {}
    validation = len(folder.validation)
    return {
        "table": str(folder.table),
        "split": {"training": len(folder.entries) - validation, "validation": validation} if validation else None,
        "groups": len({group for _, group in folder.groups}),
    }


SNIFFED_AT_MOST = 50
"""Unclaimed files of a folder whose format ``hark info`` looks up; more are only counted."""


def unnamed_annotation_files(folder) -> list[dict[str, Any]]:
    """The files of ``folder`` (a scanned ground-truth folder) that hold annotations of a known
    format but are not named after a recording, so that nothing reads them: what each is and
    the command that makes it usable (the USV collection's ``gt_1.csv`` beside ``rec_1.wav``)."""
    from hark.annotations.formats import detect_format

    found = []
    for path in folder.unclaimed[:SNIFFED_AT_MOST]:
        try:
            name = detect_format(path)
        except (HarkError, OSError, ValueError):
            continue  # not annotations (a README, a licence) or unreadable: not ours to judge here
        found.append({"path": path.relative_to(folder.root).as_posix(), "format": name, "use": _how_to_use(path, name, folder)})
    return found


def _how_to_use(path: Path, name: str, folder) -> str:
    if name == "labeltable":
        return f"a clip-label table: hark info {path}, and hark train --data {path}"
    if name == "soundevent":
        return f"an annotation project: hark convert {path} {path.parent} --to hark (one CSV per recording)"
    beside = [r for r in folder.recordings if r.parent == path.parent]
    recording = str(beside[0]) if len(beside) == 1 else "REC"
    stem = Path(recording).stem if len(beside) == 1 else "REC"
    out = path.parent / f"{stem}-annotated-{path.stem}.csv"
    return f"not named after a recording: hark convert {path} {out} --to hark --recording {recording}"


def describe_folder(root: str | Path) -> dict[str, Any]:
    """Every recording of a ground-truth folder, with the annotation counts of all its CSVs."""
    folder = scan_folder(root)
    root = folder.root  # a clip-label table's folder, when a table was given

    def shown(p: Path) -> str:
        return p.relative_to(root).as_posix()

    recordings, unreadable, warnings = [], [], []
    events: list[Event] = []
    sourced: list[tuple[Event, Path]] = []
    for entry in folder.entries:
        csvs = entry.annotation_paths()
        facts = None
        try:
            facts = _audio_facts(entry.recording)
        except HarkError as err:
            unreadable.append({"path": shown(entry.recording), "reason": str(err)})
            warnings.append(f"unreadable recording: {err}")
        else:
            recordings.append({"path": shown(entry.recording), **facts, "annotation_files": [shown(p) for p in csvs]})
        read_sourced = _read_sourced(csvs, warnings, shown, entry.recording)
        sourced.extend(read_sourced)
        read = [event for event, _ in read_sourced]
        if facts is not None:
            _warn_past_end(read, entry.recording.name, facts, shown(entry.recording), warnings)
        events.extend(read)
    orphans = [{"path": shown(o.path), "reason": o.reason} for o in folder.orphans]
    warnings.extend(f"orphan CSV {o['path']}: {o['reason']}" for o in orphans)
    return {
        "type": "folder",
        "path": str(root),
        "recordings": recordings,
        "annotations": _count_rows(events),
        "conflicts": conflicts_report(sourced, shown),
        **_listing_facts(folder),
        "unreadable": unreadable,
        "orphans": orphans,
        "unnamed": unnamed_annotation_files(folder),
        "warnings": warnings,
    }
