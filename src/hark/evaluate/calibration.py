"""Temperature scaling: one number that makes a model's probabilities mean what they say.

A network trained with cross-entropy is usually over-confident (probabilities near 0 and 1
for examples it gets wrong as well). Temperature scaling (Guo et al. 2017) divides the
logits by one scalar ``T`` fitted on held-out examples so that their negative
log-likelihood is least: ``T > 1`` softens the probabilities, ``T < 1`` sharpens them. It
never changes which output is largest (nor, with one sigmoid per label, which side of 0.5
a probability lies on), so accuracy and the choice of the best checkpoint stay as they
were; the thresholds of each precision/recall ratio are found on the calibrated
probabilities and applied to calibrated probabilities, so ``--ratio 1.0`` means the same on
a new recording as in validation.

The trainer saves validation *probabilities*; the logits are recovered from them: for a
softmax ``log p`` (logits up to a constant per example, which a softmax ignores), for a
sigmoid ``log(p / (1 - p))``. float32 probabilities saturate (a softmax at about 1e-38,
a sigmoid within 6e-8 of 1), so they are clipped there first; a saturated example only
tells the fit "very sure", which is what the clipped logit says too.
"""

from __future__ import annotations

import math

import numpy as np

from hark.errors import HarkError

TEMPERATURE_RANGE = (0.05, 20.0)
"""The temperatures searched: beyond them the fit says more about the data than about the model."""

FIT_EXAMPLES = 200_000
"""At most this many examples (evenly spaced) fit the temperature; one scalar needs no more."""

_SOFTMAX_FLOOR = 1e-38
_SIGMOID_EDGE = 6e-8


def logits_from_probabilities(probabilities, overlapped: bool) -> np.ndarray:
    """Logits (float64) that give ``probabilities`` back: ``log p`` for a softmax, ``log(p/(1-p))`` for sigmoids."""
    p = np.asarray(probabilities, dtype=np.float64)
    if overlapped:
        p = np.clip(p, _SIGMOID_EDGE, 1 - _SIGMOID_EDGE)
        return np.log(p) - np.log1p(-p)
    return np.log(np.maximum(p, _SOFTMAX_FLOOR))


def apply_temperature(probabilities, temperature: float, overlapped: bool) -> np.ndarray:
    """``probabilities`` (examples on axis 0, outputs on axis 1) as they are at ``temperature``; float64."""
    p = np.asarray(probabilities, dtype=np.float64)
    if temperature == 1.0:
        return p
    z = logits_from_probabilities(p, overlapped) / temperature
    if overlapped:
        return 1.0 / (1.0 + np.exp(-z))
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(probabilities, truth, overlapped: bool, *, mask=None) -> float:
    """The temperature that minimises the negative log-likelihood of ``truth`` (validation examples).

    ``probabilities`` ``(N, C)``; ``truth`` class indices ``(N,)`` (exclusive classes) or
    ``(N, C)`` 0/1 (overlapped, ``mask`` marking the known entries). 1.0 when the examples
    cannot tell (a single class, nothing known).
    """
    from scipy.optimize import minimize_scalar

    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(truth)
    if p.ndim != 2 or len(p) == 0 or len(y) != len(p):
        raise HarkError(f"calibration needs (examples, outputs) probabilities and one truth per example, got {p.shape} and {y.shape}")
    every = max(1, math.ceil(len(p) / FIT_EXAMPLES))
    p, y = p[::every], y[::every]
    z = logits_from_probabilities(p, overlapped)
    if overlapped:
        known = np.ones(y.shape, dtype=bool) if mask is None else np.asarray(mask)[::every].astype(bool)
        z, y = z[known], y[known].astype(np.float64)
        if len(z) == 0 or y.min() == y.max():
            return 1.0

        def nll(log_t: float) -> float:
            s = z / math.exp(log_t)
            # -log sigmoid(s) for positives, -log sigmoid(-s) for negatives, without overflow
            return float(np.mean(np.logaddexp(0.0, -s) * y + np.logaddexp(0.0, s) * (1 - y)))

    else:
        classes = y.astype(np.int64)
        if len(np.unique(classes)) < 2:
            return 1.0
        chosen = z[np.arange(len(z)), classes]

        def nll(log_t: float) -> float:
            t = math.exp(log_t)
            s = z / t
            top = s.max(axis=1)
            return float(np.mean(top + np.log(np.exp(s - top[:, None]).sum(axis=1)) - chosen / t))

    low, high = (math.log(v) for v in TEMPERATURE_RANGE)
    found = minimize_scalar(nll, bounds=(low, high), method="bounded", options={"xatol": 1e-5})
    temperature = math.exp(float(found.x))
    # the bounded search never tries the ends themselves; 1.0 stays when it is as good
    return temperature if nll(found.x) < nll(0.0) else 1.0
