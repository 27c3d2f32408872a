"""Cluster IDs as files, and renaming them (``hark cluster --assign``, ``hark cluster --rename``).

:func:`write_cluster_ids` writes, for sounds with their IDs (:mod:`hark.embed.cluster_ids`):

- ``<rec>-clustered.csv`` per recording: the sounds as events of kind ``clustered``,
  labelled with their cluster ID, beside the recording (or under the output folder, with the
  recording's relative path), so that folder scans, ``hark info``, the GUI and ``hark train
  --kinds clustered`` find them. Outliers (HDBSCAN's noise) are left out; a recording whose
  every sound is an outlier gets an empty file, so no older IDs stay behind;
- in the output folder: ``assignments.csv`` (``wavfile,start,stop,label,cluster``: every
  sound, outliers as ``noise``), ``silhouette.csv`` (k auto: ``k,silhouette,chosen``),
  ``clusters.json`` (what was done, the sizes, and which CSVs hold the IDs) and
  ``clusters/<id>.png`` (:mod:`hark.embed.cluster_mosaic`).

:func:`rename_clusters` gives clusters names (``c3=flat``) in all those files: every member
keeps its recording and times, only the label changes; everything is checked before the
first file is replaced, and each file is replaced atomically.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePath

import numpy as np

from hark.annotations.event import Event, Kind, label_problem
from hark.annotations.naming import annotation_csv_name
from hark.annotations.songexplorer import read_csv, write_csv
from hark.embed.cluster_features import ClusterInput
from hark.embed.cluster_ids import NOISE, Assignment, AssignParams, assign_clusters
from hark.errors import HarkError, ParameterError
from hark.fileio import atomic_write_text, ensure_writable_dir

ASSIGNMENTS_CSV = "assignments.csv"
SILHOUETTE_CSV = "silhouette.csv"
CLUSTERS_JSON = "clusters.json"
FIGURES_DIR = "clusters"


@dataclass(frozen=True)
class ClusterIds:
    """What :func:`write_cluster_ids` did: the assignment and the files holding it."""

    assignment: Assignment
    sounds: list[Event]
    folder: Path
    csvs: list[Path]
    figures: list[Path]


def cluster_ids(
    data: ClusterInput,
    params: AssignParams,
    folder: str | Path,
    beside_recordings: bool = True,
    figures: bool = True,
    report: Callable[[str], None] = lambda message: None,
) -> ClusterIds:
    """Assign IDs to ``data``'s sounds by ``params`` and write them (see the module's text)."""
    report(f"{params.method} of {len(data.sounds)} sounds, {data.source} features ({data.features.shape[1]} per sound)")
    assignment = assign_clusters(data.features, params)
    return write_cluster_ids(data, assignment, params, folder, beside_recordings, figures, report)


def write_cluster_ids(
    data: ClusterInput,
    assignment: Assignment,
    params: AssignParams,
    folder: str | Path,
    beside_recordings: bool = True,
    figures: bool = True,
    report: Callable[[str], None] = lambda message: None,
) -> ClusterIds:
    if beside_recordings:
        missing = sorted({str(data.audio.get(s.recording, s.recording)) for s in data.sounds if not Path(data.audio.get(s.recording, "")).is_file()})
        if missing:
            raise HarkError(f"recording {missing[0]} not found, so its cluster IDs cannot be written beside it; give an output folder")
    folder = ensure_writable_dir(folder)
    by_csv: dict[Path, list[Event]] = defaultdict(list)
    for sound, cid in zip(data.sounds, assignment.ids):
        path = clustered_csv_path(sound.recording, data.audio.get(sound.recording), folder, beside_recordings)
        if cid != NOISE:
            by_csv[path].append(sound.with_(kind=Kind.CLUSTERED, label=cid, score=None, status=None, annotator=None))
        else:
            by_csv.setdefault(path, [])
    for path, events in sorted(by_csv.items()):
        ensure_writable_dir(path.parent)
        write_csv(path, sorted(events))
    _write_assignments(folder / ASSIGNMENTS_CSV, data.sounds, assignment.ids)
    if assignment.silhouettes:
        lines = ["k,silhouette,chosen"] + [f"{k},{s:.6f},{int(k == assignment.k)}" for k, s in sorted(assignment.silhouettes.items())]
        atomic_write_text(folder / SILHOUETTE_CSV, "\n".join(lines) + "\n")
    _remove_old_figures(folder)
    drawn: dict[str, Path] = {}
    if figures:
        from hark.embed.cluster_mosaic import plot_cluster_mosaics

        drawn = plot_cluster_mosaics(data, assignment, folder / FIGURES_DIR, report)
    description = {
        "source": data.source, "sounds": len(data.sounds), "clusters": assignment.clusters, "sizes": assignment.sizes(),
        "outliers": assignment.outliers, "k": assignment.k,
        "silhouettes": {str(k): v for k, v in sorted(assignment.silhouettes.items())},
        "feature_names": list(data.feature_names), "params": params.model_dump(mode="json"),
        "clustered_csvs": [str(p.resolve()) for p in sorted(by_csv)],
        "figures": {cid: p.name for cid, p in drawn.items()},
    }  # fmt: skip
    atomic_write_text(folder / CLUSTERS_JSON, json.dumps(description, indent=1) + "\n")
    return ClusterIds(assignment, data.sounds, folder, sorted(by_csv), list(drawn.values()))


def _remove_old_figures(folder: Path) -> None:
    """Delete the figures an earlier run listed in ``clusters.json``, so none of another clustering stays behind."""
    try:
        names = json.loads((folder / CLUSTERS_JSON).read_text(encoding="utf-8")).get("figures", {}).values()
    except (OSError, ValueError, AttributeError):
        return
    for name in names:
        if isinstance(name, str) and PurePath(name).name == name:
            (folder / FIGURES_DIR / name).unlink(missing_ok=True)


def clustered_csv_path(recording: str, audio: Path | None, folder: Path, beside_recordings: bool) -> Path:
    """``<rec>-clustered.csv`` beside the recording's file, else under ``folder`` at the recording's relative path."""
    if beside_recordings and audio is not None:
        return audio.with_name(annotation_csv_name(audio.name, Kind.CLUSTERED))
    relative = PurePath(recording)
    if relative.is_absolute() or ".." in relative.parts:
        relative = PurePath(relative.name)
    return folder / relative.parent / annotation_csv_name(relative.name, Kind.CLUSTERED)


def _write_assignments(path: Path, sounds: list[Event], ids: list[str]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["wavfile", "start", "stop", "label", "cluster"])
    for sound, cid in zip(sounds, ids):
        writer.writerow([sound.recording, sound.start, sound.stop, sound.label, cid])
    atomic_write_text(path, buffer.getvalue())


def read_assignments(folder: str | Path) -> list[dict[str, str]]:
    """The rows of ``assignments.csv`` (``wavfile,start,stop,label,cluster``)."""
    path = Path(folder) / ASSIGNMENTS_CSV
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except OSError as err:
        raise HarkError(f"{path}: cannot read ({err.strerror or err}); run hark cluster --assign first") from None
    if rows and "cluster" not in rows[0]:
        raise HarkError(f"{path}: no cluster column (not written by hark cluster --assign)")
    return rows


def parse_renames(text: str) -> dict[str, str]:
    """``"c3=flat,c1=upsweep"`` as ``{"c3": "flat", "c1": "upsweep"}``; a one-line error if malformed."""
    renames: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",")):
        old, sep, new = part.partition("=")
        old, new = old.strip(), new.strip()
        if not sep or not old or not new:
            raise ParameterError("renames", f"{{param}}: {part!r} is not OLD=NEW (e.g. c3=flat,c1=upsweep)")
        if old in renames:
            raise ParameterError("renames", f"{{param}}: {old} is renamed twice")
        renames[old] = new
    return renames


def rename_clusters(folder: str | Path, renames: dict[str, str]) -> list[Path]:
    """Rename clusters in a ``hark cluster --assign`` folder's files; returns the files rewritten."""
    folder = Path(folder)
    description_path = folder / CLUSTERS_JSON
    try:
        description = json.loads(description_path.read_text(encoding="utf-8"))
        csvs = [Path(p) for p in description["clustered_csvs"]]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise HarkError(f"{description_path}: cannot read ({err}); run hark cluster --assign --out {folder} first") from None
    rows = read_assignments(folder)
    existing = {row["cluster"] for row in rows} - {NOISE}
    _check_renames(renames, existing)
    events_of = {path: read_csv(path, allow_empty=True) for path in csvs if path.is_file()}
    new_events = {}
    for path, events in events_of.items():
        renamed = [e.with_(label=renames.get(e.label, e.label)) if e.kind is Kind.CLUSTERED else e for e in events]
        if [(e.recording, e.start, e.stop) for e in renamed] != [(e.recording, e.start, e.stop) for e in events]:
            raise HarkError(f"{path}: renaming would move a sound")  # cannot happen; identity is the point
        new_events[path] = renamed
    written = []
    for path, events in new_events.items():
        write_csv(path, events)
        written.append(path)
    for row in rows:
        row["cluster"] = renames.get(row["cluster"], row["cluster"])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["wavfile", "start", "stop", "label", "cluster"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(folder / ASSIGNMENTS_CSV, buffer.getvalue())
    written.append(folder / ASSIGNMENTS_CSV)
    description["figures"] = _rename_figures(folder / FIGURES_DIR, description.get("figures", {}), renames)
    description["clusters"] = [renames.get(c, c) for c in description.get("clusters", [])]
    description["sizes"] = {renames.get(c, c): n for c, n in description.get("sizes", {}).items()}
    description["renamed"] = [*description.get("renamed", []), renames]
    atomic_write_text(description_path, json.dumps(description, indent=1) + "\n")
    written.append(description_path)
    return written


def _check_renames(renames: dict[str, str], existing: set[str]) -> None:
    unknown = sorted(set(renames) - existing)
    if unknown:
        raise ParameterError("renames", f"{{param}}: no cluster {unknown[0]} (the clusters are {', '.join(sorted(existing, key=_natural))})")
    targets = list(renames.values())
    for new in targets:
        problem = label_problem(new)
        if problem or new == NOISE:
            raise ParameterError("renames", f"{{param}}: {new!r} cannot be a cluster's name ({problem or 'noise marks outliers'})")
        if targets.count(new) > 1:
            raise ParameterError("renames", f"{{param}}: two clusters would be named {new} (merging clusters is not renaming)")
    kept = existing - set(renames)
    clash = sorted(set(targets) & kept)
    if clash:
        raise ParameterError("renames", f"{{param}}: {clash[0]} is already a cluster's name (rename that one too, or choose another)")


def _rename_figures(figures: Path, names: dict[str, str], renames: dict[str, str]) -> dict[str, str]:
    """Move ``clusters/<old>.png`` to ``clusters/<new>.png`` (through temporary names, so swaps work)."""
    moving = {old: name for old, name in names.items() if old in renames and (figures / name).is_file()}
    temporary = {}
    for old, name in moving.items():
        temporary[old] = figures / f".renaming-{os.getpid()}-{name}"
        os.replace(figures / name, temporary[old])
    result = {cid: name for cid, name in names.items() if cid not in moving}
    for old, tmp in temporary.items():
        new_name = figure_name(renames[old])
        os.replace(tmp, figures / new_name)
        result[renames[old]] = new_name
    return result


def figure_name(cluster: str) -> str:
    """A cluster's figure file name: its ID with characters unsafe in file names replaced."""
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in cluster) + ".png"


def _natural(cid: str) -> tuple:
    digits = cid[1:]
    return (0, int(digits), cid) if cid.startswith("c") and digits.isdigit() else (1, 0, cid)


def centre_order(features: np.ndarray, members: list[int]) -> list[int]:
    """``members`` nearest their centroid first: the most typical sounds of a cluster."""
    points = features[members]
    distances = np.linalg.norm(points - points.mean(axis=0), axis=1)
    return [members[i] for i in np.argsort(distances, kind="stable")]
