"""Writing what :mod:`hark.evaluate.congruence` measured: ``hark congruence``'s tables and figures."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from hark.annotations.event import Event, Kind
from hark.annotations.songexplorer import write_csv
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
    ``congruence-<name>-<level>`` (PDF and PNG), and the samples of each tic region
    (:func:`write_region_intervals`). With a ``sweep``: ``congruence-sweep.csv``, the figure
    ``congruence-sweep`` and ``thresholds-dense.csv``.
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
            written += write_region_intervals(folder, name, result)
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


def write_region_intervals(folder: Path, name: str, result: Congruence) -> list[Path]:
    """Where the parties agree and where they do not, as files to listen to, cluster and review.

    ``congruence-<name>-intervals.csv`` lists every interval of every tic region
    (``recording,label,region,start,stop``, samples, ``[start, stop)``), and the folder
    ``disjoint-<name>`` holds one SongExplorer/hark CSV per recording and region,
    ``<rec>-disjoint-<region>.csv`` (``everyone``, ``only-<party>``, ``not-<party>``; SongExplorer
    names its files so), whose events are the intervals with their label: kind ``correct`` where
    everyone agrees, ``mistaken`` where someone disagrees, as in ``hark accuracy``'s mistakes
    lists (copied beside the recording as ``<rec>-mistakes.csv``, the folder tools read them).
    """
    rows = [(r.recording, r.label, r.region, r.start, r.stop) for r in result.intervals]
    written = [write_table(folder / f"congruence-{_file_part(name)}-intervals.csv", ("recording", "label", "region", "start", "stop"), rows)]
    by_file: dict[tuple[str, str], list[Event]] = {}
    for r in result.intervals:
        kind = Kind.CORRECT if r.region == "everyone" else Kind.MISTAKEN
        by_file.setdefault((r.recording, r.region), []).append(Event(r.recording, r.start, r.stop, kind, r.label))
    disjoint = folder / f"disjoint-{_file_part(name)}"
    for (recording, region), events in sorted(by_file.items()):
        path = disjoint / f"{Path(recording).name}-disjoint-{_file_part(region.replace(' ', '-'))}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_csv(path, events)
        written.append(path)
    return written


def _file_part(name: str) -> str:
    """``name`` made safe for a file name (it may come from a file name itself, e.g. "1.0pr")."""
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
    return safe or "predictions"
