"""Re-weighting probabilities for the prevalence of each label where the model is applied.

A classifier's probabilities carry the prevalences of its training data: a model trained on
examples drawn equally from each label believes each label equally likely a priori. When the
labels are far from equally common in the recordings classified (song is rare, ambient is
everywhere), Bayes' rule moves the probabilities to the prevalences given:

- exclusive classes (softmax)::

      p'(c) = p(c) * q(c) / t(c)  /  sum over k of  p(k) * q(k) / t(k)

- overlapped classes (a sigmoid each, independently)::

      odds'(c) = odds(c) * [q(c) / (1 - q(c))] / [t(c) / (1 - t(c))],   odds = p / (1 - p)

where ``q`` is the prevalence given and ``t`` the training prevalence: ``1 / outputs`` when
training drew labels equally (``config.data["equalize"]``), else the prevalences training
recorded (``config.data["prevalences"]``). Equal ``q`` and ``t`` leave ``p`` unchanged.
For exclusive classes, outputs without a prior given share what the given ones leave of 1,
in proportion to their training prevalences.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from hark.errors import HarkError, ParameterError
from hark.models.store import ModelConfig


def training_prevalences(config: ModelConfig) -> np.ndarray:
    """The prevalence of each output in the data the model learned from."""
    n = len(config.output_names)
    recorded = config.data.get("prevalences")
    if isinstance(recorded, Mapping) and set(recorded) >= set(config.output_names):
        values = np.array([float(recorded[name]) for name in config.output_names])
        if config.overlapped or values.sum() <= 0:
            return values
        return values / values.sum()
    if config.data.get("equalize"):
        return np.full(n, 1.0 / n)
    raise HarkError(
        "the model's training prevalences are unknown (training neither drew labels equally nor "
        "recorded their prevalences), so priors cannot re-weight its probabilities"
    )


def prior_weights(
    priors: Mapping[str, float], output_names: Sequence[str], training: np.ndarray, overlapped: bool
) -> np.ndarray:
    """Per-output factors: ``q / t`` for exclusive classes, the odds ratio for overlapped ones.

    Checks ``priors`` against the outputs; a bad one is a one-line HarkError.
    """
    unknown = [label for label in priors if label not in output_names]
    if unknown:
        raise HarkError(f"prior for {unknown[0]!r}: the model has no such output (it has {', '.join(output_names)})")
    for label, value in priors.items():
        # an overlapped label's odds need 0 < q < 1; an exclusive class may be ruled out (0) or certain (1)
        if not (0 < value < 1 if overlapped else 0 <= value <= 1):
            bounds = "between 0 and 1, exclusive" if overlapped else "between 0 and 1"
            raise HarkError(f"prior for {label!r} is {value:g}; a prevalence must lie {bounds}")
    training = np.asarray(training, dtype=np.float64)
    if overlapped:
        weights = np.ones(len(output_names))
        for i, name in enumerate(output_names):
            if name in priors:
                q, t = priors[name], training[i]
                weights[i] = (q / (1 - q)) / (t / (1 - t))
        return weights
    wanted = np.array([priors.get(name, np.nan) for name in output_names], dtype=np.float64)
    given = ~np.isnan(wanted)
    total = wanted[given].sum()
    if given.all():
        if abs(total - 1) > 1e-3:
            raise HarkError(f"priors of exclusive classes must sum to 1; these sum to {total:g}")
        wanted /= total
    else:
        if total > 1 + 1e-9:
            raise HarkError(f"priors sum to {total:g}, leaving nothing for {', '.join(np.array(output_names)[~given])}")
        rest = training[~given]
        wanted[~given] = (1 - total) * rest / rest.sum()
    return wanted / training


def reweight(probabilities: np.ndarray, weights: np.ndarray, overlapped: bool, axis: int = -1) -> np.ndarray:
    """Apply :func:`prior_weights` to probabilities whose outputs lie along ``axis``."""
    shape = [1] * probabilities.ndim
    shape[axis] = -1
    w = weights.reshape(shape)
    p = probabilities.astype(np.float64)
    if overlapped:
        # odds * w, written so that p = 0 and p = 1 stay exactly where they are
        moved = p * w / (p * w + (1 - p))
        return np.nan_to_num(moved, nan=0.0).astype(np.float32)
    weighted = p * w
    total = weighted.sum(axis=axis, keepdims=True)
    return np.divide(weighted, total, out=np.zeros_like(weighted), where=total > 0).astype(np.float32)


def parse_priors(pairs: Sequence[str]) -> dict[str, float]:
    """``["song=0.01", "ambient=0.99"]`` -> ``{"song": 0.01, "ambient": 0.99}``."""
    priors: dict[str, float] = {}
    for pair in pairs:
        label, sep, value = pair.rpartition("=")
        label = label.strip()
        try:
            priors[label] = float(value)
        except ValueError:
            label = ""
        if not sep or not label:
            raise ParameterError("prior", f"{{param}} {pair!r}: expected LABEL=PREVALENCE, e.g. song=0.05")
    return priors
