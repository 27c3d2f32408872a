"""``hark ethogram``: predicted events from classify's probabilities, at a chosen precision-recall ratio."""

from __future__ import annotations

import typer

from hark.cli.common import CLUSTER_HELP, cluster_settings, given_on_command_line, progress_bar
from hark.cli.requests import cli_option, request_command, request_from_cli
from hark.infer.requests import EthogramRequest

EXAMPLE = """Example:

  hark classify --model model --out predictions recordings/*.wav
  hark ethogram --model model --ratio 1.0 --out predictions        # every recording classified there
  hark ethogram --model model --ratio 2.0 --out predictions song.wav

Writes DIR/<rec>-predicted-<ratio>pr.csv (kind predicted, the run's peak probability as score).
The thresholds come from MODEL/accuracy/thresholds.csv, written by hark accuracy.

A dense model's probabilities become one event per syllable (docs/segmentation.md).
Sound is where 1 - p(background) reaches the sound threshold: 1 minus the background's
threshold at ratio 1/RATIO, or --threshold. Gaps under --fill-gap-ms are filled,
syllables under --min-duration-ms dropped, and each is labelled by its frames' majority.

  hark ethogram --model tcn --ratio 1.0 --out predictions --min-duration-ms 20

A dense model's events are boxes in time and frequency (docs/ultrasonic.md): low_hz and
high_hz from the spectrogram energy inside each event, searched between --low-hz and
--high-hz (default: the model's band), in the columns after SongExplorer's five. The audio
is the recording given, else the file hark classify read.

  hark ethogram --model detector --sensitivity high-recall --out calls rec.wav
  hark ethogram --model detector --ratio 1.0 --low-hz 30000 --min-score 0.8 --out calls rec.wav
"""


def run_ethogram(context: typer.Context, *, workers: int, cluster: str | None, progress: bool | None, **values) -> None:
    from hark.annotations.naming import parse_annotation_name
    from hark.annotations.songexplorer import read_csv
    from hark.infer.ethogram import ethograms
    from hark.infer.probabilities import read_meta
    from hark.models.store import best_step

    request = request_from_cli(EthogramRequest, values)
    out = request.out
    # the folder of the probabilities stands where classify's recordings do: its hark.toml, else the nearest above
    folder = request.probabilities or out
    settings = cluster_settings(cluster, [folder / "probabilities"], workers if given_on_command_line(context, "workers") else None)
    with progress_bar(f"predicting events in {out}", progress) as on_progress:
        results = ethograms(request, workers=workers, progress=on_progress, cluster=settings)
    written = [result.output for result in results if result.ok]
    best = best_step(request.model)
    for path in written:
        events = read_csv(path, allow_empty=True)
        boxed = " with frequency bounds" if events and all(e.has_frequency for e in events) else ""
        typer.echo(f"{path}: {len(events)} events{boxed}")
    failed = [result for result in results if not result.ok]
    for result in failed:
        typer.echo(f"hark: error: {result.error}", err=True)
    steps = {read_meta(parse_annotation_name(p).stem, folder)[0].checkpoint_step for p in written}
    if best is not None and steps - {best}:
        typer.echo(
            f"hark: warning: the thresholds are those of checkpoint {best}, the probabilities come from "
            f"checkpoint {', '.join(map(str, sorted(steps - {best})))}", err=True,
        )
    if failed:
        raise typer.Exit(2)


ethogram_command = request_command(
    EthogramRequest, run_ethogram, [
        "recordings", "model", "out", "probabilities", "ratio", "sensitivity", "dense", "threshold", "min_duration_ms", "fill_gap_ms", "min_score",
        "low_hz", "high_hz", "boxes", "box_params",
        cli_option("workers", int, typer.Option(1, "--workers", "-j", min=1, help="Recordings done at once, in separate processes; with --cluster local, its worker processes.")),
        cli_option("cluster", str | None, typer.Option(None, "--cluster", help=CLUSTER_HELP)),
        cli_option("progress", bool | None, typer.Option(None, "--progress/--no-progress", help="Show a progress bar (default: on a terminal).")),
    ],
    "Turn probabilities into predicted events with per-label thresholds; writes <rec>-predicted-<ratio>pr.csv.",
)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command("ethogram", epilog=EXAMPLE, help=ethogram_command.__doc__)(ethogram_command)
