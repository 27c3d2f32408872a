"""``hark suggest``: which sounds to annotate next, most useful first."""

from __future__ import annotations

import typer

from hark.cli.common import progress_bar
from hark.cli.requests import cli_option, request_command, request_from_cli
from hark.infer.suggest_request import SuggestRequest

EXAMPLE = """Example:

  hark suggest --model model --out recordings recordings/
  hark suggest --model models --budget 50 --seed 2 --out suggestions a.wav b.wav   # models/1r, 2r, ...: replicates
  hark suggest --model model --detector time-freq-threshold --out recordings recordings/

Candidates are the stretches where a label's probability exceeds half its threshold, the
sounds of <rec>-detected.csv files beside the recordings and those --detector finds; each is
scored by closeness to the threshold, disagreement between replicates and novelty against the
annotated sounds of the recordings' folders, and the budget is filled without near-duplicates
(docs/annotate-less.md). Writes OUT/<rec>-suggested.csv
(wav,start,stop,suggested,label,low_hz,high_hz,score,reason); with --out the recordings'
folder, hark gui's review orders its queue by it.
"""


def run_suggest(context: typer.Context, *, progress: bool | None, **values) -> None:
    from hark.infer.suggest import suggest

    request = request_from_cli(SuggestRequest, values)
    with progress_bar("suggesting", progress) as on_progress:
        result = suggest(request, on_progress)
    for s in result.suggestions[:10]:
        typer.echo(f"{s.recording.name} {s.start}-{s.stop} {s.label}: {s.score:.3f} ({s.reason})")
    more = len(result.suggestions) - 10
    if more > 0:
        typer.echo(f"... and {more} more")
    typer.echo(f"{len(result.suggestions)} of {result.candidates} candidate sounds suggested; wrote {len(result.files)} -suggested.csv file(s) to {request.out}")


suggest_command = request_command(
    SuggestRequest, run_suggest, [
        "recordings", "model", "out", "budget", "seed", ...,
        cli_option("progress", bool | None, typer.Option(None, "--progress/--no-progress", help="Show a progress bar (default: on a terminal).")),
    ],
    "Rank sounds to annotate next: near the model's threshold, disputed by its replicates, unlike what is annotated; writes <rec>-suggested.csv.",
)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command("suggest", epilog=EXAMPLE, help=suggest_command.__doc__)(suggest_command)
