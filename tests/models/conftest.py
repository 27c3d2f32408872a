"""One torch thread for the model tests: their tensors are small, and with pytest-xdist
(or anything else) busy on the other cores, OpenMP threads waiting for each other made
them 10-50x slower."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def _seeded():
    """The same random weights whichever tests ran before (float32 rounding depends on them)."""
    torch.manual_seed(0)
