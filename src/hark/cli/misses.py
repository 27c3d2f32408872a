"""``hark misses``: detected sounds that no prediction covers."""

from __future__ import annotations

from pathlib import Path

import typer

from hark.cli.common import JOB_CLUSTER_HELP, folder_cluster_settings, run_jobs_or_exit
from hark.errors import HarkError

EXAMPLE = """Example:

  hark detect --out work recordings/*.wav
  hark classify --model model --out work recordings/*.wav
  hark ethogram --model model --ratio 1.0 --out work
  hark misses --out work recordings/*.wav        # writes work/<rec>-missed.csv
"""


def misses_command(
    recordings: list[Path] = typer.Argument(..., help="Recordings whose detections and predictions to compare."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder with the predicted CSVs (and the detected ones, else beside each recording); the missed CSVs go there."),
    ratio: float | None = typer.Option(None, "--ratio", help="Which predictions to use when OUT holds several ratios."),
    cluster: str | None = typer.Option(None, "--cluster", help=JOB_CLUSTER_HELP),
) -> None:
    """Write <rec>-missed.csv: the detected sounds that no predicted event overlaps (to annotate next)."""
    from hark.annotations.songexplorer import read_csv
    from hark.infer.misses import write_misses

    if ratio is not None and ratio <= 0:
        raise HarkError(f"--ratio {ratio:g} must be positive")
    settings = folder_cluster_settings(cluster, out)
    if settings is not None:
        from hark.jobs import Job

        params = {"recordings": [str(r.resolve()) for r in recordings], "out": str(out.resolve()), "ratio": ratio}
        outcome = run_jobs_or_exit([Job("misses", params, f"misses in {out}", out.resolve() / "misses.log")], settings)[0]
        written = [Path(path) for path in outcome.result["written"]]
    else:
        written = write_misses(recordings, out, ratio)
    for path in written:
        typer.echo(f"{path}: {len(read_csv(path, allow_empty=True))} missed")


def register(app: typer.Typer) -> None:
    app.command("misses", epilog=EXAMPLE, help=misses_command.__doc__)(misses_command)
