"""``hark detect``: find candidate sounds with time and frequency thresholds.

Its options are generated from :class:`hark.detect.run.DetectRequest`; only how the work is
run (``--workers``, ``--cluster``, ``--progress``) and the parameter file are the command's own."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from hark.audio import find_recordings
from hark.cli.common import CLUSTER_HELP, cluster_settings, given_on_command_line, lazy_epilog, params_help, plugin_values, progress_bar
from hark.cli.requests import cli_option, request_command, request_from_cli
from hark.detect import detectors
from hark.detect.run import DetectRequest, detect_files

EXAMPLE = """Example:

  hark detect --out detections recordings/*.wav
  hark detect -p time_sigma=6,3 -p frequency_range=100-800 song.wav
  hark detect --cluster tcp://labserver:8786 --out detections recordings/
  hark detect --channel all --out detections stereo.wav   (one <rec>-ch<N>-detected.csv per channel)
"""


def expand_recordings(paths: list[Path]) -> list[Path]:
    """Recordings named directly, and every recording inside a folder (recursively)."""
    return find_recordings(paths)


def _detector_listing() -> str:
    parts = ["Detector parameters (-p NAME=VALUE):"]
    for name, cls in detectors.items():
        parts.append(params_help(f"{name}: {(cls.__doc__ or '').strip().splitlines()[0]}", cls.Params))
    return "\n\n".join(parts)


def run_detect(context: typer.Context, *, params_file: Path | None, workers: int, cluster: str | None, progress: bool | None, **values) -> None:
    request = request_from_cli(DetectRequest, values, params=plugin_values(params_file, values["params"]))
    paths = expand_recordings(request.recordings)  # the values are checked first, then the files
    request = request.model_copy(update={"recordings": paths})
    settings = cluster_settings(cluster, paths, workers if given_on_command_line(context, "workers") else None)
    workers = workers or min(os.cpu_count() or 1, len(paths))
    with progress_bar(f"detecting in {len(paths)} recording(s)", progress) as on_progress:
        results = detect_files(request, workers=workers, progress=on_progress, cluster=settings)
    failed = [r for r in results if not r.ok]
    for result in results:
        if result.ok:
            counts = ", ".join(f"{n} {label}" for label, n in sorted(result.counts.items())) or "nothing"
            typer.echo(f"{result.output}: {counts}")
    if failed:
        for result in failed:
            typer.echo(f"hark: error: {result.error}", err=True)
        raise typer.Exit(2)


detect_command = request_command(
    DetectRequest, run_detect, [
        "recordings", "out", "detector", "params",
        cli_option("params_file", Path | None, typer.Option(None, "--params", help="JSON or TOML file of detector parameters.")),
        "channel", "reader", "reader_params",
        cli_option("workers", int, typer.Option(0, "--workers", "-j", min=0, help="Recordings processed at once (0: one per CPU core); with --cluster local, its worker processes.")),
        cli_option("cluster", str | None, typer.Option(None, "--cluster", help=CLUSTER_HELP)),
        cli_option("progress", bool | None, typer.Option(None, "--progress/--no-progress", help="Show a progress bar (default: on a terminal).")),
    ],
    "Detect sounds in recordings; writes <recording>-detected.csv with labels time, frequency and neither.",
)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command("detect", cls=lazy_epilog(EXAMPLE, _detector_listing), help=detect_command.__doc__)(detect_command)
