"""``hark denoise``: a denoiser's accept/reject verdict on each detected or predicted event."""

from __future__ import annotations

from pathlib import Path

import typer

from hark.cli.detect import expand_recordings

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


def denoise_command(
    recordings: list[Path] = typer.Argument(..., help="Recordings, or folders of recordings, whose events to judge."),
    model: Path = typer.Option(..., "--model", "-m", help="Denoiser folder (hark train --supervision events)."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder of the events (hark ethogram's or hark detect's --out); <rec>-denoised.csv goes there."),
    events: list[Path] = typer.Option([], "--events", help="CSV of events to judge instead of those found in OUT (repeatable; rows matched to recordings by wavfile)."),
    threshold: float | None = typer.Option(None, "--threshold", help="Reject an event when the probability of the rejected label reaches this (default: when it is the most probable)."),
    ratio: float | None = typer.Option(None, "--ratio", help="Reject at the rejected label's threshold for this precision-recall ratio (hark accuracy DENOISER); above 1 rejects fewer."),
    relabel: bool = typer.Option(False, "--relabel", help="Give accepted events the denoiser's most probable call label (denoisers of several call types)."),
    checkpoint: str | None = typer.Option(None, "--checkpoint", help="Checkpoint to use: a step, best, last or a ckpt-N.pt path (default: best, else last)."),
    device: str = typer.Option("auto", "--device", help="auto (a GPU when there is one), cpu, cuda or cuda:N."),
) -> None:
    """Mark each detected or predicted event accepted or rejected with a denoiser; writes <rec>-denoised.csv, deleting nothing."""
    from hark.infer.denoise import denoise_recordings

    def show(result) -> None:
        total = result.accepted + result.rejected
        typer.echo(f"{result.output}: {result.accepted} of {total} events accepted, {result.rejected} rejected (from {result.events_csv.name})")

    paths = expand_recordings(recordings)
    denoise_recordings(model, paths, out, events or None, threshold, ratio, relabel, checkpoint=checkpoint, device=device, report=show)


def register(app: typer.Typer) -> None:
    app.command("denoise", epilog=EXAMPLE, help=denoise_command.__doc__)(denoise_command)
