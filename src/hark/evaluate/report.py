"""Writing what :mod:`hark.evaluate.metrics` measured: ``hark accuracy``'s tables and figures.

Every file is written atomically (a temporary file renamed into place), so a crash never
leaves half a table. CSVs have a header row, except the SongExplorer-style mistakes lists,
which keep SongExplorer's header-less rows. Numbers are written so that they read back
exactly; an undefined value is ``nan``.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path, PurePath
from typing import TypeVar

import numpy as np

from hark.annotations.event import Kind
from hark.annotations.naming import annotation_csv_name
from hark.annotations.textfile import read_text_lines
from hark.annotations.timebase import format_number
from hark.errors import FileFormatError, HarkError
from hark.evaluate import figures
from hark.evaluate.checks import check_labels, check_ratio
from hark.evaluate.metrics import Evaluation, Metrics, ThresholdRow
from hark.fileio import atomic_write_text, ensure_writable_dir

THRESHOLD_COLUMNS = ("label", "ratio", "threshold", "precision", "recall")
LOG_COLUMNS = ("step", "loss", "train_accuracy", "validation_accuracy", "validation_loss")
K = TypeVar("K", bound=Hashable)


def write_table(path: str | Path, header: Sequence[str], rows: Sequence[Sequence]) -> Path:
    """A CSV with ``header``; floats written exactly, NaN as ``nan``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    atomic_write_text(path, buffer.getvalue())
    return Path(path)


def write_thresholds(path: str | Path, rows: Sequence[ThresholdRow]) -> Path:
    """``thresholds.csv`` (or ``thresholds-dense.csv``): ``label,ratio,threshold,precision,recall``."""
    return write_table(path, THRESHOLD_COLUMNS, [(r.label, r.ratio, r.threshold, r.precision, r.recall) for r in rows])


def read_thresholds(path: str | Path) -> list[ThresholdRow]:
    """The rows of a thresholds CSV written by :func:`write_thresholds`."""
    rows = []
    for number, cells in _csv_rows(path, THRESHOLD_COLUMNS):
        try:
            rows.append(ThresholdRow(cells[0], check_ratio(cells[1]), *(float(c) for c in cells[2:])))
        except (ValueError, HarkError) as err:
            raise FileFormatError(path, f"bad thresholds row: {err}", line=number) from None
    if not rows:
        raise FileFormatError(path, "no thresholds (only a header)")
    return rows


def thresholds_at_ratio(rows: Sequence[ThresholdRow], ratio: float) -> dict[str, float]:
    """``{label: threshold}`` for one ratio, as :func:`hark.evaluate.events.probabilities_to_events` takes."""
    ratio = check_ratio(ratio)
    chosen = {r.label: r.threshold for r in rows if math.isclose(r.ratio, ratio)}
    if not chosen:
        known = sorted({r.ratio for r in rows})
        raise HarkError(f"no thresholds for precision-recall ratio {ratio:g} (known: {', '.join(f'{r:g}' for r in known)})")
    return chosen


def write_accuracy_report(folder: str | Path, evaluation: Evaluation, *, training_log: str | Path | None = None, draw: bool = True) -> list[Path]:
    """Tables and figures of one set of validation results in ``folder``; returns the paths written.

    Tables: ``confusion-matrix.csv`` (exclusive classes), ``label-scores.csv``,
    ``overall-scores.csv``, ``thresholds.csv``, ``curve-areas.csv``. Figures (PDF and PNG;
    none unless ``draw``, since they take about a second each): ``confusion-matrix``
    (exclusive classes), ``precision-recall``, ``roc``, ``probability-density`` and, given
    the training log, ``learning-curve``.
    """
    folder = ensure_writable_dir(folder)
    metrics = evaluation.metrics
    written = []
    if metrics.confusion is not None:
        rows = [(label, *counts) for label, counts in zip(metrics.labels, metrics.confusion.tolist())]
        written.append(write_table(folder / "confusion-matrix.csv", ("true\\predicted", *metrics.labels), rows))
    written.append(
        write_table(
            folder / "label-scores.csv",
            ("label", "precision", "recall", "f1", "support", "true_positives", "false_positives", "false_negatives", "true_negatives"),
            [(m.label, m.precision, m.recall, m.f1, m.support, m.true_positives, m.false_positives, m.false_negatives, m.true_negatives) for m in metrics.per_label],
        )
    )
    micro = metrics.micro
    overall = [
        ("accuracy", metrics.accuracy),
        ("micro_precision", micro.precision),
        ("micro_recall", micro.recall),
        ("micro_f1", micro.f1),
        ("macro_precision", metrics.macro_precision),
        ("macro_recall", metrics.macro_recall),
        ("macro_f1", metrics.macro_f1),
        ("examples", metrics.examples),
    ]
    written.append(write_table(folder / "overall-scores.csv", ("measure", "value"), overall))
    written.append(write_thresholds(folder / "thresholds.csv", evaluation.thresholds))
    written.append(write_table(folder / "curve-areas.csv", ("label", "average_precision", "roc_auc"), [(c.label, c.average_precision, c.roc_auc) for c in evaluation.curves]))
    if not draw:
        return written
    if metrics.confusion is not None:
        written += figures.save_figure(figures.confusion_figure(metrics.confusion, metrics.labels, metrics.accuracy, scores=metrics), folder, "confusion-matrix")
    written += figures.save_figure(figures.precision_recall_figure(evaluation.curves, evaluation.thresholds), folder, "precision-recall")
    written += figures.save_figure(figures.roc_figure(evaluation.curves), folder, "roc")
    written += figures.save_figure(figures.density_figure(evaluation.densities, evaluation.thresholds), folder, "probability-density")
    if training_log is not None:
        written += figures.save_figure(figures.learning_curve_figure(read_training_log(training_log)), folder, "learning-curve")
    return written


