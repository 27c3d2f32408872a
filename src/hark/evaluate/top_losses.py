"""The top losses of a clip model: the validation clips it got most wrong, to inspect (fastai's ``top_losses``).

A clip's loss is the cross-entropy of its (calibrated, aggregated over its windows)
probabilities against its true label, ``-log p(true)``: a clip the model confidently calls
something else comes first, whether the model or the label is wrong (a mislabelled clip is
what this list finds). ``hark accuracy`` writes them for the best checkpoint of a model with
exclusive classes as ``accuracy/top-losses.csv`` (every validation clip, highest loss
first: rank, file, true and predicted label, the predicted label's probability, the true
label's, the loss) and, for clip supervision, ``accuracy/top-losses.png``/``.pdf``: the
spectrograms of the first :data:`FIGURE_CLIPS` clips, each titled with its labels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hark.dsp.spectral import power_spectrogram
from hark.errors import HarkError
from hark.evaluate import figures
from hark.evaluate.report import write_table

FIGURE_CLIPS = 12
"""Clips drawn in the top-losses figure."""

FIGURE_SECONDS = 10.0
"""Seconds of each clip the figure shows (from its start)."""

COLUMNS = ("rank", "file", "true_label", "predicted_label", "probability", "true_probability", "loss")

PROBABILITY_FLOOR = 1e-12
"""The smallest probability the loss takes the log of (a probability of exactly 0 would give infinity)."""


@dataclass(frozen=True)
class TopLoss:
    file: str
    true_label: str
    predicted_label: str
    probability: float  # of the predicted label
    true_probability: float
    loss: float


def top_losses(recordings: Sequence[str], truth, probabilities, labels: Sequence[str]) -> list[TopLoss]:
    """Every example (one row per clip) ordered by its loss ``-log p(true)``, highest first (ties: by file).

    ``truth``: each example's true class index; ``probabilities``: ``(examples, labels)``
    (exclusive classes, each row summing to 1).
    """
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(truth)
    n = len(recordings)
    if y.ndim != 1:
        raise HarkError("top losses need exclusive classes (one true class index per example)")
    if p.shape != (n, len(labels)) or len(y) != n:
        raise HarkError(f"top losses: {n} recordings, {len(y)} true labels and probabilities of shape {p.shape} do not match {len(labels)} labels")
    if n and (y.min() < 0 or y.max() >= len(labels)):
        raise HarkError(f"true class index outside 0..{len(labels) - 1}")
    true_p = p[np.arange(n), y.astype(np.int64)] if n else np.zeros(0)
    losses = -np.log(np.maximum(true_p, PROBABILITY_FLOOR))
    predicted = p.argmax(axis=1) if n else np.zeros(0, dtype=np.int64)
    rows = [
        TopLoss(str(recordings[i]), labels[int(y[i])], labels[int(predicted[i])], float(p[i, predicted[i]]), float(true_p[i]), float(losses[i]))
        for i in range(n)
    ]
    return sorted(rows, key=lambda row: (-row.loss, row.file))


def write_top_losses(path: str | Path, rows: Sequence[TopLoss]) -> Path:
    """``top-losses.csv``: :data:`COLUMNS`, one row per example, highest loss first."""
    return write_table(
        path, COLUMNS,
        [(rank, r.file, r.true_label, r.predicted_label, r.probability, r.true_probability, r.loss) for rank, r in enumerate(rows, start=1)],
    )  # fmt: skip


def clip_spectrogram(audio: np.ndarray, samplerate: int, seconds: float = FIGURE_SECONDS) -> tuple[np.ndarray, float, float]:
    """The log power (dB) ``(frequencies, frames)`` of the first ``seconds`` of a clip, its duration and Nyquist
    (a window of about 10 ms, at least 64 samples, hopped by half of it)."""
    audio = np.asarray(audio, dtype=np.float64)[: int(seconds * samplerate)]
    window = max(64, 2 ** int(round(math.log2(max(samplerate * 0.01, 1)))))
    if len(audio) < window:
        audio = np.pad(audio, (0, window - len(audio)))
    power = power_spectrogram(audio, window, window // 2)
    return 10 * np.log10(power + 1e-12), len(audio) / samplerate, samplerate / 2


def top_losses_figure(rows: Sequence[TopLoss], spectrograms: Sequence[tuple[np.ndarray, float, float] | None]):
    """One panel per clip: its spectrogram (or a note that its audio was not found), titled true -> predicted."""
    figure, axes = figures.label_grid(len(rows), "top losses: validation clips with the highest loss (true -> predicted, probability)")
    for ax, row, spectrogram in zip(axes, rows, spectrograms):
        if spectrogram is None:
            ax.text(0.5, 0.5, "audio not found", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
        else:
            image, duration, nyquist = spectrogram
            top = np.percentile(image, 99.5)
            ax.imshow(image, origin="lower", aspect="auto", cmap="magma", extent=(0, duration, 0, nyquist / 1000), vmin=top - 70, vmax=top)
            ax.set_xlabel("s", fontsize=7)
            ax.set_ylabel("kHz", fontsize=7)
            ax.tick_params(labelsize=6)
        name = Path(row.file).name
        name = name if len(name) <= 40 else name[:18] + "..." + name[-19:]
        ax.set_title(f"{name}\ntrue {row.true_label}\n-> {row.predicted_label} ({row.probability:.2f}), loss {row.loss:.2f}", fontsize=6.5)
    return figure


def read_clip(root: Path, recording: str, channel: int = 0) -> tuple[np.ndarray, int] | None:
    """The audio of a validation clip (its name relative to the data's folder), None when it cannot be read."""
    from hark.audio.recording import open_recording

    path = root / recording
    if not path.is_file():
        return None
    try:
        opened = open_recording(path, channel=channel)
        return opened.read(0, min(opened.frames, int(FIGURE_SECONDS * opened.samplerate))), opened.samplerate
    except HarkError:
        return None


def write_top_losses_report(folder: Path, data_root: str, channel: int, rows: Sequence[TopLoss], draw: bool) -> list[Path]:
    """``top-losses.csv`` in ``folder`` and, if ``draw``, the figure of the first clips' spectrograms
    (read from ``data_root``: the training folder, or a clip-label table's folder)."""
    written = [write_top_losses(folder / "top-losses.csv", rows)]
    if draw and rows:
        root = Path(data_root)
        root = root if root.is_dir() else root.parent
        shown = list(rows[:FIGURE_CLIPS])
        spectrograms = []
        for row in shown:
            clip = read_clip(root, row.file, channel)
            spectrograms.append(None if clip is None else clip_spectrogram(*clip))
        written += figures.save_figure(top_losses_figure(shown, spectrograms), folder, "top-losses")
    return written
