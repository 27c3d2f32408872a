"""Top losses: the validation clips a clip model got most wrong, with a planted mislabelled clip first."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from hark.cli.app import main
from hark.errors import HarkError
from hark.evaluate.figures import confusion_figure
from hark.evaluate.metrics import evaluate
from hark.evaluate.top_losses import COLUMNS, top_losses, write_top_losses_report

RATE = 2000
LABELS = ("high", "low")


def test_rows_are_ordered_by_the_loss_of_the_true_label():
    p = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.99, 0.01]])
    rows = top_losses(["a", "b", "c", "d"], np.array([0, 0, 1, 1]), p, LABELS)
    assert [r.file for r in rows] == ["d", "b", "c", "a"]
    first = rows[0]
    assert (first.true_label, first.predicted_label) == ("low", "high")
    assert first.probability == pytest.approx(0.99) and first.true_probability == pytest.approx(0.01)
    assert first.loss == pytest.approx(-np.log(0.01))


def test_bad_inputs_are_one_line_errors():
    with pytest.raises(HarkError, match="exclusive classes"):
        top_losses(["a"], np.array([[1, 0]]), np.array([[0.5, 0.5]]), LABELS)
    with pytest.raises(HarkError, match="do not match 2 labels"):
        top_losses(["a", "b"], np.array([0]), np.array([[0.5, 0.5]]), LABELS)


def tone(freq: float, seed: int, seconds: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.3 * np.sin(2 * np.pi * freq * t + rng.uniform(0, 6)) + 0.05 * rng.standard_normal(len(t))).astype(np.float32)


def tone_table(root: Path) -> tuple[Path, str]:
    """Clips of a 600 Hz (high) or 200 Hz (low) tone in noise, and one validation clip of a low tone labelled high."""
    (root / "clips").mkdir(parents=True)
    rows = []
    for i in range(28):
        label = LABELS[i % 2]
        name = f"clips/{label}-{i:02d}.wav"
        sf.write(root / name, tone(600.0 if label == "high" else 200.0, i), RATE)
        rows.append({"file": name, "label": label, "split": "validation" if i >= 22 else "train"})
    planted = "clips/planted.wav"
    sf.write(root / planted, tone(200.0, 99), RATE)
    rows.append({"file": planted, "label": "high", "split": "validation"})
    table = root / "table.csv"
    with open(table, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["file", "label", "split"])
        writer.writeheader()
        writer.writerows(rows)
    return table, planted


def test_a_planted_mislabelled_clip_comes_first(tmp_path):
    table, planted = tone_table(tmp_path / "data")
    model = tmp_path / "model"
    small = ["-a", "preset=custom", "-a", "channels=4,8", "-a", "window_ms=32", "-a", "stride_ms=16", "--threads", "1"]
    quick = ["--steps", "30", "--validation-period", "30", "--batch-size", "8", "--no-progress", "--augment", "none"]
    assert main(["train", "--data", str(table), "--supervision", "clip", "--out", str(model), *small, *quick]) == 0
    assert main(["accuracy", str(model), "--no-figures"]) == 0
    with open(model / "accuracy" / "top-losses.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == COLUMNS and len(rows) == 7  # every validation clip, highest loss first
    first = rows[0]
    assert (first["rank"], first["file"], first["true_label"], first["predicted_label"]) == ("1", planted, "high", "low")
    assert float(first["probability"]) > 0.5 and float(first["loss"]) > max(float(r["loss"]) for r in rows[1:])


def test_the_figure_shows_each_clips_spectrogram_or_says_it_is_missing(tmp_path):
    sf.write(tmp_path / "a.wav", tone(200.0, 0), RATE)
    rows = top_losses(["a.wav", "gone.wav"], np.array([0, 1]), np.array([[0.2, 0.8], [0.5, 0.5]]), LABELS)
    written = write_top_losses_report(tmp_path / "out", str(tmp_path), 0, rows, draw=True)
    assert [p.name for p in written] == ["top-losses.csv", "top-losses.pdf", "top-losses.png"]
    assert all(p.stat().st_size > 0 for p in written)


def test_the_confusion_figure_sorts_labels_by_f1_and_stays_readable_for_40_labels():
    rng = np.random.default_rng(0)
    labels = [f"species{i:02d}" for i in range(40)]
    truth = np.repeat(np.arange(40), 5)
    p = rng.dirichlet(np.ones(40), size=len(truth))
    p[np.arange(len(truth)), truth] += np.linspace(0, 1, len(truth))  # later labels are found more often
    p /= p.sum(axis=1, keepdims=True)
    metrics = evaluate(p, truth, labels).metrics
    figure = confusion_figure(metrics.confusion, labels, metrics.accuracy, scores=metrics)
    matrix, bars = figure.axes[0], figure.axes[1]
    shown = [t.get_text() for t in matrix.get_yticklabels()]
    f1 = {m.label: np.nan_to_num(m.f1, nan=-1) for m in metrics.per_label}
    assert sorted(shown) == labels and [f1[name] for name in shown] == sorted(f1.values(), reverse=True)
    assert all(t.get_fontsize() >= 4.5 for t in matrix.get_yticklabels())
    assert len(bars.patches) == 3 * 40 and "macro precision" in matrix.get_title()
