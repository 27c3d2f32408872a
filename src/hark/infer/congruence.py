"""``folder_congruence``: compare a folder of dense human annotations with hark's predictions.

What ``hark congruence`` calls. The human side is every ``-annotated-<name>.csv`` under
``truth``; hark's side is every ``-predicted-<ratio>pr.csv`` under ``predictions`` and, where
``hark classify`` left them there, the per-frame probabilities, from which a threshold
sweep finds the dense thresholds (where "only hark" and "only human" cross).

It lives in :mod:`hark.infer`, not :mod:`hark.evaluate`, because it reads hark classify's
probabilities (:mod:`hark.infer.probabilities`): evaluate stays below infer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from hark.errors import HarkError, ParameterError
from hark.evaluate.congruence import Congruence, FrameProbabilities, ThresholdSweep, congruence, find_dense_files, read_events, threshold_sweep
from hark.evaluate.congruence_report import write_congruence_report
from hark.evaluate.report import write_thresholds
from hark.infer.probabilities import open_probabilities


@dataclass(frozen=True)
class FolderCongruence:
    results: dict[str, Congruence]
    sweep: ThresholdSweep | None
    out: Path
    model_thresholds: Path | None


def folder_congruence(
    truth: str | Path,
    predictions: str | Path,
    out: str | Path | None = None,
    tolerance_ms: float = 10.0,
    labels: list[str] | None = None,
    samplerate: int | None = None,
) -> FolderCongruence:
    truth, predictions = Path(truth), Path(predictions)
    human_files = find_dense_files(truth).annotated
    if not human_files:
        raise HarkError(f"{truth}: holds no -annotated-<name>.csv files to compare with")
    annotations = {name: read_events(paths, "annotated") for name, paths in human_files.items()}
    predicted_files = find_dense_files(predictions).predicted
    frames, metas = _frame_probabilities(predictions, {e.recording for events in annotations.values() for e in events})
    if samplerate is None:
        rates = {meta.samplerate for meta in metas}
        if len(rates) > 1:
            raise HarkError(f"{predictions}: probabilities of several sample rates ({sorted(rates)}); compare them separately")
        samplerate = rates.pop() if rates else _samplerate_from_recordings(truth)
    if not predicted_files and not frames:
        raise HarkError(f"{predictions}: holds neither -predicted-<ratio>pr.csv files nor probabilities; run hark classify and hark ethogram first")
    results = {
        f"{ratio}pr": congruence(annotations, read_events(paths, "predicted"), samplerate=samplerate, tolerance_ms=tolerance_ms, labels=labels)
        for ratio, paths in sorted(predicted_files.items())
    }
    sweep = None
    if frames:
        output_names = metas[0].output_names
        exclusive = not metas[0].overlapped
        sweep = threshold_sweep(annotations, frames, output_names, samplerate=samplerate, exclusive=exclusive, tolerance_ms=tolerance_ms)
    out = Path(out) if out is not None else predictions / "congruence"
    write_congruence_report(out, results, sweep)
    model_thresholds = None
    if sweep is not None and metas[0].model and (Path(metas[0].model) / "config.json").is_file():
        model_thresholds, _ = write_dense_thresholds(Path(metas[0].model), sweep.dense, time.strftime("%Y%m%dT%H%M%S"))
    return FolderCongruence(results, sweep, out, model_thresholds)


def write_dense_thresholds(model: Path, rows, stamp: str) -> tuple[Path, Path]:
    """``MODEL/accuracy/thresholds-dense.csv``, which later ethograms read (``hark ethogram
    --dense``), and the same rows kept beside it as ``thresholds-dense-<stamp>.csv``, so that the
    thresholds of every congruence run stay side by side (SongExplorer keeps them so) instead of
    each run overwriting the last; a second run in the same second gets ``-2``, ``-3``..."""
    folder = model / "accuracy"
    kept = folder / f"thresholds-dense-{stamp}.csv"
    n = 2
    while kept.exists():
        kept = folder / f"thresholds-dense-{stamp}-{n}.csv"
        n += 1
    write_thresholds(kept, rows)
    return write_thresholds(folder / "thresholds-dense.csv", rows), kept


def _frame_probabilities(folder: Path, recordings: set[str]):
    frames, metas = [], []
    for meta_path in sorted(folder.glob("*-probabilities.json")):
        array, meta = open_probabilities(meta_path)
        if meta.recording in recordings and meta.kind == "frame":
            frames.append(FrameProbabilities(meta.recording, array, meta.stride, meta.offset, meta.recording_samples))
            metas.append(meta)
    return frames, metas


def _samplerate_from_recordings(folder: Path) -> int:
    from hark.audio import audio_suffixes, open_recording

    suffixes = set(audio_suffixes())
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() in suffixes:
            return open_recording(path).samplerate
    raise ParameterError("samplerate", f"{folder}: no recording or probabilities tell the sample rate; give {{param}}")
