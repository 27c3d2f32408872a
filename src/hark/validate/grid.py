"""A declared grid of hyperparameters: one cross-validation run per combination.

``--grid batch_size=32,64 --grid architecture_params.kernel_size=33,65`` makes four runs,
named SongExplorer's way from short keys and the values (``mb32_ks33``, ``mb32_ks65``,
...), which :func:`hark.validate.compare.name_parameters` reads back. A name is any
training parameter (``batch_size``, ``learning_rate``, ``optimizer``, ``architecture``,
...), ``architecture_params.NAME`` (or ``a.NAME``) for the architecture's, or a
training-data parameter (``point_width_ms``, ``augmentations`` is not gridded). Values are
separated by commas, or by semicolons when a value holds commas (``dense_layers=8,8;16``).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from hark.errors import ParameterError
from hark.params import validate_params
from hark.train.data import DataParams
from hark.train.params import TrainParams

# SongExplorer's short names where it has them, else short ones in its spirit
ABBREVIATIONS = {
    "batch_size": "mb",
    "learning_rate": "lr",
    "steps": "steps",
    "optimizer": "opt",
    "architecture": "arch",
    "weights_seed": "ws",
    "batch_seed": "bs",
    "frames": "fr",
    "kernel_size": "ks",
    "feature_maps": "fm",
    "n_conv_layers": "nl",
    "dense_layers": "dl",
    "context_ms": "cx",
    "n_filters": "nf",
    "n_dilations": "nd",
    "n_stacks": "ns",
    "channels": "ch",
    "blocks_per_stage": "bps",
    "dilation_growth": "dg",
    "pool_size": "ps",
}
_NUMBER = re.compile(r"^-?\d[\d.]*(?:e[+-]?\d+)?$")
_UNSAFE = re.compile(r"[^A-Za-z0-9.+-]+")


@dataclass(frozen=True)
class GridAxis:
    """One gridded parameter: where it goes and its values (as typed; pydantic converts them)."""

    name: str  # as given, e.g. "architecture_params.kernel_size"
    target: str  # "training", "architecture" or "data"
    key: str  # the field name within its target
    values: tuple[str, ...]

    @property
    def abbreviation(self) -> str:
        return ABBREVIATIONS.get(self.key, self.key.replace("_", ""))


def parse_grid(specs: Sequence[str]) -> list[GridAxis]:
    """``["batch_size=32,64", "a.kernel_size=33,65"]`` -> axes; unknown names are a HarkError."""
    axes: list[GridAxis] = []
    for spec in specs:
        name, sep, text = spec.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or not name or not text.strip():
            raise ParameterError("grid", f"{{param}} {spec!r}: expected NAME=VALUE,VALUE,...")
        values = tuple(v.strip() for v in text.split(";" if ";" in text else ",") if v.strip())
        if len(set(values)) != len(values):
            raise ParameterError("grid", f"{{param}} {spec!r}: a value is listed twice")
        if name.startswith(("architecture_params.", "a.")):
            target, key = "architecture", name.split(".", 1)[1]
        elif name in TrainParams.model_fields and name != "architecture_params":
            target, key = "training", name
        elif name in DataParams.model_fields and name not in ("labels", "augmentations", "folds", "validation_fold"):
            target, key = "data", name
        else:
            raise ParameterError(
                "grid",
                f"{{param}} {name}: not a training parameter ({', '.join(TrainParams.model_fields)}), "
                "architecture_params.NAME, nor a training-data parameter"
            )
        if any(axis.key == key and axis.target == target for axis in axes):
            raise ParameterError("grid", f"{{param}} {name} is given twice")
        axes.append(GridAxis(name, target, key, values))
    abbreviations = [axis.abbreviation for axis in axes]
    for abbreviation in abbreviations:
        if abbreviations.count(abbreviation) > 1:
            clashing = [axis.name for axis in axes if axis.abbreviation == abbreviation]
            raise ParameterError("grid", f"{{param}} {clashing[0]} and {clashing[1]} would both be named {abbreviation!r} in run names")
    return axes


def token(axis: GridAxis, value: str) -> str:
    """``mb64`` for numbers, ``opt-sgd`` for words (characters unsafe in folder names become ``+``)."""
    if _NUMBER.match(value):
        return f"{axis.abbreviation}{value}"
    return f"{axis.abbreviation}-{_UNSAFE.sub('+', value)}"


def grid_points(axes: Sequence[GridAxis], data: DataParams, training: TrainParams) -> list[tuple[str, DataParams, TrainParams]]:
    """Every combination: ``(run name, data parameters, training parameters)``, validated."""
    points = []
    for combination in itertools.product(*(axis.values for axis in axes)):
        data_values = data.model_dump()
        training_values = training.model_dump()
        architecture_values = dict(training_values.get("architecture_params") or {})
        for axis, value in zip(axes, combination):
            {"data": data_values, "training": training_values, "architecture": architecture_values}[axis.target][axis.key] = value
        training_values["architecture_params"] = architecture_values
        name = "_".join(token(axis, value) for axis, value in zip(axes, combination))
        points.append((
            name,
            validate_params(DataParams, data_values, f"--grid {name}"),
            validate_params(TrainParams, training_values, f"--grid {name}"),
        ))  # fmt: skip
    return points
