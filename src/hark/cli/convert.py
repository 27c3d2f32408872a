"""`hark convert`: SongExplorer CSV <-> Raven selection table <-> Audacity label track."""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path

import typer

from hark.errors import HarkError

EXAMPLE = (
    "Example: hark convert --to raven song.wav-annotated-ann.csv song.Table.1.selections.txt\n\n"
    "Example: hark convert --to songexplorer --recording song.wav labels.txt song.wav-annotated-ann.csv"
)


class Target(str, Enum):
    songexplorer = "songexplorer"
    raven = "raven"
    audacity = "audacity"


def convert(
    source: Path = typer.Argument(..., metavar="IN", help="Annotation file to read: a SongExplorer .csv, a Raven table or an Audacity label track."),
    output: Path = typer.Argument(..., metavar="OUT", help="File to write; an existing one is replaced whole."),
    to: Target = typer.Option(..., "--to", case_sensitive=False, help="Format of OUT."),
    rate: float | None = typer.Option(None, "--rate", metavar="HZ", help="Sample rate of the recording (default: read from --recording or the audio file beside IN)."),
    recording: Path | None = typer.Option(None, "--recording", metavar="WAV", help="The annotated recording: gives the sample rate and its name, and picks its rows from a CSV of several recordings."),
) -> None:
    """Convert annotations between SongExplorer, Raven and Audacity.

    Times are samples in SongExplorer CSVs and seconds in Raven and Audacity files, so the sample rate is needed; times are rounded to the nearest sample. Frequency bounds travel between Raven and Audacity; converting to SongExplorer keeps its five columns. OUT is written whole or not at all; IN is never changed.
    """
    # Check everything the user typed before reading or writing anything.
    if not source.exists():
        raise HarkError(f"{source}: no such file")
    if source.is_dir():
        raise HarkError(f"{source}: is a folder, not an annotation file")
    if rate is not None and not rate > 0:
        raise HarkError(f"--rate {rate:g}: the sample rate must be a positive number of Hz")
    if recording is not None and not recording.is_file():
        raise HarkError(f"--recording {recording}: no such file")
    if output.is_dir():
        raise HarkError(f"{output}: is a folder; give the output file's name")
    if output.parent.exists() and not output.parent.is_dir():
        raise HarkError(f"{output}: cannot write there, {output.parent} is a file, not a folder")
    if output.parent.is_dir() and not os.access(output.parent, os.W_OK | os.X_OK):
        raise HarkError(f"{output}: cannot write there, {output.parent} is not writable")

    from hark.annotations.convert import convert_annotations

    count = convert_annotations(source, output, to.value, samplerate=rate, recording=recording)
    typer.echo(f"wrote {count} event{'s' if count != 1 else ''} to {output} ({to.value})")


def register(app: typer.Typer) -> None:
    app.command("convert", epilog=EXAMPLE)(convert)
