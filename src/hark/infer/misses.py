"""``write_misses``: detected sounds that no prediction covers, for the next round of annotation.

For each recording, ``<rec>-detected.csv`` (from ``hark detect``; looked for in ``out_dir``,
then beside the recording) is compared with ``<rec>-predicted-<ratio>pr.csv`` (from ``hark
ethogram``, in ``out_dir``). Detected events that no predicted event overlaps, of any label,
go to ``<rec>-missed.csv`` as kind ``missed``, keeping their detected label
(:func:`hark.evaluate.events.misses`). They are the sounds the model passes over: annotating
them teaches it what it does not know yet.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hark.annotations.event import Kind
from hark.annotations.naming import annotation_csv_name, parse_annotation_name
from hark.annotations.songexplorer import read_csv, write_csv
from hark.errors import HarkError, ParameterError
from hark.evaluate.events import misses
from hark.fileio import ensure_writable_dir


@dataclass(frozen=True)
class MissesJob:
    recording: str
    detected: Path
    predicted: Path
    output: Path


def find_detected(recording: Path, out_dir: Path) -> Path:
    """``<rec>-detected.csv`` in ``out_dir`` or beside the recording (SongExplorer's ``<stem>-`` too)."""
    names = [annotation_csv_name(recording.name, Kind.DETECTED), f"{Path(recording.name).stem}-detected.csv"]
    for folder in dict.fromkeys([out_dir, recording.parent]):
        for name in names:
            if (folder / name).is_file():
                return folder / name
    raise HarkError(f"{recording.name}: no {names[0]} in {out_dir} or beside the recording; run hark detect first")


def find_predicted(recording: Path, out_dir: Path, ratio: float | None) -> Path:
    """The recording's ``-predicted-<ratio>pr.csv`` in ``out_dir``; several ratios need ``ratio``."""
    found: dict[float, Path] = {}
    for stem in dict.fromkeys([recording.name, Path(recording.name).stem]):
        for path in out_dir.glob(f"{glob_escape(stem)}-predicted-*pr.csv"):
            parsed = parse_annotation_name(path.name)
            if parsed is not None and parsed.kind is Kind.PREDICTED and parsed.recording == stem:
                found.setdefault(float(parsed.ratio), path)
    if not found:
        raise HarkError(f"{out_dir}: no predictions for {recording.name}; run hark ethogram --model MODEL --out {out_dir} first")
    if ratio is None:
        if len(found) > 1:
            ratios = ", ".join(f"{r:g}" for r in sorted(found))
            raise ParameterError("ratio", f"{out_dir} holds predictions of {recording.name} at several ratios ({ratios}); choose one with {{param}}")
        return next(iter(found.values()))
    for value, path in found.items():
        if abs(value - ratio) <= 1e-9 * max(1.0, abs(ratio)):
            return path
    ratios = ", ".join(f"{r:g}" for r in sorted(found))
    raise HarkError(f"{out_dir}: no predictions of {recording.name} at ratio {ratio:g} (there are {ratios}); run hark ethogram --ratio {ratio:g}")


def glob_escape(text: str) -> str:
    return re.sub(r"([\[\]*?])", r"[\1]", text)


def write_misses(recordings: Sequence[str | Path], out_dir: str | Path, ratio: float | None = None) -> list[Path]:
    """Write ``<rec>-missed.csv`` in ``out_dir`` for each recording; returns the paths.

    Every recording's inputs are found before the first file is written.
    """
    if not recordings:
        raise HarkError("no recordings given")
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise HarkError(f"{out_dir}: no such folder (it should hold hark ethogram's predictions)")
    ensure_writable_dir(out_dir)
    jobs, outputs = [], {}
    for recording in map(Path, recordings):
        output = out_dir / annotation_csv_name(recording.name, Kind.MISSED)
        if output in outputs:
            raise HarkError(f"{recording} and {outputs[output]} would both write {output}")
        outputs[output] = recording
        jobs.append(MissesJob(recording.name, find_detected(recording, out_dir), find_predicted(recording, out_dir, ratio), output))
    written = []
    for job in jobs:
        # the CSVs may name the recording with or without its extension; what matters is the file they belong to
        detected = [e.with_(recording=job.recording) for e in read_csv(job.detected, allow_empty=True) if e.kind is Kind.DETECTED]
        predicted = [e.with_(recording=job.recording) for e in read_csv(job.predicted, allow_empty=True) if e.kind is Kind.PREDICTED]
        write_csv(job.output, misses(detected, predicted))
        written.append(job.output)
    return written
