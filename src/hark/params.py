"""Parameters of every component, declared once as pydantic models.

The same model validates a command line's ``--param name=value`` pairs, a job spec and
(later) a GUI form. ``extra="forbid"`` makes a misspelt parameter an error instead of a
silently ignored default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from hark.errors import HarkError, ParameterError

P = TypeVar("P", bound="Params")


class Params(BaseModel):
    """Base of every parameter model: strict about names, immutable once built."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class NoParams(Params):
    """For plugins that take no parameters."""


def validate_params(model: type[P], values: Mapping[str, Any] | None, what: str) -> P:
    """Build ``model`` from ``values``; a bad value becomes a one-line HarkError naming ``what``."""
    try:
        return model.model_validate(dict(values or {}))
    except ValidationError as err:
        problems = []
        for e in err.errors():
            name = ".".join(str(p) for p in e["loc"]) or "parameters"
            msg = e["msg"].removeprefix("Value error, ")  # pydantic's wording for a validator's ValueError
            if e["type"] == "extra_forbidden":
                known = ", ".join(model.model_fields) or "none"
                msg = f"unknown parameter (known: {known})"
            problems.append(f"{name}: {msg}")
        raise HarkError(f"{what}: " + "; ".join(problems)) from None


def parse_assignments(pairs: Iterable[str], what: str = "--param") -> dict[str, str]:
    """``["a=1", "b=x,y"]`` -> ``{"a": "1", "b": "x,y"}``; pydantic converts the strings."""
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or not name:
            raise HarkError(f"{what} {pair!r}: expected NAME=VALUE")
        values[name] = value.strip()
    return values


@dataclass(frozen=True)
class ParamDoc:
    """What a user needs to know about one parameter (for --help, docs and GUI forms)."""

    name: str
    type: str
    default: Any
    description: str


def describe_params(model: type[Params]) -> list[ParamDoc]:
    docs = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        type_name = getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")
        docs.append(ParamDoc(name, type_name, field.get_default(call_default_factory=True), field.description or ""))
    return docs


def _request_problem(error: dict) -> str:
    """One pydantic error as hark words it, ``{param}`` standing for the parameter's name."""
    value, context, kind = error.get("input"), error.get("ctx") or {}, error["type"]
    shown = f"{value:g}" if isinstance(value, float) else repr(value) if isinstance(value, str) else str(value)
    if kind == "missing":
        return "{param} is required"
    if kind == "greater_than" and context.get("gt") == 0:
        return f"{{param}} {shown} must be positive"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        words = {"greater_than": "greater than", "greater_than_equal": "at least", "less_than": "less than", "less_than_equal": "at most"}
        bound = next(iter(context.values()))
        return f"{{param}} {shown} must be {words[kind]} {bound:g}" if isinstance(bound, float) else f"{{param}} {shown} must be {words[kind]} {bound}"
    if kind == "literal_error":
        expected = str(context.get("expected", "")).replace("'", "")
        return f"{{param}} {shown}: expected {expected}"
    return f"{{param}} {shown}: {error['msg'].removeprefix('Value error, ')}"


def validate_request(model: type[P], values: Mapping[str, Any]) -> P:
    """Build an action's request ``model`` from ``values``; a bad or missing value is a
    :class:`hark.errors.ParameterError` naming the parameter (the first one at fault), which
    the command line words with the flag and the GUI with the form's field."""
    unknown = sorted(set(values) - set(model.model_fields))
    if unknown:
        raise ParameterError(unknown[0], f"{{param}}: unknown parameter (known: {', '.join(model.model_fields)})")
    try:
        return model.model_validate(dict(values))
    except ValidationError as err:
        first = err.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "parameters"
        raise ParameterError(name, _request_problem(first)) from None


def as_request(model: type[P], given: Any, first: str, values: Mapping[str, Any], renamed: Mapping[str, str] | None = None) -> P:
    """The request of a library function that also keeps its older keyword form: ``given``
    itself when it is a ``model``, else ``model`` built from ``given`` (the value of field
    ``first``) and keyword ``values`` (named as ``renamed`` says, e.g. ``out_dir`` -> ``out``;
    None meaning the field's default)."""
    if isinstance(given, model):
        if values:
            raise TypeError(f"give a {model.__name__} or keyword parameters, not both ({', '.join(values)})")
        return given
    renamed = renamed or {}
    table = {first: given}
    for name, value in values.items():
        name = renamed.get(name, name)
        field = model.model_fields.get(name)
        if value is None and field is not None and not field.is_required() and field.get_default(call_default_factory=True) is not None:
            continue
        table[name] = value
    return validate_request(model, table)


def validate_shared(model: type[P], params: Mapping[str, Any], **fixed: Any) -> P:
    """Check a job record's ``params`` by the request ``model`` of its action: the fields they share
    (``fixed`` fills the request's others, e.g. the record's one recording), so a bad value in a
    job spec is the same one-line :class:`~hark.errors.ParameterError` as on the command line."""
    shared = {name: value for name, value in params.items() if name in model.model_fields}
    return validate_request(model, {**shared, **fixed})
