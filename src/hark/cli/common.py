"""Pieces that several commands share: plugin parameters, their help text, progress bars, errors."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import typer

from hark.errors import HarkError, ParameterError
from hark.params import Params, describe_params, parse_assignments


def load_param_file(path: Path | None) -> dict[str, Any]:
    """Parameters from a JSON or TOML file (a table of NAME = VALUE)."""
    if path is None:
        return {}
    if not path.is_file():
        raise HarkError(f"{path}: no such parameter file")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".toml":
            if sys.version_info >= (3, 11):
                import tomllib
            else:  # pragma: no cover
                import tomli as tomllib
            values = tomllib.loads(text)
        else:
            values = json.loads(text)
    except ValueError as err:
        raise HarkError(f"{path}: not valid {'TOML' if path.suffix.lower() == '.toml' else 'JSON'} ({err})") from None
    if not isinstance(values, dict):
        raise HarkError(f"{path}: expected a table of parameter names and values")
    return values


def plugin_values(param_file: Path | None, assignments: Sequence[str], option: str = "--param") -> dict[str, Any]:
    """File values first, then NAME=VALUE pairs from the command line on top."""
    values = load_param_file(param_file)
    values.update(parse_assignments(assignments, option))
    return values


def params_help(title: str, model: type[Params]) -> str:
    """One line per parameter: name, default and what it does."""
    lines = [title]
    for doc in describe_params(model):
        default = doc.default
        if isinstance(default, tuple):
            # ranges with an open end read LO-HI, pairs read A,B (as they are typed)
            separator = "-" if None in default else ","
            default = separator.join("" if v is None else f"{v:g}" if isinstance(v, float) else str(v) for v in default)
        elif isinstance(default, float):
            default = f"{default:g}"
        lines.append(f"  {doc.name} = {default}  -- {doc.description}")
    return "\n".join(lines)


@contextlib.contextmanager
def progress_bar(description: str, enabled: bool | None) -> Iterator[Callable[[float], None] | None]:
    """A rich progress bar driven by a fraction-done callback; off when not on a terminal."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    from rich.console import Console

    with Progress(*columns, console=Console(stderr=True)) as progress:
        task = progress.add_task(description, total=1.0)
        yield lambda fraction: progress.update(task, completed=fraction)


CLUSTER_HELP = (
    "Where the jobs run: local, tcp://HOST:PORT (a Dask scheduler), slurm, lsf, pbs or sge, over hark.toml's "
    "[cluster] settings (default: hark.toml's, else this machine as before; see docs/jobs.md)."
)


def cluster_settings(option: str | None, recordings: Sequence[Path], workers: int | None = None):
    """The cluster settings for a command on ``recordings``: ``--cluster`` over the nearest
    hark.toml in their common folder or above it (else in the current folder); None when neither
    says anything. ``workers`` (an explicit ``--workers``) sizes a local cluster."""
    from hark.jobs.settings import resolve_cluster

    settings = resolve_cluster(option, [Path(p).parent for p in recordings])
    if settings is not None and workers and settings.kind == "local":
        settings = settings.model_copy(update={"workers": workers})
    return settings


JOB_CLUSTER_HELP = (
    "Run this as a job there: local, tcp://HOST:PORT (a Dask scheduler), slurm, lsf, pbs or sge, over hark.toml's "
    "[cluster] settings (default: hark.toml's, else right here; see docs/jobs.md)."
)


def folder_cluster_settings(option: str | None, folder: Path):
    """``--cluster`` over the nearest hark.toml of ``folder`` (else the current folder's); None when
    neither says anything, and the command then runs right here as it always has."""
    from hark.jobs.settings import resolve_cluster

    return resolve_cluster(option, [folder])


def run_jobs_or_exit(jobs: Sequence, settings, progress: Callable[[float], None] | None = None) -> list:
    """Run ``jobs`` where ``settings`` say; one line per job (where it ran, its log), and exit 2
    after reporting every failure, so one failed replicate does not hide the others' results."""
    from hark.jobs import run_jobs

    outcomes = run_jobs(jobs, settings, progress)
    for outcome in outcomes:
        if outcome.ok:
            where = f" on {outcome.worker}" if outcome.worker else ""
            typer.echo(f"{outcome.job.name}: done{where} in {outcome.seconds:.1f} s (log: {outcome.job.log})")
        else:
            typer.echo(f"hark: error: {outcome.error}", err=True)
    if any(not outcome.ok for outcome in outcomes):
        raise typer.Exit(2)
    return outcomes


def given_on_command_line(context, name: str) -> bool:
    """Whether the user typed option ``name`` (not just its default)."""
    # by name: typer 0.29 carries its own click, whose ParameterSource is not click's
    return getattr(context.get_parameter_source(name), "name", None) == "COMMANDLINE"


def lazy_epilog(example: str, plugin_listing: Callable[[], str]):
    """A command class whose epilog is ``example`` plus a plugin listing built when help is shown.

    The listing names the plugins registered in this process: built at start-up, the
    modules it imports (torch among them) would slow every command; and the generated
    reference (docs/cli.md) keeps to ``example``, which does not depend on what is installed.
    """
    from typer.core import TyperCommand

    class LazyEpilogCommand(TyperCommand):
        documented_epilog = example

        @property
        def epilog(self) -> str:
            return f"{example}\n\n{plugin_listing()}"

        @epilog.setter
        def epilog(self, value) -> None:  # click sets it in __init__; ours is computed
            pass

    return LazyEpilogCommand


# library parameters that the commands' options spell otherwise (the function's name -> the option's)
OPTION_NAMES = {"out_dir": "out", "samplerate": "rate", "prior": "priors", "renames": "rename"}


def error_message(error: HarkError, root, args: Sequence[str]) -> str:
    """The one line the command line prints for ``error``: a :class:`ParameterError` names its
    parameters by the flags of the command that ran (``root``: hark's click group, ``args``: the
    command line), as the user typed them (``-o`` or ``--out``); other errors as they are."""
    if not isinstance(error, ParameterError):
        return str(error)
    command = next((root.commands[arg] for arg in args if not arg.startswith("-") and arg in root.commands), None)
    if command is None:
        return str(error)
    flags = {}
    for option in command.params:
        names = [name for name in option.opts if name.startswith("-")]
        spelt = names + [name for name in getattr(option, "secondary_opts", []) if name.startswith("-")]  # --no-boxes
        typed = [name for name in spelt if any(arg == name or arg.startswith(name + "=") for arg in args)]
        if names:
            flags[option.name] = (typed or [max(names, key=len)])[0]
    return error.phrased(lambda name: flags.get(name) or flags.get(OPTION_NAMES.get(name, ""), name))
