"""``hark resample``: recordings at one sample rate, their annotation CSVs' sample times scaled with them."""

from __future__ import annotations

from pathlib import Path

import typer

from hark.cli.common import progress_bar

EXAMPLE = """Example:

  hark resample --rate 250000 --out GT250 GT
  hark resample --rate 250000 --subtype FLOAT --out bats250 bats/a.wav bats/b.wav

Writes each recording at --rate under OUT (a recording found in a folder keeps its path below
that folder) and, beside it, each of its hark/SongExplorer CSVs (<rec>-annotated-<who>.csv,
-detected.csv, -predicted-<R>pr.csv, ...) with start and stop scaled to the new rate. scipy's
polyphase filter, streamed in blocks: memory does not grow with a recording's length.
Downsampling removes what lies above the new Nyquist frequency, so a CSV box reaching above it
is refused before anything is written. Details: docs/ultrasonic.md#sample-rates."""


def resample_command(
    paths: list[Path] = typer.Argument(..., metavar="REC_OR_FOLDER...", help="Recordings, or folders searched for recordings."),
    rate: int = typer.Option(..., "--rate", "-r", help="The new sample rate (Hz)."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the resampled recordings and their CSVs."),
    subtype: str | None = typer.Option(None, "--subtype", help="Sample format of the outputs (PCM_16, PCM_24, FLOAT, ...; default: each source's)."),
    progress: bool | None = typer.Option(None, "--progress/--no-progress", help="Show a progress bar (default: on a terminal)."),
) -> None:
    """Resample recordings to one rate and scale their annotation CSVs' sample times to match."""
    import soundfile as sf

    from hark.annotations.resample import resample_recordings
    from hark.errors import HarkError

    if rate <= 0:
        raise HarkError(f"--rate {rate}: must be a positive number of Hz")
    if subtype is not None and subtype.upper() not in sf.available_subtypes():
        raise HarkError(f"--subtype {subtype}: unknown sample format; one of {', '.join(sorted(sf.available_subtypes()))}")
    if out.exists() and not out.is_dir():
        raise HarkError(f"--out {out}: is a file, not a folder")
    with progress_bar(f"resampling to {rate} Hz", progress) as on_progress:
        done = resample_recordings(paths, out, rate, subtype=subtype.upper() if subtype else None, progress=on_progress)
    for result in done:
        csvs = f", {len(result.annotations)} CSV{'s' if len(result.annotations) != 1 else ''}" if result.annotations else ""
        typer.echo(f"{result.output}: {result.source_rate} -> {result.rate} Hz, {result.frames} samples{csvs}")


def register(app: typer.Typer) -> None:
    app.command("resample", epilog=EXAMPLE, help=resample_command.__doc__)(resample_command)
