"""``hark detect``: find candidate sounds with time and frequency thresholds."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from hark.audio import find_recordings
from hark.cli.common import CLUSTER_HELP, cluster_settings, given_on_command_line, lazy_epilog, params_help, plugin_values, progress_bar
from hark.detect import detectors
from hark.detect.run import detect_files
from hark.errors import HarkError

EXAMPLE = """Example:

  hark detect --out detections recordings/*.wav
  hark detect -p time_sigma=6,3 -p frequency_range=100-800 song.wav
  hark detect --cluster tcp://labserver:8786 --out detections recordings/
"""


def expand_recordings(paths: list[Path]) -> list[Path]:
    """Recordings named directly, and every recording inside a folder (recursively)."""
    return find_recordings(paths)


def _detector_listing() -> str:
    parts = ["Detector parameters (-p NAME=VALUE):"]
    for name, cls in detectors.items():
        parts.append(params_help(f"{name}: {(cls.__doc__ or '').strip().splitlines()[0]}", cls.Params))
    return "\n\n".join(parts)


def detect_command(
    context: typer.Context,
    recordings: list[Path] = typer.Argument(..., help="Recordings, or folders of recordings, to detect sounds in."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Folder for the CSVs (default: beside each recording)."),
    detector: str = typer.Option("time-freq-threshold", "--detector", "-d", help="Detector plugin to use."),
    param: list[str] = typer.Option([], "--param", "-p", help="Detector parameter NAME=VALUE (repeatable)."),
    params_file: Path | None = typer.Option(None, "--params", help="JSON or TOML file of detector parameters."),
    channel: int = typer.Option(0, "--channel", min=0, help="Channel of multi-channel recordings (from 0)."),
    reader: str = typer.Option("auto", "--reader", help="Audio reader plugin (auto: by file ending; highpass: filtered)."),
    reader_param: list[str] = typer.Option([], "--reader-param", help="Audio reader parameter NAME=VALUE (repeatable)."),
    workers: int = typer.Option(0, "--workers", "-j", min=0, help="Recordings processed at once (0: one per CPU core); with --cluster local, its worker processes."),
    cluster: str | None = typer.Option(None, "--cluster", help=CLUSTER_HELP),
    progress: bool | None = typer.Option(None, "--progress/--no-progress", help="Show a progress bar (default: on a terminal)."),
) -> None:
    """Detect sounds in recordings; writes <recording>-detected.csv with labels time, frequency and neither."""
    paths = expand_recordings(recordings)
    values = plugin_values(params_file, param)
    reader_values = plugin_values(None, reader_param, "--reader-param") or None
    settings = cluster_settings(cluster, paths, workers if given_on_command_line(context, "workers") else None)
    workers = workers or min(os.cpu_count() or 1, len(paths))
    with progress_bar(f"detecting in {len(paths)} recording(s)", progress) as on_progress:
        results = detect_files(paths, detector, values, out, channel, reader, reader_values, workers, on_progress, settings)
    failed = [r for r in results if not r.ok]
    for result in results:
        if result.ok:
            counts = ", ".join(f"{n} {label}" for label, n in sorted(result.counts.items())) or "nothing"
            typer.echo(f"{result.output}: {counts}")
    if failed:
        for result in failed:
            typer.echo(f"hark: error: {result.error}", err=True)
        raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    app.command("detect", cls=lazy_epilog(EXAMPLE, _detector_listing), help=detect_command.__doc__)(detect_command)
