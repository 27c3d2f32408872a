"""Checking what callers pass to the evaluation functions: one-line HarkErrors, never tracebacks."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hark.annotations.event import label_problem
from hark.errors import HarkError


@dataclass(frozen=True)
class Truth:
    """The truth of validation examples in one form for both kinds of classes."""

    positive: np.ndarray  # (N, C) bool: example n is truly of label c
    known: np.ndarray  # (N, C) bool: whether that is known
    classes: np.ndarray | None  # (N,) class indices, exclusive classes only


def check_ratio(ratio) -> float:
    try:
        value = float(ratio)
    except (TypeError, ValueError):
        raise HarkError(f"precision-recall ratio {ratio!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise HarkError(f"precision-recall ratio {ratio!r} must be a positive number (1.0: precision equals recall)")
    return value


def check_labels(labels: Sequence[str], count: int | None = None) -> tuple[str, ...]:
    """``labels`` as a tuple of distinct names storable in a CSV, ``count`` of them if given."""
    if isinstance(labels, str):
        raise HarkError(f"labels must be a list of names, not the string {labels!r}")
    names = tuple(labels)
    for name in names:
        problem = label_problem(name) if isinstance(name, str) else f"label {name!r} is not a string"
        if problem:
            raise HarkError(f"bad label: {problem}")
    if len(set(names)) != len(names):
        raise HarkError(f"labels must be distinct: {', '.join(sorted({n for n in names if names.count(n) > 1}))} repeated")
    if count is not None and len(names) != count:
        raise HarkError(f"{len(names)} labels given for {count} columns of probabilities")
    return names


def check_probabilities(probabilities, labels: Sequence[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    """``(N, C)`` finite probabilities in [0, 1] as float64, and the C label names."""
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2:
        raise HarkError(f"probabilities must be a (examples, labels) array, got shape {p.shape}")
    if p.shape[0] == 0:
        raise HarkError("no examples: the probabilities array is empty")
    names = check_labels(labels, p.shape[1])
    if not np.all(np.isfinite(p)):
        raise HarkError("probabilities contain NaN or infinite values")
    if p.min() < 0 or p.max() > 1:
        raise HarkError(f"probabilities must lie in [0, 1] (found {p.min():g} to {p.max():g}); pass softmax or sigmoid outputs, not logits")
    return p, names


def check_truth(truth, mask, shape: tuple[int, int]) -> Truth:
    n, c = shape
    y = np.asarray(truth)
    if y.ndim == 1:
        if mask is not None:
            raise HarkError("a mask goes with overlapped classes ((examples, labels) truth), not with class indices")
        if len(y) != n:
            raise HarkError(f"{len(y)} true labels for {n} examples")
        if not (np.issubdtype(y.dtype, np.integer) or (np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y)))):
            raise HarkError("true labels must be whole class indices")
        y = y.astype(np.int64)
        if len(y) and (y.min() < 0 or y.max() >= c):
            raise HarkError(f"true class index {int(y.min() if y.min() < 0 else y.max())} is outside 0..{c - 1}")
        positive = np.zeros((n, c), dtype=bool)
        positive[np.arange(n), y] = True
        return Truth(positive, np.ones((n, c), dtype=bool), y)
    if y.shape != (n, c):
        raise HarkError(f"truth of shape {y.shape} does not match probabilities of shape {(n, c)}")
    known = np.ones((n, c), dtype=bool) if mask is None else np.asarray(mask)
    if known.shape != (n, c):
        raise HarkError(f"mask of shape {known.shape} does not match probabilities of shape {(n, c)}")
    known = known.astype(bool)
    values = y[known].astype(np.float64)
    if not np.all((values == 0) | (values == 1)):
        raise HarkError("overlapped truth must be 0 or 1 wherever the mask marks it known")
    positive = np.zeros((n, c), dtype=bool)
    positive[known] = values == 1
    return Truth(positive, known, None)
