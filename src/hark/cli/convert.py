"""`hark convert`: between the registered annotation formats (SongExplorer CSV, Raven, Audacity, call table, ... and plugins); soundevent projects."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from hark.annotations.formats import annotation_formats, resolve_name, writable_format
from hark.errors import HarkError

EXAMPLE = (
    "Example: hark convert --to raven song.wav-annotated-ann.csv song.Table.1.selections.txt\n\n"
    "Example: hark convert --to songexplorer --recording song.wav labels.txt song.wav-annotated-ann.csv\n\n"
    "Example: hark convert --to songexplorer --recording usv/1/rec_1.wav usv/1/gt_1.csv usv/1/rec_1.wav-annotated-gt.csv\n\n"
    "Example: hark convert --to hark bat/example_annotation_project.json bat-truth/"
)



def _to_help() -> str:
    """``--to``'s help: every registered format that can be written, with what it is."""
    shown = [f"{name} ({fmt.summary})" if fmt.summary else name for name, fmt in annotation_formats.items() if fmt.can_write]
    return f"Format of OUT, one of the registered annotation formats that can be written: {', '.join(shown)}."


def convert(
    source: Path = typer.Argument(..., metavar="IN", help="Annotation file to read, its format recognised from its name and content: a SongExplorer .csv, a Raven table, an Audacity label track, a start_seconds,end_seconds call table (.csv), a crowsetta generic-seq .csv, an evsonganaly .not.mat, a Praat .TextGrid, a file of any other registered format, a soundevent/whombat project (.json) or a clip-label table (file,label[,split][,group])."),
    output: Path = typer.Argument(..., metavar="OUT", help="File to write; an existing one is replaced whole. For a .json project or a clip-label table: the folder to write one file per recording into."),
    to: str = typer.Option(..., "--to", metavar="FORMAT", help=_to_help()),
    rate: float | None = typer.Option(None, "--rate", metavar="HZ", help="Sample rate of the recording (default: read from --recording or the audio file beside IN)."),
    recording: Path | None = typer.Option(None, "--recording", metavar="WAV", help="The annotated recording: gives the sample rate and its name, and picks its rows from a CSV of several recordings. A call table names no recording, so give it unless the table's folder holds only one audio file."),
    label: str | None = typer.Option(None, "--label", help="Label of the events of a start_seconds,end_seconds call table (default: usv); other formats carry their own."),
    annotator: str | None = typer.Option(None, "--annotator", metavar="WHO", help="For a .json project or a clip-label table: the <who> of the <rec>-annotated-<who>.csv files (default: each annotation's whombat user name; the table's name)."),
    tag_key: str = typer.Option("species", "--tag-key", metavar="KEY", help="For a .json project: the key of the tag whose value is an event's label."),
) -> None:
    """Convert annotations between SongExplorer, hark, Raven, Audacity, call-table and any other registered formats.

    Times are samples in SongExplorer CSVs and seconds in the other formats, so the sample rate is needed; times are rounded to the nearest sample. Frequency bounds travel between hark CSVs, Raven and Audacity; converting to songexplorer keeps its five columns. A soundevent/whombat project (.json) converts into a folder: one <rec>-annotated-<who>.csv (or table, or track) per recording, with its boxes' frequency bounds in the hark format. A clip-label table converts into a folder too: one file per listed recording, in the table's subfolders, holding one event over the whole recording (the split and group columns are dropped). OUT is written whole or not at all; IN is never changed.
    """
    # Check everything the user typed before reading or writing anything.
    target = resolve_name(to)
    writable_format(target)
    if not source.exists():
        raise HarkError(f"{source}: no such file")
    if source.is_dir():
        raise HarkError(f"{source}: is a folder, not an annotation file")
    if rate is not None and not rate > 0:
        raise HarkError(f"--rate {rate:g}: the sample rate must be a positive number of Hz")
    if recording is not None and not recording.is_file():
        raise HarkError(f"--recording {recording}: no such file")
    if label is not None:
        from hark.annotations.event import label_problem

        problem = label_problem(label)
        if problem:
            raise HarkError(f"--label: {problem}")
    if source.suffix.lower() == ".json":
        if output.exists() and not output.is_dir():
            raise HarkError(f"{output}: is a file; a soundevent project converts into a folder, one file per recording")
        if rate is not None or recording is not None or label is not None:
            raise HarkError("--rate, --recording and --label do not apply to a soundevent project (it holds its recordings' sample rates and labels)")
        from hark.annotations.convert import convert_soundevent_project

        written = convert_soundevent_project(source, output, target, annotator=annotator, label_key=tag_key)
        total = sum(count for _, count in written)
        typer.echo(f"wrote {total} event{'s' if total != 1 else ''} to {len(written)} file{'s' if len(written) != 1 else ''} in {output} ({target})")
        return
    from hark.annotations.folder import lists_recordings

    if lists_recordings(source):  # a clip-label table: one file per listed recording
        if output.exists() and not output.is_dir():
            raise HarkError(f"{output}: is a file; a clip-label table converts into a folder, one file per recording")
        if rate is not None or recording is not None or label is not None:
            raise HarkError("--rate, --recording and --label do not apply to a clip-label table (it names its recordings and labels)")
        from hark.annotations.convert import convert_clip_table

        written = convert_clip_table(source, output, target, annotator=annotator)
        typer.echo(f"wrote {len(written)} file{'s' if len(written) != 1 else ''}, one event each, in {output} ({target})")
        return
    if annotator is not None:
        raise HarkError("--annotator applies only to a soundevent project (.json) or a clip-label table; name the output file instead")
    if output.is_dir():
        raise HarkError(f"{output}: is a folder; give the output file's name")
    if output.parent.exists() and not output.parent.is_dir():
        raise HarkError(f"{output}: cannot write there, {output.parent} is a file, not a folder")
    if output.parent.is_dir() and not os.access(output.parent, os.W_OK | os.X_OK):
        raise HarkError(f"{output}: cannot write there, {output.parent} is not writable")

    from hark.annotations.convert import convert_annotations

    count = convert_annotations(source, output, target, samplerate=rate, recording=recording, label=label)
    typer.echo(f"wrote {count} event{'s' if count != 1 else ''} to {output} ({target})")


def register(app: typer.Typer) -> None:
    app.command("convert", epilog=EXAMPLE)(convert)
