"""``hark calls``: a table of call statistics per recording, DeepSqueak's in Python."""

from __future__ import annotations

from pathlib import Path

import typer

from hark.cli.common import params_help, plugin_values, progress_bar
from hark.errors import HarkError

EXAMPLE = """Example:

  hark calls --out DIR REC...
  hark calls --out stats --events rec_1.wav-annotated-gt.csv -p min_hz=20000 usv/1/rec_1.wav

Writes DIR/<rec>-calls.csv (one row per call: start_s, duration_s, low/high/principal/start/end
frequency in Hz, slope_hz_per_s, sinuosity, mean_power_db, tonality) and DIR/calls.xlsx (all
recordings on one sheet, with a sheet that explains the columns). Definitions: docs/calls.md.

A recording's calls are the events of --events, else DIR/<rec>-denoised.csv (hark denoise), else
the one DIR/<rec>-predicted-<ratio>pr.csv (hark ethogram), else the one <rec>-annotated-<who>.csv
beside the recording. Events marked rejected are skipped. A call without a box is searched
between min_hz and max_hz: set min_hz above the cage rumble for USVs (-p min_hz=20000)."""


def _params_listing() -> str:
    from hark.calls.stats import CallStatsParams

    return params_help("Measurement parameters (-p NAME=VALUE):", CallStatsParams)


def calls_command(
    recordings: list[Path] = typer.Argument(..., metavar="REC...", help="Recordings whose calls to measure."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for <rec>-calls.csv and calls.xlsx; also where denoised and predicted CSVs are looked for."),
    events: Path | None = typer.Option(None, "--events", help="CSV of the calls to measure (default: see below); with several recordings, each takes the rows that name it."),
    param: list[str] = typer.Option([], "--param", "-p", help="Measurement parameter NAME=VALUE (repeatable): window_ms, hop_ms, nfft, contour_db, min_hz, max_hz."),
    params_file: Path | None = typer.Option(None, "--params", help="JSON or TOML file of measurement parameters."),
    channel: int = typer.Option(0, "--channel", min=0, help="Channel of multi-channel recordings (from 0)."),
    reader: str = typer.Option("auto", "--reader", help="Audio reader plugin (auto: by file ending; highpass: filtered)."),
    reader_param: list[str] = typer.Option([], "--reader-param", help="Audio reader parameter NAME=VALUE (repeatable)."),
    progress: bool | None = typer.Option(None, "--progress/--no-progress", help="Show a progress bar (default: on a terminal)."),
) -> None:
    """Measure each call: start, duration, low/high/principal/start/end frequency, slope, sinuosity, mean power and tonality."""
    from hark.calls.run import write_call_statistics
    from hark.calls.stats import CallStatsParams
    from hark.params import validate_params

    for path in recordings:
        if not path.exists():
            raise HarkError(f"{path}: no such recording")
        if path.is_dir():
            raise HarkError(f"{path}: is a folder; give the recordings themselves")
    if events is not None and not events.is_file():
        raise HarkError(f"--events {events}: no such file")
    if out.exists() and not out.is_dir():
        raise HarkError(f"--out {out}: is a file, not a folder")
    params = validate_params(CallStatsParams, plugin_values(params_file, param), "hark calls parameters")
    reader_values = plugin_values(None, reader_param, "--reader-param") or None
    with progress_bar(f"measuring calls in {len(recordings)} recording(s)", progress) as on_progress:
        written = write_call_statistics(recordings, out, params, events, channel, reader, reader_values, on_progress)
    for result in written:
        typer.echo(f"{result.table}: {result.calls} call{'s' if result.calls != 1 else ''} (from {result.source.name})")
    typer.echo(f"{out / 'calls.xlsx'}: {sum(r.calls for r in written)} calls of {len(written)} recording(s)")


def register(app: typer.Typer) -> None:
    from hark.cli.common import lazy_epilog

    app.command("calls", cls=lazy_epilog(EXAMPLE, _params_listing), help=calls_command.__doc__)(calls_command)
