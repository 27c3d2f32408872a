"""Parameters of a training run (the data's are :class:`hark.train.data.DataParams`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from hark.params import Params


DEFAULT_ARCHITECTURES = {"sparse": "convnet", "dense": "tcn", "clip": "resnet", "events": "resnet", "unsupervised": "autoencoder"}

ULTRASONIC_SAMPLERATE = 100_000
"""Dense supervision of recordings sampled above this (Hz) defaults to the ``calls`` architecture:
ultrasonic whistles and sweeps (USVs, bats), whose pitch varies too much for ``tcn``'s per-bin inputs."""


def default_architecture(supervision: str, samplerate: float | None = None) -> str:
    """The architecture a supervision uses when none is named (``samplerate``: the recordings')."""
    if supervision == "dense" and samplerate is not None and samplerate > ULTRASONIC_SAMPLERATE:
        return "calls"
    return DEFAULT_ARCHITECTURES[supervision]


class TransferParams(Params):
    """Transfer learning: start from the first layers of trained frame models (see docs/models.md).

    The new layers on top are the ``transfer`` architecture's parameters (``architecture_params``).
    """

    models: list[str] = Field(min_length=1, max_length=16, description="trained model folders whose first layers are kept")
    keep_layers: int = Field(ge=0, le=256, description="layers kept of each model after its front end (convnet: conv1, conv2, ...)")
    fine_tune: bool = Field(False, description="train the kept layers too; else they stay frozen (weights and batch-norm statistics)")


class TrainParams(Params):
    """How to train: the architecture, the optimiser and the schedule of steps and checks."""

    architecture: str | None = Field(
        None, description="architecture plugin (hark train --help lists them); default by supervision: sparse convnet, dense tcn, clip and events resnet, unsupervised autoencoder"
    )
    architecture_params: dict[str, Any] = Field(default_factory=dict, description="the architecture's parameters")
    optimizer: Literal["adam", "adamw", "sgd", "rmsprop"] = Field("adam", description="optimisation algorithm")
    learning_rate: float = Field(0.001, gt=0, le=10, description="step size of the optimiser")
    steps: int = Field(600, ge=1, le=10_000_000, description="mini-batches to train on")
    batch_size: int = Field(32, ge=1, le=100_000, description="examples per mini-batch")
    validation_period: int = Field(100, ge=1, description="steps between validations and checkpoints")
    frames: int = Field(256, ge=1, le=100_000, description="dense supervision: output frames per training window")
    weights_seed: int | None = Field(1, ge=0, description="seed of the initial weights (set: repeatable bit for bit on CPU)")
    batch_seed: int | None = Field(1, ge=0, description="seed of the order of examples and augmentations")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="where to train: auto uses a GPU when there is one")
    threads: int = Field(
        0, ge=0, le=512, description="CPU threads for training (0: one for models under a million parameters, else all cores)"
    )
    transfer: TransferParams | None = Field(None, description="start from the first layers of trained models (architecture transfer)")

    @field_validator("optimizer", mode="before")
    @classmethod
    def _lower(cls, value):
        return value.lower() if isinstance(value, str) else value
