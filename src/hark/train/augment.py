"""Augmentation plugins: random, label-preserving changes to training audio.

An augmentation is a class registered in :data:`augmentations` (entry point group
``hark.augmentations`` for other packages) with a pydantic ``Params`` model and
``__call__(x, rng)`` that takes a batch ``x`` of shape (B, L) and returns a new array of the
same shape. Calls are pure: ``x`` is never changed, and the result depends only on ``x``, the
parameters and the generator's state. Each augmentation draws the same amount of randomness
whatever it decides, so a batch's later draws do not depend on earlier outcomes.

Augmentations that reverse time also say which rows they reversed (:meth:`Augmentation.apply`),
so that dense targets can be reversed with them. Augmentations that move samples in time
otherwise (``moves_time``: time stretching) say, through :meth:`Augmentation.apply_timed`,
which input sample each output sample came from; their moves are symmetric about the
example's centre, so they commute with reversal. :func:`augment_with_times` runs a chain and
:func:`follow_times` moves dense targets with the audio.

Some augmentations need to know the training data (its sample rate, or a pool of its
unannotated audio): :meth:`Augmentation.prepare` gives it to them once, before the first batch
(:class:`~hark.train.data.TrainingData` does it; see :mod:`hark.train.augment_background`).
The augmentations that simulate a new recording (gain, background, filters, pitch, stretch,
carrier shift) are in :mod:`hark.train.augment_recording` and
:mod:`hark.train.augment_background`, registered when this module is imported.

>>> chain = build_augmentations([{"name": "volume", "params": {"min_db": -6, "max_db": 6}}, {"name": "invert"}])
>>> x, reversed_rows = augment(x, chain, rng)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from hark.errors import HarkError, ParameterError
from hark.params import NoParams, Params, parse_assignments, validate_params
from hark.registry import Registry


class Augmentation(ABC):
    """Base of augmentation plugins."""

    Params: ClassVar[type[Params]] = NoParams
    name: ClassVar[str] = ""

    def __init__(self, params: Params | Mapping[str, Any] | None = None):
        if not isinstance(params, self.Params):
            params = validate_params(self.Params, params, f"augmentation {self.name or type(self).__name__}")
        self.params = params

    @abstractmethod
    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A changed copy of the batch ``x`` (B, L)."""

    moves_time: ClassVar[bool] = False
    """True for augmentations whose :meth:`apply_timed` says where each output sample came from."""

    mixes_examples: ClassVar[bool] = False
    """True for augmentations that mix examples and their targets (mixup): :func:`augment_with_times`
    leaves them out; the training data mixes the batch after the chain (:mod:`hark.train.augment_mix`)."""

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
        """The changed batch and which rows had their time reversed (None: none can be)."""
        return self(x, rng), None

    def apply_timed(self, x: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
        """The changed batch and, for augmentations that move time, the (B, L) input sample of each output sample."""
        return self(x, rng), None

    def prepare(self, training: Any) -> None:
        """Learn what the augmentation needs of the training data (a ``TrainingAudio``) before the first batch."""


augmentations: Registry[type[Augmentation]] = Registry("augmentation", "hark.augmentations")


register_augmentation = augmentations.register_class
"""Class decorator: ``@register_augmentation("name")`` registers the class and sets its ``name``."""


def _chosen(rng: np.random.Generator, n: int, probability: float) -> np.ndarray:
    return rng.random(n) < probability


def _probability(default: float):
    return Field(default, ge=0, le=1, description="chance that each example is changed")


class _RangeParams(Params):
    @model_validator(mode="after")
    def _ordered(self):
        low, high = type(self)._range_fields
        if getattr(self, low) > getattr(self, high):
            raise ValueError(f"{low} {getattr(self, low)} is above {high} {getattr(self, high)}")
        return self


class VolumeParams(_RangeParams):
    _range_fields: ClassVar[tuple[str, str]] = ("min_db", "max_db")
    min_db: float = Field(-6.0, ge=-60, le=60, description="lowest gain (dB)")
    max_db: float = Field(6.0, ge=-60, le=60, description="highest gain (dB)")
    probability: float = _probability(1.0)


@register_augmentation("volume")
class Volume(Augmentation):
    """Multiplies each example by a gain drawn uniformly in dB between ``min_db`` and ``max_db``."""

    Params = VolumeParams

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        p = self.params
        db = rng.uniform(p.min_db, p.max_db, size=len(x))
        gain = np.where(_chosen(rng, len(x), p.probability), 10.0 ** (db / 20.0), 1.0)
        return (x * gain[:, None]).astype(np.float32)


class NoiseParams(_RangeParams):
    _range_fields: ClassVar[tuple[str, str]] = ("min_db", "max_db")
    min_db: float = Field(-30.0, le=40, description="quietest noise: its RMS relative to the reference (dB)")
    max_db: float = Field(-10.0, le=40, description="loudest noise (dB)")
    reference: Literal["signal", "full_scale"] = Field(
        "signal", description="'signal': relative to each example's RMS (so -20 dB is an SNR of 20 dB); 'full_scale': to 1.0"
    )
    probability: float = _probability(1.0)


@register_augmentation("noise")
class Noise(Augmentation):
    """Adds white Gaussian noise whose RMS is drawn uniformly in dB relative to the reference."""

    Params = NoiseParams

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        p = self.params
        db = rng.uniform(p.min_db, p.max_db, size=len(x))
        chosen = _chosen(rng, len(x), p.probability)
        noise = rng.standard_normal(x.shape)
        reference = np.sqrt(np.mean(np.square(x, dtype=np.float64), axis=1)) if p.reference == "signal" else 1.0
        level = np.where(chosen, reference * 10.0 ** (db / 20.0), 0.0)
        return (x + level[:, None] * noise).astype(np.float32)


class DcParams(Params):
    max_offset: float = Field(0.01, ge=0, le=1, description="offsets are drawn uniformly in +- this (full-scale units)")
    probability: float = _probability(1.0)


@register_augmentation("dc")
class DcOffset(Augmentation):
    """Adds a constant drawn uniformly in ``[-max_offset, max_offset]`` to each example."""

    Params = DcParams

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        p = self.params
        offset = rng.uniform(-p.max_offset, p.max_offset, size=len(x))
        offset = np.where(_chosen(rng, len(x), p.probability), offset, 0.0)
        return (x + offset[:, None]).astype(np.float32)


class FlipParams(Params):
    probability: float = _probability(0.5)


@register_augmentation("reverse")
class Reverse(Augmentation):
    """Plays each example backwards with the given probability (dense targets are reversed with it)."""

    Params = FlipParams

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return self.apply(x, rng)[0]

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        rows = _chosen(rng, len(x), self.params.probability)
        out = np.array(x, dtype=np.float32, copy=True)
        out[rows] = out[rows, ::-1]
        return out, rows


@register_augmentation("invert")
class Invert(Augmentation):
    """Flips the sign of each example with the given probability (pulses of either polarity)."""

    Params = FlipParams

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        sign = np.where(_chosen(rng, len(x), self.params.probability), -1.0, 1.0)
        return (x * sign[:, None]).astype(np.float32)


def parse_augmentation(text: str) -> dict[str, Any]:
    """A command line's ``NAME`` or ``NAME:PARAM=VALUE,...`` as a spec for :func:`build_augmentations`.

    Values stay strings; the augmentation's pydantic model converts them.
    """
    name, _, assignments = text.partition(":")
    name = name.strip()
    if not name:
        raise ParameterError("augment", f"{{param}} {text!r}: expected NAME or NAME:PARAM=VALUE,...")
    pairs = [pair for pair in assignments.split(",") if pair.strip()]
    params = parse_assignments(pairs, f"--augment {name}")
    return {"name": name, "params": params} if params else {"name": name}


def parse_augmentations(texts: Sequence[str]) -> list[dict[str, Any]] | None:
    """The command line's ``--augment`` values as specs: None when none were given (the
    supervision's defaults apply), ``[]`` for ``--augment none`` (no augmentation at all)."""
    if not texts:
        return None
    if [t.strip().lower() for t in texts] == ["none"]:
        return []
    return [parse_augmentation(text) for text in texts]


def build_augmentations(specs: Sequence[Mapping[str, Any] | str]) -> list[Augmentation]:
    """The chain of augmentations that ``specs`` names, in order; bad names or parameters are one-line HarkErrors.

    Each spec is ``{"name": ..., "params": {...}}`` (``params`` optional) or just a name.
    """
    chain = []
    for spec in specs:
        if isinstance(spec, str):
            spec = {"name": spec}
        unknown = set(spec) - {"name", "params"}
        if unknown or "name" not in spec:
            raise HarkError(f"augmentation {dict(spec)!r}: expected keys 'name' and optionally 'params'")
        cls = augmentations.get(str(spec["name"]))
        chain.append(cls(spec.get("params")))
    return chain


def augment(x: np.ndarray, chain: Sequence[Augmentation], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``x`` through every augmentation of ``chain``; also which rows end up time-reversed."""
    x, reversed_rows, _ = augment_with_times(x, chain, rng)
    return x, reversed_rows


def augment_with_times(
    x: np.ndarray, chain: Sequence[Augmentation], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``x`` through ``chain``; which rows end up time-reversed; and, when some augmentation moved
    time otherwise, the (B, L) input sample each output sample came from (None: time not moved)."""
    reversed_rows = np.zeros(len(x), dtype=bool)
    source: np.ndarray | None = None
    for augmentation in chain:
        if augmentation.mixes_examples:  # needs the targets: the training data mixes the batch afterwards
            continue
        if augmentation.moves_time:
            x, moved = augmentation.apply_timed(x, rng)
            if moved is not None:
                # out[i] = previous[moved[i]] and previous[k] = x[source[k]]: out[i] = x[source[moved[i]]]
                index = np.clip(np.round(moved).astype(np.int64), 0, x.shape[1] - 1)
                source = moved if source is None else np.take_along_axis(source, index, axis=1)
            continue
        x, rows = augmentation.apply(x, rng)
        if rows is not None:
            reversed_rows ^= rows
    return x, reversed_rows, source


def follow_times(y: np.ndarray, source: np.ndarray, context: int, stride: int) -> np.ndarray:
    """Dense targets ``y`` (B, frames) or (B, C, frames) moved as ``source`` moved the audio.

    Output frame ``j`` describes window sample ``j * stride + context // 2`` (see
    :class:`~hark.train.data_types.Window`); it takes the target of the frame nearest to where
    that sample came from.
    """
    frames = y.shape[-1]
    times = np.arange(frames) * stride + context // 2
    came_from = source[:, np.clip(times, 0, source.shape[1] - 1)]
    index = np.clip(np.round((came_from - context // 2) / stride).astype(np.int64), 0, frames - 1)
    if y.ndim == 3:
        index = np.broadcast_to(index[:, None, :], y.shape)
    return np.take_along_axis(y, index, axis=-1)


def prepare_augmentations(chain: Sequence[Augmentation], training: Any) -> None:
    """Tell every augmentation of ``chain`` about the training data (a ``TrainingAudio`` or a callable making one).

    A callable is called only when some augmentation needs the data, so chains without such
    augmentations cost nothing.
    """
    needing = [augmentation for augmentation in chain if type(augmentation).prepare is not Augmentation.prepare]
    if not needing:
        return
    if callable(training):
        training = training()
    for augmentation in needing:
        augmentation.prepare(training)


# The augmentations that simulate a new recording register themselves on import; imported here,
# after the base class they subclass, so that the registry always knows them.
from hark.train import augment_background, augment_mix, augment_recording  # noqa: E402,F401
