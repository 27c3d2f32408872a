"""Tiny test-only architectures and model folders, so hark.infer is tested without the real ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from pydantic import Field
from torch import nn

from hark.models.base import Architecture, ClipModel, FrameModel, architectures
from hark.models.store import ModelConfig, save_checkpoint, save_config
from hark.params import Params

FRAME_ARCH = "test-tinyconv"
CLIP_ARCH = "test-tinyclip"


class TinyConvParams(Params):
    hidden: int = Field(4, ge=1, le=64, description="channels of the hidden layers")


class TinyConv(FrameModel):
    """Three valid convolutions: context 25 samples, stride 4."""

    def __init__(self, hidden: int, n_outputs: int):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv1d(1, hidden, 9, stride=2), nn.ReLU(), nn.Conv1d(hidden, hidden, 5, stride=2), nn.ReLU(),
            nn.Conv1d(hidden, n_outputs, 3),
        )
        self.context, self.stride, self.n_outputs = 25, 4, n_outputs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 5 * self.layers(x)  # spread logits so that probabilities vary


class TinyClip(ClipModel):
    """A convolution averaged over time, then a linear layer."""

    def __init__(self, hidden: int, n_outputs: int):
        super().__init__()
        self.conv = nn.Conv1d(1, hidden, 9, stride=4)
        self.head = nn.Linear(hidden, n_outputs)
        self.n_outputs = n_outputs
        self.min_samples = 9  # one step of the convolution

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.conv(x)).mean(dim=2))


class TinyConvArchitecture(Architecture):
    """Test only: three valid convolutions (context 25, stride 4)."""

    kind = "frame"
    Params = TinyConvParams

    @classmethod
    def build(cls, params, samplerate, n_outputs):
        return TinyConv(params.hidden, n_outputs)


class TinyClipArchitecture(Architecture):
    """Test only: a convolution averaged over time, then a linear layer."""

    kind = "clip"
    Params = TinyConvParams

    @classmethod
    def build(cls, params, samplerate, n_outputs):
        return TinyClip(params.hidden, n_outputs)


@pytest.fixture(scope="module")
def tiny_architectures():
    """Registers the test architectures for one test module, and removes them afterwards.

    Registered for good, they would show in every listing of architectures (hark train's
    help, docs/cli.md, the contract tests of the shipped ones).
    """
    added = []
    for name, cls in ((FRAME_ARCH, TinyConvArchitecture), (CLIP_ARCH, TinyClipArchitecture)):
        if name not in architectures:
            cls.name = name
            architectures.add(name, cls)
            added.append(name)
    yield
    for name in added:
        architectures._items.pop(name, None)  # the registry has no public removal; tests only


def make_model(
    folder: Path,
    outputs: tuple[str, ...] = ("song", "ambient"),
    samplerate: int = 8000,
    overlapped: bool = False,
    equalize: bool = True,
    architecture: str = FRAME_ARCH,
    params: dict | None = None,
    steps: tuple[int, ...] = (100,),
    seed: int = 0,
) -> Path:
    """A model folder with config.json and a checkpoint per step (random weights)."""
    folder.mkdir(parents=True, exist_ok=True)
    arch = architectures.get(architecture)
    checked = arch.validate(params or {})
    torch.manual_seed(seed)
    module = arch.build(checked, samplerate, len(outputs))
    is_frame = isinstance(module, FrameModel)
    config = ModelConfig(
        architecture=architecture, architecture_params=checked.model_dump(mode="json"), kind=arch.kind,
        samplerate=samplerate, output_names=list(outputs), labels=list(outputs), overlapped=overlapped,
        supervision="sparse" if is_frame else "clip", context=module.context if is_frame else 0,
        stride=module.stride if is_frame else 0, data={"equalize": equalize},
    )
    save_config(folder, config)
    for step in steps:
        save_checkpoint(folder, step, {"model": module.state_dict()})
    return folder


def write_recording(path: Path, seconds: float, samplerate: int = 8000, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    n = int(round(seconds * samplerate))
    t = np.arange(n) / samplerate
    audio = 0.3 * np.sin(2 * np.pi * 440 * t) * (np.sin(2 * np.pi * 0.7 * t) > 0) + 0.05 * rng.standard_normal(n)
    sf.write(path, audio.astype(np.float32), samplerate, subtype="FLOAT")
    return path
