"""Mixup: examples and their targets mixed in pairs (known answers on constructed batches and the whale demo)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hark.demo import NOISE_LABEL, UPCALL_LABEL
from hark.errors import HarkError
from hark.train.augment import augment, build_augmentations
from hark.train.augment_mix import Mixup, mix_batch, mix_rows
from hark.train.data import DataParams, TrainingData
from hark.train.data_types import Batch, ExampleRef
from hark.train.trainer import Objective

LABELS = f"{UPCALL_LABEL},{NOISE_LABEL}"


def constant_batch(n: int = 8, length: int = 50) -> Batch:
    """Row i is the constant i (so a mixed row's value says which rows and weights made it)."""
    x = np.repeat(np.arange(n, dtype=np.float32)[:, None], length, axis=1)
    return Batch(x, np.arange(n) % 3, None, [ExampleRef(f"c{i}", 0, "x") for i in range(n)])


def test_mix_rows_is_the_weighted_sum_with_the_partner():
    values = np.array([[1.0, 2.0], [10.0, 20.0], [100.0, 200.0]], dtype=np.float32)
    out = mix_rows(values, np.array([1, 2, 0]), np.array([0.75, 1.0, 0.5]))
    np.testing.assert_allclose(out, [[3.25, 6.5], [10.0, 20.0], [50.5, 101.0]])


def test_exclusive_targets_become_the_same_mixture_of_one_hot_labels():
    batch = constant_batch()
    mixed = mix_batch(batch, Mixup({"alpha": 0.4}), 3, False, np.random.default_rng(0))
    partner, weight = Mixup({"alpha": 0.4}).draw(8, np.random.default_rng(0))
    assert np.all(weight >= 0.5) and np.any(weight < 1.0)
    for i in range(8):
        assert np.allclose(mixed.x[i], weight[i] * i + (1 - weight[i]) * partner[i])
        expected = np.zeros(3)
        expected[batch.y[i]] += weight[i]
        expected[batch.y[partner[i]]] += 1 - weight[i]
        np.testing.assert_allclose(mixed.y[i], expected, atol=1e-6)
    assert mixed.y.dtype == np.float32 and np.allclose(mixed.y.sum(axis=1), 1.0)
    assert mixed.where == batch.where and batch.y.dtype.kind == "i"  # the batch itself is unchanged
    # the trainer takes class probabilities: its loss is the mixture of the two labels' losses
    logits = torch.randn(8, 3)
    loss = Objective(overlapped=False, dense=False).loss(logits, torch.as_tensor(mixed.y), None)
    log_p = torch.log_softmax(logits, dim=1)
    expected = -(torch.as_tensor(mixed.y) * log_p).sum(dim=1).mean()
    torch.testing.assert_close(loss, expected)


def test_overlapped_targets_are_mixed_where_both_examples_say_something():
    batch = constant_batch(4)
    batch.y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]], dtype=np.float32)
    batch.mask = np.array([[1, 1], [1, 0], [1, 1], [0, 1]], dtype=np.float32)
    mixer = Mixup({"alpha": 1.0})
    mixed = mix_batch(batch, mixer, 2, True, np.random.default_rng(4))
    partner, weight = mixer.draw(4, np.random.default_rng(4))
    for i in range(4):
        np.testing.assert_allclose(mixed.y[i], weight[i] * batch.y[i] + (1 - weight[i]) * batch.y[partner[i]], atol=1e-6)
        expected_mask = batch.mask[i] * batch.mask[partner[i]] if weight[i] < 1 else batch.mask[i]
        np.testing.assert_array_equal(mixed.mask[i], expected_mask)


def test_probability_zero_changes_nothing_and_draws_the_same():
    batch = constant_batch()
    rngs = [np.random.default_rng(2), np.random.default_rng(2)]
    never = mix_batch(batch, Mixup({"probability": 0}), 3, False, rngs[0])
    mix_batch(batch, Mixup({"probability": 1}), 3, False, rngs[1])
    np.testing.assert_array_equal(never.x, batch.x)
    np.testing.assert_array_equal(never.y, np.eye(3, dtype=np.float32)[batch.y])
    assert rngs[0].random() == rngs[1].random()


def test_a_chain_leaves_mixup_to_the_training_data():
    x = constant_batch().x
    out, _ = augment(x, build_augmentations(["mixup"]), np.random.default_rng(0))
    np.testing.assert_array_equal(out, x)


def test_clip_training_batches_are_mixed_and_validation_is_not(whale_demo):
    folder, _ = whale_demo
    plain = TrainingData.from_folder(folder, DataParams(labels=LABELS, supervision="clip", augmentations=[]))
    mixed = TrainingData.from_folder(folder, DataParams(labels=LABELS, supervision="clip", augmentations="mixup"))
    a = plain.training_batch(np.random.default_rng(0), 8, None)
    b = mixed.training_batch(np.random.default_rng(0), 8, None)
    assert a.where == b.where and b.y.shape == (8, 2) and np.allclose(b.y.sum(axis=1), 1)
    assert np.array_equal(b.y.argmax(axis=1), a.y)  # each example keeps at least half of itself
    assert not np.array_equal(a.x, b.x)
    for va, vb in zip(plain.validation_batches(8, None), mixed.validation_batches(8, None)):
        assert np.array_equal(va.x, vb.x) and np.array_equal(va.y, vb.y)


def test_dense_supervision_refuses_mixup_in_one_line(fly_demo):
    folder, _ = fly_demo
    with pytest.raises(HarkError, match=r"mixup mixes one label per example .* not dense supervision's frames"):
        TrainingData.from_folder(folder, DataParams(labels="mel-pulse,mel-sine", supervision="dense", augmentations="mixup"))
