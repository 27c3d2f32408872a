"""Typer commands generated from an action's request model (``DetectRequest``, ``ClassifyRequest``, ...).

Each field of the request becomes one option (or the argument): its flags, help, default and
type are the field's, written once beside the library function. A field says how it is typed
on the command line through ``json_schema_extra``:

- ``flags``: the option's names (default ``--field-name``), e.g. ``("--out", "-o")``, or
  ``("--boxes/--no-boxes",)`` for an on/off pair;
- ``argument``: the command's argument (the recordings) instead of an option;
- ``pairs``: a table typed as repeatable ``NAME=VALUE`` options (``-p time_sigma=6,3``);
- ``cli_help``: the help when the command line types the value otherwise than the form does;
- ``commas``: a list typed as one comma-separated text (``--labels a,b``);
- ``metavar``: how ``--help`` shows the value (``N|auto``) instead of its type.

Ranges are not click's: the request checks them, so a bad value is the same one-line
message from the command line (naming the flag), the GUI (the field) and a job (the parameter).
``--help`` shows them as click would (``<int range> [x>=0]``), from the field's bounds.
Options that only the command line has (``--cluster``, ``--progress``, ``--workers``, a
parameter file) are given to :func:`request_command` as plain typer parameters. An ``...`` in
the order stands for the fields it does not name, in the order the request declares them, so
a field added to the request becomes an option without another edit.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import typer

from hark.params import P, Params, parse_assignments, validate_request


def field_extra(field) -> dict[str, Any]:
    extra = field.json_schema_extra
    return dict(extra) if isinstance(extra, dict) else {}


def option_flags(name: str, field) -> tuple[str, ...]:
    """The flags of a request field's option (``--field-name`` unless the field names others)."""
    return tuple(field_extra(field).get("flags") or ("--" + name.replace("_", "-"),))


def _plain(annotation):
    """A type typer can parse: Literal choices as text (the request checks them), Optional kept."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [_plain(a) for a in typing.get_args(annotation) if a is not type(None)]
        inner = args[0] if len(args) == 1 else str
        return inner | None
    if origin is typing.Literal:
        return type(typing.get_args(annotation)[0])
    if origin in (list, tuple, Sequence):
        return list[_plain(typing.get_args(annotation)[0])]
    return annotation


BOUNDS = ("Ge", "Gt", "Le", "Lt")  # annotated_types' bounds, as pydantic keeps ge=, gt=, le=, lt=


def range_metavar(field) -> str | None:
    """How ``--help`` shows a number field's range (``<float range> [0<=x<=1]``), as click shows
    its own ranges; None for a field without bounds. Shown only: the request checks the value."""
    bounds = {type(b).__name__: getattr(b, type(b).__name__.lower()) for b in field.metadata if type(b).__name__ in BOUNDS}
    low = next(((bounds[name], sign) for name, sign in (("Ge", "<="), ("Gt", "<")) if name in bounds), None)
    high = next(((bounds[name], sign) for name, sign in (("Le", "<="), ("Lt", "<")) if name in bounds), None)
    number = _plain(field.annotation)
    number = next((a for a in typing.get_args(number) if a is not type(None)), number)  # int | None -> int
    if (low is None and high is None) or number not in (int, float):
        return None
    if high is None:
        shown = f"x{'>=' if low[1] == '<=' else '>'}{low[0]}"
    elif low is None:
        shown = f"x{high[1]}{high[0]}"
    else:
        shown = f"{low[0]}{low[1]}x{high[1]}{high[0]}"
    return f"<{number.__name__} range> [{shown}]"


def request_parameters(model: type[Params]) -> dict[str, inspect.Parameter]:
    """One typer parameter per field of ``model``, keyed by the field's name."""
    parameters = {}
    for name, field in model.model_fields.items():
        extra = field_extra(field)
        help_text = extra.get("cli_help", field.description)
        default = ... if field.is_required() else field.get_default(call_default_factory=True)
        annotation = _plain(field.annotation)
        if extra.get("pairs"):
            default, annotation = [], list[str]
        elif extra.get("commas"):  # one text, split by the request
            default = ",".join(default) if isinstance(default, list) and default else None if isinstance(default, list) else default
            annotation = str if field.is_required() else str | None
        if extra.get("argument"):
            info = typer.Argument(default, help=help_text)
        else:
            info = typer.Option(default, *option_flags(name, field), help=help_text, metavar=extra.get("metavar") or range_metavar(field))
        parameters[name] = inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=info, annotation=annotation)
    return parameters


def cli_option(name: str, annotation, info) -> inspect.Parameter:
    """A command-line-only option (``info``: a ``typer.Option``) to place among the request's."""
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=info, annotation=annotation)


def request_command(
    model: type[Params], run: Callable[..., None], order: Sequence[str | inspect.Parameter | types.EllipsisType], doc: str
) -> Callable[..., None]:
    """The typer command of ``model``: ``order`` lists the request's field names and the
    command-line-only options (from :func:`cli_option`) in the order ``--help`` shows them; the
    command calls ``run(context, **values)`` with every value as typed. An ``...`` in ``order``
    stands for the fields ``order`` does not name, in the request's order."""
    fields = request_parameters(model)
    named = {item for item in order if isinstance(item, str)}
    parameters = [inspect.Parameter("context", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context)]
    for item in order:
        if item is Ellipsis:
            parameters += [fields.pop(name) for name in list(fields) if name not in named]
        else:
            parameters.append(fields.pop(item) if isinstance(item, str) else item)
    if fields:
        raise TypeError(f"{model.__name__}: fields {', '.join(fields)} have no place among the options")

    def command(context: typer.Context, **values: Any) -> None:
        run(context, **values)

    command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    command.__doc__ = doc
    command.__annotations__ = {}
    return command


def request_from_cli(model: type[P], values: Mapping[str, Any], **converted: Any) -> P:
    """The request from the typed options: ``pairs`` fields parsed from ``NAME=VALUE`` (their
    flag names the pair), ``converted`` (values the command turned into the
    field's type itself) over them, every value checked by the request."""
    table = {}
    for name, field in model.model_fields.items():
        if name in converted:
            table[name] = converted[name]
        elif name in values:
            value = values[name]
            if field_extra(field).get("pairs"):
                value = parse_assignments(value, option_flags(name, field)[0]) or field.get_default(call_default_factory=True)
            elif isinstance(value, (list, tuple)) and not value and not field.is_required() and field.get_default() is None:
                value = None  # click's empty repeatable option or argument: the field's "none given"
            elif value is None and field_extra(field).get("commas") and not field.is_required():
                continue  # a list option not given: the field's default
            table[name] = value
    return validate_request(model, table)
