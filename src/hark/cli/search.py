"""``hark search``: the sounds of an indexed corpus most like a query sound (search by example)."""

from __future__ import annotations

from pathlib import Path

import typer

EXAMPLE = """Example:

  hark search index --query recordings/a.wav:12.5-12.6
  hark search index --query recordings/a.wav:12.5-12.6 --top 50 --out found.csv

The query (seconds) may lie in any recording at the index's sample rate, indexed or not. Hits
are distinct sounds (overlapping stretches of one sound are suppressed), best first; --out
writes them as hark CSV rows of kind found, the similarity (mean cosine, 1 = the same) in the
score column, labelled --label, else the query's annotated label, else found.
"""


def search_command(
    index: Path = typer.Argument(..., help="Index folder written by hark embed."),
    query: str = typer.Option(..., "--query", "-q", help="The example sound: REC:START-STOP, times in seconds (e.g. song.wav:12.5-13.25)."),
    top: int = typer.Option(10, "--top", "-k", help="Number of distinct sounds to return, best first."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Also write the hits to this CSV (kind found, the similarity as score)."),
    label: str | None = typer.Option(None, "--label", help="Label of the hits in --out (default: the query's annotated label, else found)."),
    model: Path | None = typer.Option(None, "--model", "-m", help="The model the index must have been built with (default: the index's)."),
) -> None:
    """Find the sounds of an index most like an example sound, and optionally write them as a CSV."""
    from hark.annotations.event import label_problem
    from hark.embed.search import SearchParams, parse_query, query_label, search_index
    from hark.errors import HarkError, ParameterError
    from hark.params import validate_request

    params = validate_request(SearchParams, {"top": top})
    if label is not None and label_problem(label):
        raise ParameterError("label", f"{{param}} {label!r}: {label_problem(label)}")
    recording, start_s, stop_s = parse_query(query)
    if out is not None and out.is_dir():
        raise HarkError(f"--out {out}: is a folder; give a CSV file name")
    hits = search_index(index, recording, start_s, stop_s, params, model)
    typer.echo(f"{'rank':>4}  {'similarity':>10}  {'start':>10}  {'stop':>10}  recording")
    for rank, hit in enumerate(hits, 1):
        typer.echo(f"{rank:>4}  {hit.similarity:>10.4f}  {hit.start / hit.samplerate:>10.3f}  {hit.stop / hit.samplerate:>10.3f}  {hit.recording}")
    if out is not None:
        from hark.annotations.songexplorer import write_csv

        name = label or query_label(recording, start_s, stop_s)
        write_csv(out, [hit.event(name) for hit in hits], extras=True)
        typer.echo(f"{len(hits)} hits labelled {name} in {out}")


def register(app: typer.Typer) -> None:
    app.command("search", epilog=EXAMPLE, help=search_command.__doc__)(search_command)
