"""``hark denoise``: a denoiser's accept/reject verdict on each detected or predicted event."""

from __future__ import annotations

import typer

from hark.cli.common import CLUSTER_HELP, cluster_settings, given_on_command_line, progress_bar
from hark.cli.detect import expand_recordings
from hark.cli.requests import cli_option, request_command, request_from_cli
from hark.infer.requests import DenoiseRequest

EXAMPLE = """Example:

  hark train --data reviewed --labels usv,noise --supervision events --out denoiser
  hark ethogram --model detector --ratio 1.0 --out calls recordings/*.wav
  hark denoise --model denoiser --out calls recordings/*.wav
  hark denoise --model denoiser --out calls --ratio 2.0 --events calls/rec.wav-detected.csv rec.wav

Writes DIR/<rec>-denoised.csv: every event of the recording's <rec>-predicted-<ratio>pr.csv
in DIR (else its <rec>-detected.csv there, or the --events files), each with status accepted
or rejected and the denoiser's probability of that verdict as score. The input is never
changed. An event is rejected when the denoiser's rejected label (noise) is the most
probable, or reaches --threshold, or its threshold at --ratio (hark accuracy DENOISER).
"""


def run_denoise(context: typer.Context, *, workers: int, cluster: str | None, progress: bool | None, **values) -> None:
    from hark.infer.denoise import denoise_recordings

    request = request_from_cli(DenoiseRequest, values)
    paths = expand_recordings(request.recordings)  # the values are checked first, then the files
    request = request.model_copy(update={"recordings": paths})
    settings = cluster_settings(cluster, paths, workers if given_on_command_line(context, "workers") else None)
    with progress_bar(f"denoising {len(paths)} recording(s)", progress) as on_progress:
        results = denoise_recordings(request, workers=workers, progress=on_progress, cluster=settings)
    for result in results:
        if result.ok:
            total = result.accepted + result.rejected
            typer.echo(f"{result.output}: {result.accepted} of {total} events accepted, {result.rejected} rejected (from {result.events_csv.name})")
    failed = [result for result in results if not result.ok]
    for result in failed:
        typer.echo(f"hark: error: {result.error}", err=True)
    if failed:
        raise typer.Exit(2)


denoise_command = request_command(
    DenoiseRequest, run_denoise, [
        "recordings", "model", "out", "events", "threshold", "ratio", "relabel", "checkpoint", "device", "batch_size",
        cli_option("workers", int, typer.Option(1, "--workers", "-j", min=1, help="Recordings judged at once, in separate processes sharing the cores; with --cluster local, its worker processes.")),
        cli_option("cluster", str | None, typer.Option(None, "--cluster", help=CLUSTER_HELP)),
        cli_option("progress", bool | None, typer.Option(None, "--progress/--no-progress", help="Show a progress bar (default: on a terminal).")),
    ],
    "Mark each detected or predicted event accepted or rejected with a denoiser; writes <rec>-denoised.csv, deleting nothing.",
)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command("denoise", epilog=EXAMPLE, help=denoise_command.__doc__)(denoise_command)
