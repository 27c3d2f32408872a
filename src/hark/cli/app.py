"""The ``hark`` application: one typer app, one module per command, one-line errors."""

from __future__ import annotations

import importlib
import os
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
    "delete_checkpoints",
    "classify",
    "ethogram",
    "denoise",
    "calls",
    "syntax",
    "misses",
    "activations",
    "cluster",
    "embed",
    "search",
    "suggest",
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
        from typer._click import exceptions as click_errors  # typer 0.29 carries its own click
    except ImportError:  # pragma: no cover - a typer that uses click itself
        from click import exceptions as click_errors

    try:
        # Not standalone: click's own errors (a bad option value, a missing argument) come here
        # as exceptions, to be said in one line like hark's, instead of click's framed box.
        returned = app(args=argv, standalone_mode=False)
    except click_errors.NoArgsIsHelpError as err:
        print(err.ctx.get_help() if err.ctx else err.format_message())
        return 2
    except click_errors.UsageError as err:
        print(f"hark: error: {usage_error_line(err)}", file=sys.stderr)
        return 2
    except click_errors.ClickException as err:
        print(f"hark: error: {' '.join(err.format_message().split())}", file=sys.stderr)
        return err.exit_code
    except typer.Abort:
        print("hark: interrupted", file=sys.stderr)
        return 130
    except HarkError as err:
        from hark.cli.common import error_message

        print(f"hark: error: {error_message(err, typer.main.get_command(app), sys.argv[1:] if argv is None else argv)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hark: interrupted", file=sys.stderr)
        return 130
    except OSError as err:  # the system failed where no hark code caught it first (EIO, a full disk, no permission)
        from hark.fileio import os_error_line

        if os.environ.get("HARK_DEBUG"):  # a developer wants the traceback
            raise
        print(f"hark: error: {os_error_line(err)} (HARK_DEBUG=1 shows where)", file=sys.stderr)
        return 2
    except SystemExit as exit_:
        return int(exit_.code or 0) if not isinstance(exit_.code, str) else 1
    return returned if isinstance(returned, int) and not isinstance(returned, bool) else 0


def usage_error_line(err) -> str:
    """A click usage error (bad option value, unknown option, missing argument) as one line."""
    message = " ".join(err.format_message().split())
    command = err.ctx.command_path if err.ctx is not None else "hark"
    return f"{command}: {message} (see {command} -h)"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
