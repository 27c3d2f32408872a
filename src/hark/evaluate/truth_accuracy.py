"""``truth_accuracy``: hark ethogram's syllables scored against annotated test recordings.

What ``hark accuracy --truth GT --predictions DIR`` calls. The reference is every
``-annotated-<name>.csv``, evsonganaly ``.not.mat`` or Praat TextGrid of the ground-truth
folder ``GT`` (one annotator per recording);
the predictions are ``DIR/<rec>-predicted-<ratio>pr.csv``, matched to the annotated
recordings by file name. Every annotated recording must have predictions and every
prediction file an annotated recording, so that a forgotten file cannot flatter the scores.

Written to ``DIR/accuracy`` (or ``out``), each CSV atomically:

- ``syllable-scores.csv``: ``measure,value``, the scores over all recordings;
- ``recording-scores.csv``: the main scores of each recording;
- ``dcase-scores.csv``: DCASE event- and segment-based scores, overall and per label;
- ``label-pairs.csv``: ``reference,predicted,syllables`` of the syllables paired by overlap;
- ``boundary-errors.pdf/png``: histograms of the matched on- and offsets' errors.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from hark.annotations.event import Event, Kind
from hark.annotations.folder import scan_folder
from hark.annotations.naming import parse_annotation_name, recording_candidates
from hark.annotations.songexplorer import read_csv
from hark.errors import HarkError, ParameterError
from hark.evaluate.report import write_table
from hark.evaluate.segment_metrics import DcaseScores, ScoringParams, SyllableScores, recording_scores
from hark.fileio import ensure_writable_dir


@dataclass(frozen=True)
class TruthAccuracy:
    total: SyllableScores
    recordings: dict[str, SyllableScores]  # by path relative to the ground-truth folder
    ratio: str  # of the predictions scored, as their file names write it
    params: ScoringParams
    out: Path
    written: tuple[Path, ...]


def truth_accuracy(
    truth: str | Path,
    predictions: str | Path,
    *,
    out: str | Path | None = None,
    ratio: float | None = None,
    labels: list[str] | None = None,
    params: ScoringParams = ScoringParams(),
    draw: bool = True,
) -> TruthAccuracy:
    """Score the predictions in ``predictions`` against the annotations in ``truth``; write tables and a figure.

    ``ratio`` chooses among predictions of several ratios; ``labels`` (default: all on either
    side) restricts both sides to those labels.
    """
    truth, predictions = Path(truth), Path(predictions)
    reference, rates = _reference(truth)
    ratio_text, predicted = _predictions(predictions, ratio, truth, rates)
    missing = sorted(set(rates) - set(predicted))
    if missing:
        name = PurePosixPath(missing[0]).name
        raise HarkError(
            f"{predictions}: no predictions for {missing[0]} ({name}-predicted-{ratio_text}pr.csv); "
            f"run hark ethogram --model MODEL --ratio {ratio_text} --out {predictions} {name}"
        )
    found = [e for events in predicted.values() for e in events]
    used = sorted({e.label for e in (*reference, *found)})
    if labels is not None:
        unknown = [x for x in labels if x not in used]
        if unknown:
            raise HarkError(f"unknown label {unknown[0]!r} (labels annotated or predicted: {', '.join(used) or 'none'})")
        reference, found = ([e for e in events if e.label in labels] for events in (reference, found))
    chosen = list(dict.fromkeys(labels)) if labels is not None else used
    scores = recording_scores(reference, found, samplerate=rates, params=params, labels=chosen)
    per_recording = {recording: scores.get(recording, SyllableScores()) for recording in sorted(rates)}
    total = sum(per_recording.values(), SyllableScores())
    folder = ensure_writable_dir(Path(out) if out is not None else predictions / "accuracy")
    written = _write_tables(folder, total, per_recording, chosen)
    if draw:
        written += _draw_boundary_errors(folder, total, params)
    return TruthAccuracy(total, per_recording, ratio_text, params, folder, tuple(written))


def _reference(truth: Path) -> tuple[list[Event], dict[str, float]]:
    """The annotated events and each annotated recording's sample rate, by path relative to ``truth``."""
    from hark.audio import open_recording

    folder = scan_folder(truth)
    entries = [e for e in folder.entries if e.annotation_paths([Kind.ANNOTATED])]
    if not entries:
        raise HarkError(f"{truth}: no recording there has annotations (<rec>-annotated-<name>.csv, .not.mat or TextGrid beside it)")
    for entry in entries:
        # the annotators of CSVs; a .not.mat or TextGrid is a source of its own
        sources = sorted({parse_annotation_name(p).annotator if p.suffix == ".csv" else p.name for p in entry.annotation_paths([Kind.ANNOTATED])})
        if len(sources) > 1:
            raise HarkError(f"{entry.recording}: annotated by {', '.join(sources)}; score against one annotator (hark congruence compares several)")
    events = folder.load_events(kinds=[Kind.ANNOTATED])
    recordings = {e.recording.relative_to(truth).as_posix(): e.recording for e in entries}
    for event in events:
        recordings.setdefault(event.recording, truth / event.recording)
    rates = {name: float(open_recording(path).samplerate) for name, path in recordings.items()}
    return events, rates


