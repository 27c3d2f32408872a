"""The main job on generated data, end to end: what ``make demo`` runs.

Generates the demo recordings, detects sounds in the fly and USV recordings, scores the
detections against the known answers and draws a figure of each; returns where all
of it went.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hark.annotations.songexplorer import read_csv
from hark.audio.recording import open_recording
from hark.demo.generate import generate_all
from hark.detect.figure import plot_detections
from hark.detect.run import detect_files
from hark.evaluate.overlap import OverlapScore, overlap_score

FIGURE_SECONDS = 6.0

# How each species is detected: the time-freq-threshold detector's parameters and reader.
FLY_DETECTION = {"params": {}, "reader": "auto", "reader_params": None}
USV_DETECTION = {
    # calls sweep fast: short F-test windows; low-frequency rumble is filtered out first
    "params": {"frequency_n": 2.048, "frequency_smooth": 4.096, "time_smooth": 2.0, "frequency_range": "20000-"},
    "reader": "highpass",
    "reader_params": {"cutoff_hz": 15000},
}


@dataclass(frozen=True)
class SpeciesReport:
    """Which detections of one species' demo recordings overlap its known sounds."""

    species: str
    detections: list[Path]
    figure: Path
    scores: dict[str, OverlapScore] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoReport:
    root: Path
    data: Path
    reports: list[SpeciesReport]


def run_demo(out: str | Path, seed: int = 0, progress: Callable[[str], None] = lambda message: None) -> DemoReport:
    """Generate demo data in ``out/data`` and run detection on it; results in ``out/detections`` and ``out/figures``."""
    root = Path(out)
    data = root / "data"
    progress(f"generating demo recordings in {data}")
    generated = generate_all(data, seed=seed)
    reports = []
    for species, setup, pairs in (
        ("fly", FLY_DETECTION, {"mel-pulse": ("time",), "mel-sine": ("frequency",), "ambient": ("neither",)}),
        ("usv", USV_DETECTION, {"usv": ("time", "frequency")}),
    ):
        recordings = generated[species]
        progress(f"detecting sounds in {len(recordings)} {species} recordings")
        results = detect_files(
            [r.wav for r in recordings],
            params=setup["params"],
            out_dir=root / "detections" / species,
            reader=setup["reader"],
            reader_params=setup["reader_params"],
            workers=2,
        )
        detected = [e for result in results for e in read_csv(result.output, allow_empty=True)]
        truth = [e for r in recordings for e in r.events]
        scores = {
            f"{label} found by {' or '.join(found)}": overlap_score(
                [e for e in truth if e.label == label], [e for e in detected if e.label in found]
            )
            for label, found in pairs.items()
        }
        first = recordings[0]
        start_s = _stretch_with_most_labels(first.events, first.samplerate, FIGURE_SECONDS)
        figure = plot_detections(
            open_recording(first.wav, reader=setup["reader"], reader_params=setup["reader_params"]),
            [e for e in detected if e.recording == first.wav.name],
            root / "figures" / f"{species}-detections.png",
            reference=list(first.events),
            start_s=start_s,
            stop_s=start_s + FIGURE_SECONDS,
        )
        reports.append(SpeciesReport(species, [r.output for r in results], figure, scores))
    return DemoReport(root, data, reports)


def _stretch_with_most_labels(events, samplerate: int, seconds: float) -> float:
    """Start (s) of a stretch that shows as many different labels as any (for the figure)."""
    best_start, best_rank = 0.0, (-1, -1)
    for candidate in sorted({max(0.0, e.start / samplerate - 0.5) for e in events}):
        end = candidate + seconds
        shown = [e for e in events if e.start / samplerate < end and e.stop / samplerate > candidate]
        rank = (len({e.label for e in shown}), len(shown))
        if rank > best_rank:
            best_start, best_rank = candidate, rank
    return best_start
