"""The ``hark`` application: one typer app, one module per command, one-line errors."""

from __future__ import annotations

import importlib
import sys

import typer

from hark import __version__
from hark.errors import HarkError

app = typer.Typer(
    name="hark",
    help="From raw recordings of animals to quantified detections of the sounds you care about.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hark {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print hark's version and exit."),
) -> None:
    """hark: detect, annotate, train, classify and validate animal sounds."""


# Each command lives in its own module of hark.cli and adds itself to ``app``; this order is
# the order of ``hark --help``.
COMMAND_MODULES = (
    "detect",
    "train",
    "accuracy",
    "xvalidate",
    "generalize",
    "compare",
    "ensemble",
    "freeze",
    "classify",
    "ethogram",
    "denoise",
    "calls",
    "misses",
    "activations",
    "cluster",
    "congruence",
    "gui",
    "info",
    "convert",
    "resample",
    "demo",
    "stream",
)


def _register_commands() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"hark.cli.{name}").register(app)


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``hark`` console script."""
    try:
        app(args=argv, standalone_mode=True)
    except HarkError as err:
        from hark.cli.common import error_message

        print(f"hark: error: {error_message(err, typer.main.get_command(app), sys.argv[1:] if argv is None else argv)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hark: interrupted", file=sys.stderr)
        return 130
    except OSError as err:  # a full disk where no hark write caught it first: still one line
        from hark.fileio import disk_full_line, is_disk_full

        if not is_disk_full(err):
            raise
        print(f"hark: error: {disk_full_line(err)}", file=sys.stderr)
        return 2
    except SystemExit as exit_:
        return int(exit_.code or 0) if not isinstance(exit_.code, str) else 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