def _predictions(folder: Path, ratio: float | None, truth: Path, rates: dict[str, float]) -> tuple[str, dict[str, list[Event]]]:
    """The ratio chosen and the predicted events of each annotated recording (by its path relative to the truth)."""
    if not folder.is_dir():
        raise HarkError(f"{folder}: no such folder")
    files: dict[str, list[tuple[Path, str]]] = defaultdict(list)
    for path in sorted(folder.glob("*.csv")):
        parsed = parse_annotation_name(path.name)
        if parsed is not None and parsed.kind is Kind.PREDICTED and not parsed.denoised:  # a denoised file has no ratio
            files[parsed.ratio].append((path, parsed.recording))
    if not files:
        raise HarkError(f"{folder}: holds no <rec>-predicted-<ratio>pr.csv files; run hark ethogram --model MODEL --out {folder} first")
    if ratio is None:
        if len(files) > 1:
            raise ParameterError("ratio", f"{folder}: holds predictions at ratios {', '.join(sorted(files, key=float))}; choose one with {{param}}")
        chosen = next(iter(files))
    else:
        matches = [r for r in files if math.isclose(float(r), ratio)]
        if not matches:
            raise HarkError(f"{folder}: no predictions at ratio {ratio:g} (there are {', '.join(sorted(files, key=float))})")
        chosen = matches[0]
    by_name = defaultdict(list)
    for recording in rates:
        by_name[PurePosixPath(recording).name].append(recording)
    twins = sorted(name for name, paths in by_name.items() if len(paths) > 1)
    if twins:
        raise HarkError(f"{truth}: two annotated recordings named {twins[0]} ({', '.join(by_name[twins[0]])}); predictions name recordings by file name only")
    predicted: dict[str, list[Event]] = {}
    for path, part in files[chosen]:
        candidates = recording_candidates(part, by_name)
        if len(candidates) != 1:
            what = "several annotated recordings" if candidates else "no annotated recording"
            raise HarkError(f"{path}: predictions for {part}, which names {what} in {truth}")
        recording = by_name[candidates[0]][0]
        if recording in predicted:
            raise HarkError(f"{path}: a second file of predictions for {recording}")
        predicted[recording] = [e.with_(recording=recording) for e in read_csv(path, allow_empty=True) if e.kind is Kind.PREDICTED]
    return chosen, predicted


SCORE_ROWS = (
    ("onset_precision", lambda s: s.onsets.precision), ("onset_recall", lambda s: s.onsets.recall),
    ("onset_f1", lambda s: s.onsets.f1), ("onset_median_error_ms", lambda s: s.onsets.median_error_ms),
    ("offset_precision", lambda s: s.offsets.precision), ("offset_recall", lambda s: s.offsets.recall),
    ("offset_f1", lambda s: s.offsets.f1), ("offset_median_error_ms", lambda s: s.offsets.median_error_ms),
    ("label_accuracy", lambda s: s.label_accuracy), ("overlapping_pairs", lambda s: s.overlapping_pairs),
    ("syllable_error_rate", lambda s: s.syllable_error_rate), ("edit_distance", lambda s: s.edit_distance),
    ("reference_syllables", lambda s: s.reference_syllables), ("predicted_syllables", lambda s: s.predicted_syllables),
    ("dcase_event_f1", lambda s: s.dcase_events.overall.f1), ("dcase_event_error_rate", lambda s: s.dcase_events.overall.error_rate),
    ("dcase_segment_f1", lambda s: s.dcase_segments.overall.f1), ("dcase_segment_error_rate", lambda s: s.dcase_segments.overall.error_rate),
)  # fmt: skip


def _write_tables(folder: Path, total: SyllableScores, per_recording: dict[str, SyllableScores], labels: list[str]) -> list[Path]:
    written = [write_table(folder / "syllable-scores.csv", ("measure", "value"), [(name, value(total)) for name, value in SCORE_ROWS])]
    columns = [name for name, _ in SCORE_ROWS]
    rows = [(recording, *(value(s) for _, value in SCORE_ROWS)) for recording, s in per_recording.items()]
    written.append(write_table(folder / "recording-scores.csv", ("recording", *columns), rows))
    header = ("method", "label", "precision", "recall", "f1", "error_rate", "substitutions", "deletions", "insertions", "reference", "predicted")
    rows = []
    for method, scores in (("event", total.dcase_events), ("segment", total.dcase_segments)):
        rows += [(method, label, *_dcase_row(counts)) for label, counts in _dcase_items(scores, labels)]
    written.append(write_table(folder / "dcase-scores.csv", header, rows))
    pairs = sorted(total.label_pairs.items())
    written.append(write_table(folder / "label-pairs.csv", ("reference", "predicted", "syllables"), [(a, b, n) for (a, b), n in pairs]))
    return written


def _dcase_items(scores: DcaseScores, labels: list[str]):
    yield "(overall)", scores.overall
    yield from ((label, scores.per_label[label]) for label in labels if label in scores.per_label)


def _dcase_row(c) -> tuple:
    reference, predicted = c.true_positives + c.false_negatives, c.true_positives + c.false_positives
    return (c.precision, c.recall, c.f1, c.error_rate, c.substitutions, c.deletions, c.insertions, reference, predicted)


def _draw_boundary_errors(folder: Path, total: SyllableScores, params: ScoringParams) -> list[Path]:
    from hark.evaluate.figures import label_grid, save_figure

    figure, axes = label_grid(2, f"matched boundaries: predicted minus annotated, within {params.tolerance_ms:g} ms")
    span = params.tolerance_ms if params.tolerance_ms > 0 else 1.0
    for ax, (name, scores) in zip(axes, (("onsets", total.onsets), ("offsets", total.offsets))):
        ax.hist(scores.errors_ms, bins=41, range=(-span, span), color="tab:blue")
        ax.axvline(0, color="k", lw=0.8)
        ax.set_xlabel("error (ms)", fontsize=8)
        ax.set_ylabel("boundaries", fontsize=8)
        median = "n/a" if math.isnan(scores.median_error_ms) else f"{scores.median_error_ms:.2f} ms"
        f1 = "n/a" if math.isnan(scores.f1) else f"{scores.f1:.3f}"
        ax.set_title(f"{name}: F1 {f1}, median |error| {median}", fontsize=9)
    return save_figure(figure, folder, "boundary-errors")
