"""Mixup (Zhang et al. 2018): training examples mixed in pairs, audio and targets alike.

Each example ``i`` chosen (``probability``) becomes ``w x_i + (1 - w) x_j`` with a partner
``j`` drawn from the same batch (a random permutation) and a weight ``w`` drawn from
``Beta(alpha, alpha)``, folded to ``w >= 0.5`` so the example keeps most of itself; its
target becomes the same mixture of the two targets. Exclusive classes' targets (class
indices) become class probabilities (the trainer's cross-entropy takes them; accuracy
during training counts the most likely class); overlapped classes' 0/1 targets are mixed
where both examples say something (the mask of a mixed row is the product of the two).
Examples not chosen keep their audio and targets exactly.

Because it needs the targets, mixup is an augmentation plugin of its own kind
(``mixes_examples``): the chain's other augmentations run on each example first, then the
batch is mixed (:func:`mix_batch`, called by :class:`~hark.train.data.TrainingData`). It
mixes one target per example (sparse, clip and events supervision), not dense supervision's
frames. Called as a plain augmentation (``mixup(x, rng)``) it mixes the audio only.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field

from hark.errors import HarkError
from hark.params import Params
from hark.train.augment import Augmentation, register_augmentation
from hark.train.data_types import Batch


class MixupParams(Params):
    alpha: float = Field(0.4, gt=0, le=10, description="the mixing weight is drawn from Beta(alpha, alpha) (small: mostly one example)")
    probability: float = Field(1.0, ge=0, le=1, description="chance that each example is mixed with a partner")


@register_augmentation("mixup")
class Mixup(Augmentation):
    """Mixes each chosen example with a partner from its batch, targets too (clip, sparse, events)."""

    Params = MixupParams
    mixes_examples: ClassVar[bool] = True

    def draw(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Each example's partner ``(n,)`` and own weight ``(n,)`` (1: unchanged); the same draws whatever is chosen."""
        partner = rng.permutation(n)
        weight = rng.beta(self.params.alpha, self.params.alpha, size=n)
        chosen = rng.random(n) < self.params.probability
        weight = np.where(chosen & (partner != np.arange(n)), np.maximum(weight, 1.0 - weight), 1.0)
        return partner, weight

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return mix_rows(x, *self.draw(len(x), rng))


def mix_rows(values: np.ndarray, partner: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``weight * values + (1 - weight) * values[partner]`` row by row, as float32 (a pure function)."""
    w = weight.reshape(-1, *([1] * (values.ndim - 1)))
    return (w * values + (1.0 - w) * values[partner]).astype(np.float32)


def mix_batch(batch: Batch, mixer: Mixup, n_outputs: int, overlapped: bool, rng: np.random.Generator) -> Batch:
    """``batch`` with its audio and targets mixed by ``mixer`` (``batch`` itself is not changed).

    Exclusive targets ``(B,)`` become probabilities ``(B, n_outputs)``; overlapped ``(B, C)``
    targets are mixed and their mask multiplied by the partner's where a row was mixed.
    """
    partner, weight = mixer.draw(len(batch.x), rng)
    x = mix_rows(batch.x, partner, weight)
    if batch.y is None:  # nothing to mix but the audio (an autoencoder's batch)
        return Batch(x, None, batch.mask, batch.where)
    y = np.asarray(batch.y)
    if overlapped:
        if y.ndim != 2:
            raise HarkError(f"augmentation mixup mixes one target per example, not targets of shape {y.shape[1:]}")
        mask = batch.mask
        if mask is not None:
            mixed = (weight < 1.0)[:, None]
            mask = np.where(mixed, mask * mask[partner], mask).astype(np.float32)
        return Batch(x, mix_rows(y.astype(np.float32), partner, weight), mask, batch.where)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) or batch.mask is not None:
        raise HarkError("augmentation mixup mixes one label per example (sparse, clip and events supervision), not dense supervision's frames")
    one_hot = np.eye(n_outputs, dtype=np.float32)[y]
    return Batch(x, mix_rows(one_hot, partner, weight), None, batch.where)
