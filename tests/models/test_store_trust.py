"""A model folder from someone else is data: a checkpoint that would run code when unpickled is refused."""

import os

import numpy as np
import pytest
import torch

from hark.errors import HarkError
from hark.models.store import read_checkpoint, save_checkpoint


class RunsCode:
    """What a booby-trapped checkpoint holds: unpickling it calls ``os.system``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_checkpoint_that_would_run_code_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "ckpt-000010.pt"
    torch.save({"format": "hark-checkpoint-1", "step": 10, "model": {"w": torch.zeros(2)}, "extra": RunsCode(marker)}, path)
    with pytest.raises(HarkError, match=r"ckpt-000010.pt: not a readable checkpoint") as err:
        read_checkpoint(path)
    assert "\n" not in str(err.value)
    assert not marker.exists()


def test_a_plain_checkpoint_still_reads(tmp_path):
    path = save_checkpoint(tmp_path, 10, {"model": {"w": torch.arange(3.0)}, "rng": np.random.default_rng(0).bit_generator.state["state"]["state"]})
    assert read_checkpoint(path)["model"]["w"].tolist() == [0.0, 1.0, 2.0]
