"""``hark syntax``: read labelled events, analyse their syntax, write the tables and figures.

Files written in ``OUT`` (each atomically, after every input was read and analysed, so that a
mistake in the inputs leaves ``OUT`` as it was):

- ``transitions.csv``: the pooled first-order transitions, one row per pair seen,
  ``from,to,count,probability``;
- ``transitions-per-recording.csv``: the same per recording, ``recording,from,to,count,probability``;
- ``bouts.csv``: one row per bout (``recording,bout,start_s,stop_s,duration_s,calls,call_rate_per_s,sequence``);
- ``intervals.csv``: one row per two successive calls of a bout (``recording,bout,from,to,onset_interval_s,gap_s``);
- ``summary.csv``: per recording and pooled (``recording`` = :data:`POOLED`), calls, types, bouts,
  transitions, bout length and duration, call rate and the intervals' mean, median and percentiles;
- ``transition-matrix.png`` and ``transition-diagram.png`` (:mod:`hark.calls.syntax_figures`).

Numbers are written to read back exactly; an undefined one (a probability, a rate) is empty.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hark.annotations.event import Kind
from hark.annotations.timebase import format_number
from hark.calls.syntax import PERCENTILES, RecordingSyntax, SyntaxParams, SyntaxResult, analyse_syntax, summary_statistics, transition_probabilities
from hark.calls.syntax_inputs import read_calls
from hark.errors import HarkError
from hark.fileio import atomic_write_text, ensure_writable_dir

POOLED = "(pooled)"  # the summary row of all recordings together
TRANSITIONS = "transitions.csv"
TRANSITIONS_PER_RECORDING = "transitions-per-recording.csv"
BOUTS = "bouts.csv"
INTERVALS = "intervals.csv"
SUMMARY = "summary.csv"
MATRIX_FIGURE = "transition-matrix.png"
DIAGRAM_FIGURE = "transition-diagram.png"
_STATISTICS = ("mean", "median", *(f"p{p}" for p in PERCENTILES))
SUMMARY_COLUMNS = (
    "recording", "calls", "call_types", "bouts", "transitions",
    "bout_calls_mean", "bout_calls_median", "bout_duration_s_mean", "bout_duration_s_median", "call_rate_per_s",
    *(f"onset_interval_s_{s}" for s in _STATISTICS), *(f"gap_s_{s}" for s in _STATISTICS),
)


@dataclass(frozen=True)
class SyntaxWritten:
    result: SyntaxResult
    out_dir: Path
    files: tuple[Path, ...]


def write_syntax(
    inputs: Sequence[Path],
    out_dir: Path,
    params: SyntaxParams | None = None,
    kinds: Iterable[Kind | str] | None = None,
    labels: Iterable[str] | None = None,
    samplerate: float | None = None,
    figures: bool = True,
    progress: Callable[[float], None] | None = None,
) -> SyntaxWritten:
    """Read the labelled events of ``inputs``, analyse them (:func:`~hark.calls.syntax.analyse_syntax`) and write ``out_dir``'s files."""
    params = params or SyntaxParams()
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise HarkError(f"{out_dir}: is a file, not a folder")
    result = analyse_syntax(read_calls(inputs, kinds, labels, samplerate, progress), params)
    out_dir = ensure_writable_dir(out_dir)
    files = [
        _write(out_dir / TRANSITIONS, ("from", "to", "count", "probability"), _transition_rows(result.transitions)),
        _write(out_dir / TRANSITIONS_PER_RECORDING, ("recording", "from", "to", "count", "probability"),
               [[r.recording, *row] for r in result.recordings for row in _transition_rows(r.transitions)]),
        _write(out_dir / BOUTS, ("recording", "bout", "start_s", "stop_s", "duration_s", "calls", "call_rate_per_s", "sequence"),
               [[b.recording, b.number, b.start_s, b.stop_s, b.duration_s, len(b.calls), b.call_rate_per_s, " ".join(b.labels)] for b in result.bouts]),
        _write(out_dir / INTERVALS, ("recording", "bout", "from", "to", "onset_interval_s", "gap_s"),
               [[i.recording, i.bout, i.before, i.after, i.onset_interval_s, i.gap_s] for i in result.intervals]),
        _write(out_dir / SUMMARY, SUMMARY_COLUMNS,
               [_summary_row(r.recording, [r], result) for r in result.recordings] + [_summary_row(POOLED, result.recordings, result)]),
    ]
    if figures:
        from hark.calls.syntax_figures import plot_transition_diagram, plot_transition_matrix

        files += [plot_transition_matrix(result, out_dir / MATRIX_FIGURE), plot_transition_diagram(result, out_dir / DIAGRAM_FIGURE)]
    return SyntaxWritten(result, out_dir, tuple(files))


def _transition_rows(counts: dict[tuple[str, str], int]) -> list[list]:
    probabilities = transition_probabilities(counts)
    return [[before, after, count, probabilities[(before, after)]] for (before, after), count in counts.items()]


def _summary_row(name: str, recordings: Sequence[RecordingSyntax], result: SyntaxResult) -> list:
    bouts = [b for r in recordings for b in r.bouts]
    intervals = [i for r in recordings for i in r.intervals]
    timed = [b for b in bouts if b.duration_s > 0]
    rate = sum(len(b.calls) for b in timed) / sum(b.duration_s for b in timed) if timed else None
    onsets = summary_statistics([i.onset_interval_s for i in intervals])
    gaps = summary_statistics([i.gap_s for i in intervals])
    return [
        name,
        sum(len(b.calls) for b in bouts),
        len({label for b in bouts for label in b.labels}),
        len(bouts),
        sum(count for r in recordings for count in r.transitions.values()),
        float(np.mean([len(b.calls) for b in bouts])),
        float(np.median([len(b.calls) for b in bouts])),
        float(np.mean([b.duration_s for b in bouts])),
        float(np.median([b.duration_s for b in bouts])),
        rate,
        *(onsets[s] for s in _STATISTICS),
        *(gaps[s] for s in _STATISTICS),
    ]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_number(value)
    return str(value)


def _write(path: Path, header: Sequence[str], rows: Iterable[Sequence]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    atomic_write_text(path, buffer.getvalue())
    return path
