"""The command reference (docs/cli.md), generated from the commands themselves.

``python -m hark.cli.reference > docs/cli.md`` rewrites it; a test fails when the file and
the commands disagree, so the reference never goes stale.
"""

from __future__ import annotations

import typer.main

from hark.cli.app import app


def _is_argument(param) -> bool:
    return param.param_type_name == "argument"


def _option_row(param) -> str:
    names = ", ".join(f"`{name}`" for name in [*param.opts, *getattr(param, "secondary_opts", [])])
    default = param.default
    shown = "" if default in (None, [], ()) or _is_argument(param) else f"`{default}`"
    text = (getattr(param, "help", None) or "").replace("|", "\\|")
    return f"| {names} | {shown} | {text} |"


def command_reference() -> str:
    root = typer.main.get_command(app)
    lines = [
        "# Command reference",
        "",
        "Generated from the commands (`python -m hark.cli.reference > docs/cli.md`); `hark COMMAND --help` says the same.",
        "Every command checks its inputs before it starts, and reports a mistake as one line",
        "(`hark: error: ...`) with exit code 2.",
    ]
    for name, command in root.commands.items():
        lines += ["", f"## `hark {name}`", "", (command.help or "").strip(), ""]
        usage = " ".join(p.name.upper() + ("..." if p.nargs == -1 else "") for p in command.params if _is_argument(p))
        lines += [f"Usage: `hark {name} [OPTIONS] {usage}`".rstrip() + "", ""]
        lines += ["| argument / option | default | meaning |", "| --- | --- | --- |"]
        lines += [_option_row(p) for p in command.params if p.name != "help"]
        epilog = getattr(command, "documented_epilog", command.epilog)
        if epilog:
            lines += ["", "```", epilog.strip(), "```"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(command_reference(), end="")
