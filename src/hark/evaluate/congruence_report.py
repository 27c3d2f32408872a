"""Writing what :mod:`hark.evaluate.congruence` measured: ``hark congruence``'s tables and figures."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from hark.errors import HarkError
from hark.evaluate import figures
from hark.evaluate.congruence import LEVELS, Congruence, ThresholdSweep
from hark.evaluate.report import write_table, write_thresholds
from hark.fileio import ensure_writable_dir

COUNT_COLUMNS = ("true_positives", "false_positives", "false_negatives", "precision", "recall", "f1")


def write_congruence_report(folder: str | Path, results: Mapping[str, Congruence], sweep: ThresholdSweep | None = None) -> list[Path]:
    """Tables and figures of congruence in ``folder``; returns the paths written.

    ``results`` maps a name for each set of predictions (e.g. ``"1.0pr"``) to its
    congruence. Written: ``congruence-regions.csv`` (everyone / only X / not X per label and
    level), ``congruence-agreement.csv`` (hark's precision, recall and F1 against each
    reference) and, per set of predictions and level, the figure
    ``congruence-<name>-<level>`` (PDF and PNG). With a ``sweep``: ``congruence-sweep.csv``,
    the figure ``congruence-sweep`` and ``thresholds-dense.csv``.
    """
    if not results and sweep is None:
        raise HarkError("nothing to report: no congruence results and no threshold sweep")
    folder = ensure_writable_dir(folder)
    written = []
    if results:
        regions = [(name, r.label, r.level, region, count) for name, result in results.items() for r in result.regions for region, count in r.rows()]
        written.append(write_table(folder / "congruence-regions.csv", ("predictions", "label", "level", "region", "count"), regions))
        agreements = [
            (name, a.label, a.level, a.reference, a.true_positives, a.false_positives, a.false_negatives, a.precision, a.recall, a.f1)
            for name, result in results.items()
            for a in result.agreements
        ]
        written.append(write_table(folder / "congruence-agreement.csv", ("predictions", "label", "level", "reference", *COUNT_COLUMNS), agreements))
        for name, result in results.items():
            for level in LEVELS:
                shown = [r for r in result.regions if r.level == level]
                if shown:
                    unit = "tics" if level == "tic" else "events"
                    figure = figures.regions_figure(shown, f"{name}: {unit} marked by everyone, one, all but one")
                    written += figures.save_figure(figure, folder, f"congruence-{_file_part(name)}-{level}")
    if sweep is not None:
        rows = [(p.label, p.level, p.reference, p.threshold, p.true_positives, p.false_positives, p.false_negatives, p.precision, p.recall, p.f1) for p in sweep.points]
        written.append(write_table(folder / "congruence-sweep.csv", ("label", "level", "reference", "threshold", *COUNT_COLUMNS), rows))
        written += figures.save_figure(figures.sweep_figure(sweep), folder, "congruence-sweep")
        written.append(write_thresholds(folder / "thresholds-dense.csv", sweep.dense))
    return written


def _file_part(name: str) -> str:
    """``name`` made safe for a file name (it may come from a file name itself, e.g. "1.0pr")."""
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
    return safe or "predictions"