def read_training_log(path: str | Path) -> dict[str, np.ndarray]:
    """The training log's columns as float arrays (NaN where a cell is empty), ``step`` required.

    Known columns are ``step, loss, train_accuracy, validation_accuracy, validation_loss``;
    others are kept too, so that the figure shows whatever the trainer logs.
    """
    header, *rows = _csv_rows(path, None, with_header=True)
    names = header[1]
    if "step" not in names:
        raise FileFormatError(path, f"no 'step' column (columns: {', '.join(names)})", line=header[0])
    columns: dict[str, list[float]] = {name: [] for name in names}
    for number, cells in rows:
        if len(cells) != len(names):
            raise FileFormatError(path, f"{len(cells)} cells for {len(names)} columns", line=number)
        for name, cell in zip(names, cells):
            try:
                columns[name].append(float(cell) if cell.strip() else math.nan)
            except ValueError:
                raise FileFormatError(path, f"{name} {cell!r} is not a number", line=number) from None
    if not rows:
        raise FileFormatError(path, "the training log has no rows yet")
    log = {name: np.array(values) for name, values in columns.items()}
    if not np.isfinite(log["step"]).all():
        raise FileFormatError(path, "every row needs a step")
    return log


def write_mistakes(folder: str | Path, recordings: Sequence[str], positions: Sequence[int], truth, probabilities, labels: Sequence[str]) -> list[Path]:
    """SongExplorer's mistakes lists: for each recording, ``<rec>-mistakes.csv`` in ``folder``.

    One row per validation example (from the trainer: its recording, position in samples,
    true class index, probabilities), sorted by position, duplicates once:
    ``wavfile,start,stop,correct|mistaken,classified_as,annotated_as``. An example is a
    point, so start = stop = position. hark's :func:`~hark.annotations.read_csv` reads such
    rows as events labelled with what the model classified them as. A recording in a
    subfolder (``sub/song.wav``) gets its list in the same subfolder of ``folder``.
    """
    names = check_labels(labels)
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(truth)
    n = len(recordings)
    if y.ndim != 1:
        raise HarkError("the mistakes list needs exclusive classes (one true class index per example)")
    if p.shape != (n, len(names)) or len(positions) != n or len(y) != n:
        raise HarkError(f"mistakes: {n} recordings, {len(positions)} positions, {len(y)} true labels and probabilities of shape {p.shape} do not match {len(names)} labels")
    if n and (y.min() < 0 or y.max() >= len(names)):
        raise HarkError(f"true class index outside 0..{len(names) - 1}")
    predicted = np.argmax(p, axis=1) if n else np.zeros(0, np.int64)
    by_file: dict[Path, set[tuple]] = {}
    for recording, position, true, guess in zip(recordings, positions, y.tolist(), predicted.tolist()):
        where = PurePath(recording)
        if "," in where.name or "\n" in where.name:
            raise HarkError(f"recording name {where.name!r} cannot be written to a CSV")
        relative = where.parent if not where.is_absolute() and ".." not in where.parts else PurePath()
        path = Path(folder) / relative / annotation_csv_name(where.name, Kind.MISTAKEN)
        verdict = Kind.CORRECT.value if guess == true else Kind.MISTAKEN.value
        by_file.setdefault(path, set()).add((int(position), where.name, verdict, names[guess], names[int(true)]))
    for path, rows in by_file.items():
        lines = [f"{name},{pos},{pos},{verdict},{guess},{true}\n" for pos, name, verdict, guess, true in sorted(rows)]
        atomic_write_text(path, "".join(lines))
    return sorted(by_file)


def best_checkpoint(metrics_by_checkpoint: Mapping[K, Metrics]) -> K:
    """The checkpoint whose metrics have the highest macro F1 (each label weighs the same).

    Ties go to the checkpoint given first (pass them in training order: the earlier one has
    seen less and is less likely overfitted); an undefined macro F1 counts as lowest.
    """
    if not metrics_by_checkpoint:
        raise HarkError("no checkpoints to choose from")
    scores = {k: (-math.inf if math.isnan(m.macro_f1) else m.macro_f1) for k, m in metrics_by_checkpoint.items()}
    best = max(scores.values())
    return next(k for k, s in scores.items() if s == best)


def _csv_rows(path: str | Path, header: Sequence[str] | None, with_header: bool = False) -> list:
    """``[(line, cells)]`` of a CSV's non-blank rows after its header, which must be ``header`` if given."""
    numbered = [(i, row) for i, line in enumerate(read_text_lines(path), start=1) if line.strip() for row in csv.reader([line])]
    if not numbered:
        raise FileFormatError(path, "file is empty")
    first_line, first = numbered[0]
    if header is not None and tuple(c.strip() for c in first) != tuple(header):
        raise FileFormatError(path, f"expected the header {','.join(header)}", line=first_line)
    rows = [(i, row) for i, row in numbered[1:]]
    if header is not None:
        for i, row in rows:
            if len(row) != len(header):
                raise FileFormatError(path, f"{len(row)} cells for {len(header)} columns", line=i)
    return [(first_line, [c.strip() for c in first]), *rows] if with_header else rows


def _cell(value) -> str:
    if isinstance(value, (float, np.floating)):
        return "nan" if math.isnan(value) else format_number(float(value))
    if isinstance(value, (np.integer,)):
        return str(int(value))
    return str(value)
