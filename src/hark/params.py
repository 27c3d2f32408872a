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

from hark.errors import HarkError

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
