"""`hark info`: what a recording, a ground-truth folder, a SongExplorer CSV or another annotation file holds."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from hark.errors import HarkError

EXAMPLE = "Example: hark info groundtruth/   (or a recording: hark info song.wav, or a CSV)"


def info(
    path: Path = typer.Argument(..., metavar="PATH", help="A recording, a folder of recordings and their annotation files, a SongExplorer CSV or an annotation file of any registered format."),
    as_json: bool = typer.Option(False, "--json", help="Print the same facts as JSON."),
) -> None:
    """Show a recording's format and annotations, a folder's recordings and annotation counts, or an annotation file's counts.

    Unreadable recordings and CSVs, and CSVs that match no recording, are listed as warnings rather than stopping the report.
    """
    if not path.exists():
        raise HarkError(f"{path}: no such file or folder")

    from hark.annotations.folder import lists_recordings
    from hark.annotations.report import describe_annotation_file, describe_csv, describe_folder, describe_recording
    from hark.audio import audio_suffixes

    if path.is_dir() or lists_recordings(path):  # a clip-label table stands for the folder of its recordings
        report = describe_folder(path)
    elif path.suffix.lower() in {s.lower() for s in audio_suffixes()}:
        report = describe_recording(path)
    elif path.suffix.lower() == ".csv":
        report = describe_csv(path)
    else:
        report = describe_annotation_file(path)

    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    _print_report(report)


def _console() -> Console:
    # Piped output is not cut at 80 columns: long file names must survive grep and logs.
    return Console(file=sys.stdout, width=None if sys.stdout.isatty() else 200, highlight=False, soft_wrap=False)


def _print_report(report: dict[str, Any]) -> None:
    out = _console()
    if report["type"] == "recording":
        facts = Table.grid(padding=(0, 2))
        facts.add_row("recording", report["path"])
        facts.add_row("sample rate", f"{report['samplerate']} Hz")
        facts.add_row("duration", f"{report['duration_s']:.3f} s")
        facts.add_row("frames", str(report["frames"]))
        facts.add_row("channels", str(report["channels"]))
        facts.add_row("format", f"{report['format']} / {report['subtype']}")
        out.print(facts)
    elif report["type"] == "folder":
        where = f"listed by {report['table']}" if report.get("table") else f"in {report['path']}"
        table = Table(title=f"{len(report['recordings'])} recordings {where}", title_justify="left")
        for name, justify in (("recording", "left"), ("rate (Hz)", "right"), ("duration (s)", "right"), ("channels", "right"), ("CSVs", "right")):
            table.add_column(name, justify=justify, overflow="fold")
        for rec in report["recordings"]:
            table.add_row(rec["path"], str(rec["samplerate"]), f"{rec['duration_s']:.3f}", str(rec["channels"]), str(len(rec["annotation_files"])))
        out.print(table)
        if report.get("split"):
            out.print(f"split column: {report['split']['training']} training, {report['split']['validation']} validation")
        if report.get("groups"):
            out.print(f"groups: {report['groups']} (each kept on one side of the split)")
    elif report["type"] == "csv":
        out.print(f"SongExplorer CSV {report['path']}")
    else:
        out.print(f"{report['format']} annotations {report['path']}")

    files = report["annotation_files"] if report["type"] != "folder" else None
    if files:
        out.print("annotation files: " + ", ".join(files))
    counts = Table(title="annotations", title_justify="left")
    counts.add_column("kind")
    counts.add_column("label")
    counts.add_column("count", justify="right")
    for row in report["annotations"]:
        counts.add_row(row["kind"], row["label"], str(row["count"]))
    if report["annotations"]:
        out.print(counts)
    else:
        out.print("annotations: none")

    for other in report.get("unnamed", []):
        # one line each: what the file seems to be and the command that makes hark read it
        typer.echo(f"not read: {other['path']} ({other['format']} annotations): {other['use']}")

    conflicts = report.get("conflicts")
    if conflicts and conflicts["count"]:
        # one line each, so that grep finds a place and both files
        typer.echo(f"conflicts: {conflicts['count']} place(s) where annotation files disagree (hark train refuses them without --annotators):")
        for place in conflicts["places"]:
            typer.echo(f"  {place['text']}")
        if conflicts["count"] > len(conflicts["places"]):
            typer.echo(f"  ... and {conflicts['count'] - len(conflicts['places'])} more")

    for warning in report["warnings"]:
        # One line each, never wrapped at the console's width: a log or grep sees whole warnings.
        typer.echo(f"warning: {warning}", err=True)


def register(app: typer.Typer) -> None:
    app.command("info", epilog=EXAMPLE)(info)
