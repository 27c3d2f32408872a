"""Forms generated from the parameter models every action declares (``hark.params.Params``).

Each field of a model becomes one widget: a check box for a yes/no, a menu for a fixed
choice (``Literal``), and a text box for everything else, shown as the command line would
take it (``9,4`` for a pair, ``a,b`` for a list, JSON for a table). The texts go back
through the model itself (:func:`parse_form`), so the GUI accepts exactly what the command
line and job specs accept and a bad value is the same one-line message, shown in the page.
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from pydantic import BaseModel

from hark.errors import HarkError
from hark.params import Params, validate_params


@dataclass(frozen=True)
class FieldSpec:
    """How one parameter is shown: ``kind`` is ``bool``, ``choice`` or ``text``."""

    name: str
    kind: str
    default_text: str
    description: str
    choices: tuple[str, ...] = ()
    limits: str = ""
    optional: bool = False


def _strip_optional(annotation) -> tuple[Any, bool]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        if len(args) == 1:
            return args[0], optional
        return annotation, optional
    return annotation, False


def _is_sequence(annotation) -> bool:
    inner, _ = _strip_optional(annotation)
    return inner in (list, tuple) or typing.get_origin(inner) in (list, tuple)


def display_value(value: Any) -> str:
    """A value as its text box shows it."""
    if value is None:
        return ""
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, (list, tuple)) and any(isinstance(v, PurePath) for v in value):
        value = [str(v) if isinstance(v, PurePath) else v for v in value]
    if isinstance(value, BaseModel):
        return json.dumps(value.model_dump(mode="json"))
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value) and not any(
            isinstance(v, str) and "," in v for v in value
        ):
            return ",".join(_number_text(v) for v in value)
        return json.dumps(list(value))
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return _number_text(value)


def _number_text(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _literal_choices(annotation) -> dict[str, Any]:
    inner, _ = _strip_optional(annotation)
    if typing.get_origin(inner) is typing.Literal:
        return {str(choice): choice for choice in typing.get_args(inner)}
    return {}


def _limits(field) -> str:
    words = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "min_length": "length ≥", "max_length": "length ≤"}
    parts = []
    for item in field.metadata:
        for attribute, word in words.items():
            bound = getattr(item, attribute, None)
            if bound is not None:
                parts.append(f"{word} {bound:g}" if isinstance(bound, float) else f"{word} {bound}")
    return ", ".join(parts)


def shown_in_form(field) -> bool:
    """Whether a field has a box in the form (a request's field marked ``form: False`` is filled
    by another section, e.g. detect's detector parameters)."""
    extra = field.json_schema_extra
    return not (isinstance(extra, dict) and extra.get("form") is False)


def field_specs(model: type[Params]) -> list[FieldSpec]:
    specs = []
    for name, field in model.model_fields.items():
        if not shown_in_form(field):
            continue
        annotation, optional = _strip_optional(field.annotation)
        default = field.get_default(call_default_factory=True)
        optional = optional or default is None
        description = field.description or ""
        limits = _limits(field)
        if annotation is bool and optional:  # yes, no, or (empty) the action decides
            specs.append(FieldSpec(name, "choice", display_value(default), description, ("", "true", "false"), limits, optional))
        elif annotation is bool:
            specs.append(FieldSpec(name, "bool", display_value(default), description, limits=limits, optional=optional))
        elif typing.get_origin(annotation) is typing.Literal or name in getattr(model, "field_choices", {}):
            # a field that names a plugin lists the registered ones (field_choices: name -> a function of no arguments)
            named = model.field_choices[name]() if typing.get_origin(annotation) is not typing.Literal else typing.get_args(annotation)
            choices = tuple(str(c) for c in named)
            choices = (("",) if optional else ()) + choices
            specs.append(FieldSpec(name, "choice", display_value(default), description, choices, limits, optional))
        else:
            specs.append(FieldSpec(name, "text", display_value(default), description, limits=limits, optional=optional))
    return specs


def parse_form(model: type[Params], texts: dict[str, Any], what: str) -> Params:
    """Build ``model`` from a form's texts; a bad value raises a one-line HarkError naming ``what`` and the field.

    An empty box means the field's default (None for a field whose default is None);
    ``[...]`` and ``{...}`` are JSON; other texts go to the model as the command line's
    ``NAME=VALUE`` would. A list field given ``a,b`` that the model does not split itself is
    split at the commas.
    """
    values: dict[str, Any] = {}
    fields = model.model_fields
    unknown = sorted(set(texts) - set(fields))
    if unknown:
        raise HarkError(f"{what}: unknown field(s) {', '.join(unknown)}")
    for name, raw in texts.items():
        field = fields[name]
        if isinstance(raw, bool):
            values[name] = raw
            continue
        text = "" if raw is None else str(raw).strip()
        if not text:
            if field.get_default(call_default_factory=True) is None:
                values[name] = None
            continue
        choices = _literal_choices(field.annotation)
        if text in choices:  # a menu's text back to the choice itself (2, not "2")
            values[name] = choices[text]
            continue
        if text[0] in "[{":
            try:
                values[name] = json.loads(text)
            except ValueError as err:
                raise HarkError(f"{what}: {name}: {text!r} is not valid JSON ({err})") from None
            continue
        values[name] = text
    try:
        return validate_params(model, values, what)
    except HarkError as first:
        split = {
            name: [part.strip() for part in value.split(",")] if isinstance(value, str) and _is_sequence(fields[name].annotation) else value
            for name, value in values.items()
        }
        if split == values:
            raise
        try:
            return validate_params(model, split, what)
        except HarkError:
            raise first from None


def form_texts(model: type[Params], params: Params) -> dict[str, Any]:
    """The texts a form shows for ``params`` (what :func:`parse_form` turns back into them)."""
    out: dict[str, Any] = {}
    for spec in field_specs(model):
        value = getattr(params, spec.name)
        out[spec.name] = bool(value) if spec.kind == "bool" else display_value(value)
    return out
