"""``hark gui``: annotate, review and fix mistakes, and run every action, in the browser."""

from __future__ import annotations

import getpass
import re
from pathlib import Path

import typer

from hark.cli.common import plugin_values

EXAMPLE = """Example:

  hark gui groundtruth                       # then open the address it prints
  hark gui groundtruth --annotator alice --port 5007
  hark gui groundtruth --double-click snap-to-peak --double-click-param drop_db=20
  hark gui groundtruth --video-finder strip-channel   # rec_ch3.wav shows rec.mp4
  hark gui groundtruth --host 0.0.0.0 --token $(python -c 'import secrets; print(secrets.token_urlsafe(16))')

Edits are saved at once to <recording>-annotated-<annotator>.csv beside each recording.
Only files inside DATA_DIR can be opened or written. docs/gui.md describes the gestures and keys.
"""


def default_annotator() -> str:
    """The login name, as an annotator name may be (no spaces or slashes), else "me"."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        return "me"
    name = re.sub(r"[\s/\\]+", "_", name).strip("_")
    return name or "me"


def gui_command(
    data_dir: Path = typer.Argument(..., help="Data folder: recordings with their annotation CSVs (a ground-truth folder), models, outputs."),
    port: int = typer.Option(5006, "--port", help="Port to listen on (0: any free port)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on; anything but this machine's own needs --token."),
    annotator: str | None = typer.Option(None, "--annotator", help="Your name, for <recording>-annotated-<name>.csv (default: your login name)."),
    token: str | None = typer.Option(None, "--token", envvar="HARK_GUI_TOKEN", help="Secret every page must carry as ?token=... (required with --host)."),
    double_click: str = typer.Option("point", "--double-click", help="What a double-click on blank space lays: point, or snap-to-peak (the loudest moment near it, as a range)."),
    double_click_param: list[str] = typer.Option([], "--double-click-param", help="Parameter of the double-click plugin, NAME=VALUE (repeatable; see docs/gui.md)."),
    follow_symlinks: bool = typer.Option(False, "--follow-symlinks", help="Open recordings that are symbolic links to outside DATA_DIR (else they are listed as skipped)."),
    video_finder: str = typer.Option("same-name", "--video-finder", help="Which movie is shown beside a recording: same-name (rec.wav -> rec.mp4/.avi/.mov/.mkv beside it), or strip-channel (rec_ch3.wav -> rec.mp4)."),
    video_finder_param: list[str] = typer.Option([], "--video-finder-param", help="Parameter of the video finder, NAME=VALUE (repeatable; see docs/gui.md)."),
) -> None:
    """Serve the GUI: recordings, annotating and reviewing, cluster maps, actions and jobs."""
    from hark.gui.server import GuiSettings, serve

    values = plugin_values(None, double_click_param, "--double-click-param")
    finder_values = plugin_values(None, video_finder_param, "--video-finder-param")
    settings = GuiSettings(
        data_dir, host, port, annotator or default_annotator(), token, double_click, values, follow_symlinks, video_finder, finder_values
    ).check()

    def announce(url: str) -> None:
        typer.echo(f"hark gui: serving {data_dir} as annotator {settings.annotator} at {url}", color=False)
        typer.echo("open that address in a browser; press Ctrl+C to stop")

    serve(settings, announce)


def register(app: typer.Typer) -> None:
    app.command("gui", epilog=EXAMPLE, help=gui_command.__doc__)(gui_command)
