"""A clip model's classification of a file: window by window, aggregated over the file.

A clip model trained on windows of ``clip_window_s`` (its configuration's ``context``, in
samples; 0 for models trained on whole clips) reads a file as windows ``hop`` apart that
cover all of it, the last one ending at the file's end (:mod:`hark.dsp.clip_windows`); a file
shorter than the window is padded as in training. Its outputs:

- ``<rec>-probabilities.npy``/``.json``: one row, the windows' probabilities aggregated
  (their mean or maximum), as before windows existed, so ``hark ethogram`` and the other
  readers of clip probabilities are unchanged; the JSON's ``extra.windows`` says how;
- ``<rec>-windows.csv``: the timeline, one row per window: ``start_s``, ``stop_s`` and one
  column per output (its probability);
- ``predictions.csv`` in the output folder: one row per classified file: ``file``, one column
  per output (the aggregated probability) and ``label``, the most likely output.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from hark.audio.recording import Recording
from hark.dsp.clip_windows import AGGREGATIONS, aggregate, cut_clip_window, hop_of, window_starts
from hark.errors import ParameterError
from hark.fileio import atomic_write_text
from hark.infer.probabilities import WINDOWS_SUFFIX

PREDICTIONS_NAME = "predictions.csv"
WINDOWS_PER_BATCH = 16  # bounds memory: 16 windows of seconds each, whatever the file's length
DIGITS = 6  # probabilities are written with 6 decimals


def windows_path(output: Path) -> Path:
    """The timeline beside ``<rec>-probabilities.npy``: ``<rec>-windows.csv``."""
    name = output.name.removesuffix("-probabilities.npy")
    return output.with_name(name + WINDOWS_SUFFIX)


def check_window_settings(overlap: float | None, aggregation: str | None) -> None:
    """A ParameterError for an overlap outside [0, 1) or an unknown aggregation."""
    if overlap is not None and not 0 <= overlap < 1:
        raise ParameterError("window_overlap", f"{{param}} {overlap:g} must be at least 0 and below 1")
    if aggregation is not None and aggregation not in AGGREGATIONS:
        raise ParameterError("aggregation", f"{{param}} {aggregation!r}: expected {' or '.join(AGGREGATIONS)}")


def window_rows(
    engine: Callable[[np.ndarray], np.ndarray], recording: Recording, window: int, hop: int, padding: str = "repeat"
) -> tuple[np.ndarray, np.ndarray]:
    """``(starts, rows)``: each window's first sample and its probabilities, ``(windows, outputs)``.

    ``window`` 0 reads the whole file as one window (a model trained on whole clips)."""
    if window <= 0:
        return np.zeros(1, dtype=np.int64), np.asarray(engine(recording.read()[None, :]), dtype=np.float32).reshape(1, -1)
    starts = window_starts(recording.frames, window, hop)
    rows = []
    for first in range(0, len(starts), WINDOWS_PER_BATCH):
        part = starts[first : first + WINDOWS_PER_BATCH]
        audio = recording.read(int(part[0]), min(int(part[-1]) + window, recording.frames))
        batch = np.stack([cut_clip_window(audio, int(s - part[0]), window, padding) for s in part])  # type: ignore[arg-type]
        rows.append(np.asarray(engine(batch), dtype=np.float32).reshape(len(part), -1))
    return starts, np.concatenate(rows)


def write_windows_csv(path: Path, starts: np.ndarray, window: int, samples: int, samplerate: int, names: Sequence[str], rows: np.ndarray) -> None:
    """The per-window timeline (atomic): ``start_s, stop_s`` and a probability per output."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["start_s", "stop_s", *names])
    for start, row in zip(starts.tolist(), rows):
        stop = min(start + window, samples) if window > 0 else samples
        writer.writerow([f"{start / samplerate:.6f}", f"{stop / samplerate:.6f}", *(f"{p:.{DIGITS}f}" for p in row)])
    atomic_write_text(path, text.getvalue())


def clip_rows(
    engine: Callable[[np.ndarray], np.ndarray],
    recording: Recording,
    window: int,
    overlap: float,
    aggregation: str,
    padding: str,
    names: Sequence[str],
    reweight: Callable[[np.ndarray], np.ndarray] | None,
    timeline: Path,
) -> np.ndarray:
    """The file's single aggregated row ``(1, outputs)``; writes its windows' timeline to ``timeline``.

    Priors (``reweight``) apply to each window before aggregating, as the model's calibration does."""
    hop = hop_of(window, overlap) if window > 0 else 1
    starts, rows = window_rows(engine, recording, window, hop, padding)
    if reweight is not None:
        rows = reweight(rows)
    write_windows_csv(timeline, starts, window, recording.frames, recording.samplerate, names, rows)
    return aggregate(rows, aggregation)[None, :]  # type: ignore[arg-type]


def write_predictions(out_dir: Path, files: Sequence[str], rows: Sequence[np.ndarray], names: Sequence[str]) -> Path:
    """``predictions.csv`` (atomic): ``file``, a probability per output and the most likely ``label``."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["file", *names, "label"])
    for file, row in zip(files, rows):
        row = np.asarray(row, dtype=np.float64).reshape(-1)
        writer.writerow([file, *(f"{p:.{DIGITS}f}" for p in row), names[int(np.argmax(row))]])
    path = Path(out_dir) / PREDICTIONS_NAME
    atomic_write_text(path, text.getvalue())
    return path
