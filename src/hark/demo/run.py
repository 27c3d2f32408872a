"""The main job on generated data, end to end: what ``make demo`` runs.

Generates the demo recordings, detects sounds in the fly and USV recordings, scores the
detections against the known answers and draws a figure of each; then trains a model on
the first fly recordings, measures its accuracy, freezes it, classifies a fly recording it
never saw and makes its ethogram, scored against the known answers (event F1, 10 ms).
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
class SupervisedReport:
    """The model trained on demo fly song, and how its ethogram of an unseen recording scores."""

    model: Path
    accuracy: Path
    predictions: Path
    validation_f1: dict[str, float]
    event_f1: dict[str, float]


@dataclass(frozen=True)
class DemoReport:
    root: Path
    data: Path
    reports: list[SpeciesReport]
    supervised: SupervisedReport | None = None


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
    supervised = _supervised(root, generated["fly"], seed, progress)
    return DemoReport(root, data, reports, supervised)


FLY_LABELS = ["mel-pulse", "mel-sine", "ambient"]


def _supervised(root: Path, fly, seed: int, progress: Callable[[str], None]) -> SupervisedReport:
    """Train on all but the last fly recording, then classify that one and score the ethogram."""
    from hark.evaluate.matching import match_events
    from hark.evaluate.model_accuracy import model_accuracy
    from hark.infer.classify import classify_recordings
    from hark.infer.ethogram import write_ethograms
    from hark.infer.freeze import freeze_model
    from hark.train import DataParams, TrainParams, train_model

    *seen, unseen = fly
    model, predictions = root / "model", root / "predictions"
    progress(f"training a model on {len(seen)} fly recordings into {model}")
    data = DataParams(labels=FLY_LABELS)
    train_dir = root / "data" / "fly-training"
    _link_recordings(seen, train_dir)
    train_model(train_dir, data, TrainParams(batch_seed=seed + 1), model, progress=False)
    progress("measuring its accuracy, freezing it, classifying an unseen recording")
    accuracy = model_accuracy(model, ratios=(1.0,))
    freeze_model(model)
    classify_recordings(model, [unseen.wav], predictions)
    (path,) = write_ethograms(model, [unseen.wav], predictions, predictions, 1.0)
    predicted = read_csv(path, allow_empty=True)
    event_f1 = {
        label: match_events(
            [e for e in unseen.events if e.label == label], [e for e in predicted if e.label == label], samplerate=unseen.samplerate
        ).f1
        for label in FLY_LABELS
        if label != "ambient"  # ambient is a sample of the quiet, not a set of sounds to match one by one
    }
    validation_f1 = {m.label: m.f1 for m in accuracy.best.metrics.per_label}
    return SupervisedReport(model, model / "accuracy", predictions, validation_f1, event_f1)


def _link_recordings(recordings, folder: Path) -> None:
    """A ground-truth folder of some demo recordings, without copying their audio."""
    folder.mkdir(parents=True, exist_ok=True)
    for recording in recordings:
        for source in (recording.wav, recording.csv):
            target = folder / source.name
            if not target.exists():
                target.symlink_to(source.resolve())


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
