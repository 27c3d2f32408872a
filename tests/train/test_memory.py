"""The memory a training batch needs: estimated before training, a batch that does not fit
refused before any work with the numbers, ``batch_size="auto"`` choosing one that fits.

Limits are given the way a user or a job gives them (``memory_gb``, ``HARK_MEMORY_GB``), small
enough that the real machine's memory never decides the outcome.
"""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

from hark.errors import HarkError, ParameterError
from hark.models.base import architectures
from hark.train.memory import (
    GB,
    MEMORY_ENV,
    OPTIMIZER_STATES,
    _resident_bytes,
    available_memory,
    check_memory,
    choose_batch_size,
    estimate_memory,
    fitting_batch_size,
)
from hark.train.params import TrainParams
from hark.train.trainer import OPTIMIZERS

RATE = 2000


def small_resnet():
    arch = architectures.get("resnet")
    torch.manual_seed(0)
    return arch.build(arch.validate({"channels": [4, 8], "window_ms": 64, "stride_ms": 32}), RATE, 2)


def test_the_estimate_grows_with_the_window_and_the_batch_and_counts_the_optimiser():
    module = small_resnet()
    short, long = estimate_memory(module, 2 * RATE), estimate_memory(module, 8 * RATE)
    # activations of a convolutional model follow the input's length
    assert long.activations_per_example == pytest.approx(4 * short.activations_per_example, rel=0.05)
    assert long.batch_bytes(16) - long.batch_bytes(8) == 8 * long.per_example
    weights = sum(p.numel() for p in module.parameters())
    adam, sgd = estimate_memory(module, RATE, "adam"), estimate_memory(module, RATE, "sgd")
    assert adam.parameters - sgd.parameters == 4 * weights  # Adam keeps one more tensor per weight than SGD's momentum
    assert estimate_memory(module, RATE, training=False).batch_bytes(8) < adam.batch_bytes(8)


def test_the_estimate_is_above_what_autograd_actually_keeps_for_a_batch():
    module = small_resnet()
    batch, samples = 8, 4 * RATE
    kept: dict[int, int] = {}

    def pack(tensor):
        kept[tensor.untyped_storage().data_ptr()] = tensor.untyped_storage().nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        module(torch.randn(batch, 1, samples)).sum()
    weights = {p.untyped_storage().data_ptr() for p in module.parameters()}
    saved = sum(size for pointer, size in kept.items() if pointer not in weights)
    estimate = estimate_memory(module, samples)
    assert saved < batch * estimate.activations_per_example < 4 * saved


def test_a_batch_that_does_not_fit_is_refused_with_the_numbers_and_what_to_change(monkeypatch):
    estimate = estimate_memory(small_resnet(), 10 * RATE)
    held = _resident_bytes() / GB
    limit = held + (estimate.parameters + 5.5 * estimate.per_example) / GB  # room for 5 examples, not 32
    with pytest.raises(ParameterError) as err:
        check_memory(estimate, 32, RATE, limit_gb=limit)
    message = str(err.value)
    assert "\n" not in message and err.value.param == "batch_size"
    need = re.search(r"needs about ([\d.]+) GB for a batch of 32 windows of 10 s", message)
    assert need and float(need.group(1)) == pytest.approx(estimate.batch_bytes(32) / GB, abs=0.006)
    fits = int(re.search(r"lower batch_size to (\d+)", message).group(1))
    assert fits in (4, 5)  # 5, or 4 should the process have grown meanwhile
    assert "memory_gb" in message and "shorten" not in message and "low_hz/high_hz" in message
    check_memory(estimate, fits, RATE, limit_gb=limit)  # what it proposes fits

    monkeypatch.setenv(MEMORY_ENV, "0.001")  # a job's declared memory, through the environment
    with pytest.raises(ParameterError, match=rf"of the 0.001 GB {MEMORY_ENV} allows .*even a batch of one \(batch_size 1\) does not fit: shorten the window \(10 s; clip_window_s"):
        check_memory(estimate, 1, RATE)
    monkeypatch.setenv(MEMORY_ENV, "lots")
    with pytest.raises(HarkError, match=f"{MEMORY_ENV}='lots': expected a number of GB"):
        available_memory()


def test_auto_chooses_the_largest_batch_that_fits_up_to_the_default():
    estimate = estimate_memory(small_resnet(), 10 * RATE)
    held = _resident_bytes() / GB
    limit = held + (estimate.parameters + 7.5 * estimate.per_example) / GB
    chosen = choose_batch_size(estimate, 32, RATE, limit_gb=limit)
    available, _ = available_memory("cpu", limit)
    assert chosen in (6, 7) and estimate.batch_bytes(chosen) <= available < estimate.batch_bytes(chosen + 1)
    assert choose_batch_size(estimate, 4, RATE, limit_gb=limit) == 4  # never above the largest asked for
    assert fitting_batch_size(estimate, estimate.parameters + estimate.per_example - 1, 32) == 0
    with pytest.raises(ParameterError, match=r"even a batch of one \(batch_size 1\) does not fit"):
        choose_batch_size(estimate, 32, RATE, limit_gb=held + 0.001)


def test_batch_size_is_a_whole_number_or_auto():
    assert TrainParams(batch_size="auto").batch_size == "auto"
    assert TrainParams(batch_size="AUTO").batch_size == "auto"
    assert TrainParams(batch_size="8").batch_size == 8
    for bad in ("eight", 2.5, 0, True):
        with pytest.raises(Exception, match="batch_size"):
            TrainParams(batch_size=bad)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimiser_trains_and_the_memory_estimate_counts_the_state_it_keeps(name):
    from typing import get_args

    assert set(get_args(TrainParams.model_fields["optimizer"].annotation)) == set(OPTIMIZERS) == set(OPTIMIZER_STATES)
    torch.manual_seed(0)
    module = nn.Linear(16, 1)
    x, y = torch.randn(64, 16), torch.randn(64, 1)
    optimizer = OPTIMIZERS[name](module.parameters(), lr=0.05)
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = ((module(x) - y) ** 2).mean()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < losses[0]
    # tensors of a weight's size the optimiser keeps per weight: what the estimate counts (SGD keeps
    # none without momentum; the estimate allows for momentum's one)
    weight = module.weight
    kept = sum(1 for v in optimizer.state[weight].values() if torch.is_tensor(v) and v.shape == weight.shape)
    assert kept == OPTIMIZER_STATES[name] or (name == "sgd" and kept == 0)
