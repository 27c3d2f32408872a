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
    required: bool = False  # no default: the form must fill it


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


def _nested_model(annotation) -> type[Params] | None:
    """The parameter model a field holds (``TrainParams.transfer``: ``TransferParams``), else None."""
    inner, _ = _strip_optional(annotation)
    return inner if isinstance(inner, type) and issubclass(inner, Params) else None


def _is_range(annotation) -> bool:
    """A ``(low, high)`` pair whose bounds may be left open (``frequency_range``), typed as the CLI's ``100-800``."""
    inner, _ = _strip_optional(annotation)
    args = typing.get_args(inner)
    return typing.get_origin(inner) is tuple and len(args) == 2 and any(_strip_optional(a)[1] for a in args)


def range_text(value: Any) -> str:
    """``(100.0, 800.0)`` as ``100-800``, ``(0.0, None)`` as ``0-``: as the command line takes a range."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        return display_value(value)
    return "-".join("" if bound is None else f"{bound:g}" if isinstance(bound, float) else str(bound) for bound in value)


def field_specs(model: type[Params]) -> list[FieldSpec]:
    specs = []
    for name, field in model.model_fields.items():
        if not shown_in_form(field):
            continue
        nested = _nested_model(field.annotation)
        if nested is not None:  # one box per field of the nested model, named transfer.models, ...
            for spec in field_specs(nested):
                specs.append(FieldSpec(f"{name}.{spec.name}", spec.kind, "" if spec.kind != "bool" else spec.default_text,
                                       f"{field.description or name}: {spec.description}", spec.choices, spec.limits, True))  # fmt: skip
            continue
        annotation, optional = _strip_optional(field.annotation)
        required = field.is_required()
        default = None if required else field.get_default(call_default_factory=True)
        optional = (optional or default is None) and not required
        description = field.description or ""
        limits = _limits(field)
        if _is_range(field.annotation):
            specs.append(FieldSpec(name, "text", range_text(default), description, limits=limits, optional=optional))
            continue
        if required and annotation is not bool and typing.get_origin(annotation) is not typing.Literal:
            specs.append(FieldSpec(name, "text", "", description, limits=limits, required=True))
            continue
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
    texts = _gather_nested(model, texts, what)
    unknown = sorted(set(texts) - set(fields))
    if unknown:
        raise HarkError(f"{what}: unknown field(s) {', '.join(unknown)}")
    for name, raw in texts.items():
        if isinstance(raw, dict):  # a nested model's boxes, already read as its own form
            values[name] = raw
            continue
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
        except HarkError as second:  # about the list as the person meant it (a,b), not about the text
            raise second from None


def _gather_nested(model: type[Params], texts: dict[str, Any], what: str) -> dict[str, Any]:
    """``transfer.models`` and ``transfer.keep_layers`` as ``transfer``: the nested model's values
    (None when every box of an optional one is empty or unticked)."""
    nested: dict[str, dict[str, Any]] = {}
    plain: dict[str, Any] = {}
    for name, raw in texts.items():
        head, dot, rest = name.partition(".")
        if dot and head in model.model_fields and _nested_model(model.model_fields[head].annotation) is not None:
            nested.setdefault(head, {})[rest] = raw
        else:
            plain[name] = raw
    for head, inner_texts in nested.items():
        given = {k: v for k, v in inner_texts.items() if v not in (None, "", False) and not (isinstance(v, str) and not v.strip())}
        if not given:
            plain[head] = None if model.model_fields[head].get_default(call_default_factory=True) is None else ""
            continue
        inner = parse_form(_nested_model(model.model_fields[head].annotation), inner_texts, f"{what}: {head}")
        plain[head] = inner.model_dump(mode="json")
    return plain


def form_texts(model: type[Params], params: Params) -> dict[str, Any]:
    """The texts a form shows for ``params`` (what :func:`parse_form` turns back into them)."""
    out: dict[str, Any] = {}
    for spec in field_specs(model):
        head, dot, rest = spec.name.partition(".")
        value = getattr(params, head)
        if dot:
            value = None if value is None else getattr(value, rest)
            out[spec.name] = bool(value) if spec.kind == "bool" else display_value(value)
        elif _is_range(model.model_fields[spec.name].annotation):
            out[spec.name] = range_text(value)
        else:
            out[spec.name] = bool(value) if spec.kind == "bool" else display_value(value)
    return out
