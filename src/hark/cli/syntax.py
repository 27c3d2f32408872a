"""``hark syntax``: bouts and first-order transitions of call types (DeepSqueak's syntax analysis)."""

from __future__ import annotations

from pathlib import Path

import typer

from hark.cli.common import progress_bar
from hark.errors import HarkError

EXAMPLE = """Example:

  hark syntax --out syntax finch/                      # a folder of songs and their .not.mat files
  hark syntax --out syntax --kinds predicted work/*-predicted-1.0pr.csv --rate 250000
  hark syntax --out syntax --bout-gap-ms 500 --bout-edges usv/

Writes DIR/transitions.csv (pooled: from,to,count,probability, one row per pair seen),
DIR/transitions-per-recording.csv, DIR/bouts.csv, DIR/intervals.csv, DIR/summary.csv,
DIR/transition-matrix.png (counts and probabilities) and DIR/transition-diagram.png.

A silence longer than --bout-gap-ms (from the end of a bout's calls so far to the next call)
starts a new bout; no transition crosses a bout's edge. A probability is the pair's count over
all transitions out of its `from`. One call type is allowed (with a note); one call in all, or
no two calls within the bout gap, is an error. Definitions: docs/calls.md."""


def syntax_command(
    inputs: list[Path] = typer.Argument(..., metavar="CSV_OR_FOLDER", help="Annotation files (any format hark reads) or folders of recordings with their annotation files."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the tables and figures."),
    bout_gap_ms: float = typer.Option(300.0, "--bout-gap-ms", help="A silence longer than this many ms starts a new bout (0: only touching or overlapping calls share a bout)."),
    bout_edges: bool = typer.Option(False, "--bout-edges/--no-bout-edges", help="Also count <start> -> first call and last call -> <end> of every bout as transitions."),
    kinds: str | None = typer.Option(None, "--kinds", help="Kinds of events to read, comma-separated (annotated, predicted, detected, ...; default: all)."),
    labels: str | None = typer.Option(None, "--labels", help="Call types to keep, comma-separated (default: all); the others are left out before bouts are made."),
    rate: float | None = typer.Option(None, "--rate", metavar="HZ", help="Sample rate of annotation files given by themselves whose times are samples (default: from the recording beside the file)."),
    figures: bool = typer.Option(True, "--figures/--no-figures", help="Draw transition-matrix.png and transition-diagram.png."),
    progress: bool | None = typer.Option(None, "--progress/--no-progress", help="Show a progress bar (default: on a terminal)."),
) -> None:
    """Split each recording's calls into bouts and count first-order transitions between call types, per recording and pooled."""
    from hark.calls.syntax import SyntaxParams
    from hark.calls.syntax_tables import write_syntax
    from hark.params import validate_request

    params = validate_request(SyntaxParams, {"bout_gap_ms": bout_gap_ms, "bout_edges": bout_edges})
    kind_list = _listed(kinds, "--kinds")
    label_list = _listed(labels, "--labels")
    with progress_bar(f"reading {len(inputs)} input(s)", progress) as on_progress:
        written = write_syntax(inputs, out, params, kind_list, label_list, rate, figures, on_progress)
    result = written.result
    for note in result.notes:
        typer.echo(f"note: {note}")
    calls = sum(r.calls for r in result.recordings)
    typer.echo(
        f"{written.out_dir / 'transitions.csv'}: {sum(result.transitions.values())} transitions between {len(result.labels)} call "
        f"type(s), {calls} calls in {len(result.bouts)} bouts of {len(result.recordings)} recording(s)"
    )


def _listed(text: str | None, option: str) -> list[str] | None:
    if text is None:
        return None
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise HarkError(f"{option} {text!r}: name at least one, comma-separated")
    return items


def register(app: typer.Typer) -> None:
    app.command("syntax", epilog=EXAMPLE, help=syntax_command.__doc__)(syntax_command)
