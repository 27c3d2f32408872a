"""Parameters of a training run (the data's are :class:`hark.train.data.DataParams`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from hark.params import Params


def default_architecture(supervision: str, samplerate: float | None = None) -> str:
    """The architecture a supervision uses when none is named (``samplerate``: the recordings';
    see :meth:`hark.train.supervisions.Supervision.architecture_for`)."""
    from hark.train.supervisions import supervision_of  # the plugins import the data's modules, not these parameters

    return supervision_of(supervision).architecture_for(samplerate)


DEFAULT_BATCH = 32
"""Examples per mini-batch by default, and the most ``batch_size="auto"`` chooses."""

AUTO_BATCH = "auto"
"""``batch_size``: the largest batch up to :data:`DEFAULT_BATCH` that fits in memory."""


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
    optimizer: Literal["adam", "adamw", "sgd", "rmsprop", "adadelta", "adagrad", "adamax", "nadam"] = Field(
        "adam", description="optimisation algorithm (SongExplorer's, as torch has them: all but Ftrl)"
    )
    learning_rate: float = Field(0.001, gt=0, le=10, description="step size of the optimiser")
    steps: int = Field(600, ge=1, le=10_000_000, description="mini-batches to train on")
    batch_size: Annotated[int, Field(ge=1, le=100_000)] | Literal["auto"] = Field(
        DEFAULT_BATCH, description="examples per mini-batch; auto: the largest up to 32 that fits in memory (see memory_gb)"
    )
    validation_period: int = Field(100, ge=1, description="steps between validations and checkpoints")
    lr_schedule: Literal["constant", "cosine", "one-cycle", "plateau"] | None = Field(
        None,
        description="learning rate over the steps: constant; cosine (falls to 0 at the last step); one-cycle (rises, then falls to almost 0); "
        "plateau (lowered when the validation loss stops improving); none: the supervision's (sparse cosine, the others constant)",
    )
    warmup_steps: int = Field(0, ge=0, description="first steps in which the learning rate rises linearly to learning_rate (one-cycle: the length of its rise; 0: 30% of the steps)")
    plateau_patience: int = Field(2, ge=1, le=10_000, description="plateau: validations without improvement before the learning rate is lowered")
    plateau_factor: float = Field(0.5, gt=0, lt=1, description="plateau: what the learning rate is multiplied by each time it is lowered")
    early_stopping_patience: int | None = Field(
        None, ge=1, le=10_000, description="stop once the validation loss has not improved for this many validations (none: train all the steps)"
    )
    weight_averaging: Literal["none", "ema", "swa"] = Field(
        "none", description="validate and save averaged weights: ema (exponential moving average) or swa (plain mean from swa_start on)"
    )
    ema_decay: float = Field(0.99, gt=0, lt=1, description="ema: weight of the average so far at each step (0.99: about the last 100 steps)")
    swa_start: float = Field(0.75, ge=0, lt=1, description="swa: fraction of the steps after which the weights are averaged")
    frames: int = Field(256, ge=1, le=100_000, description="dense supervision: output frames per training window")
    weights_seed: int | None = Field(1, ge=0, description="seed of the initial weights (set: repeatable bit for bit on CPU)")
    batch_seed: int | None = Field(1, ge=0, description="seed of the order of examples and augmentations")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="where to train: auto uses a GPU when there is one")
    threads: int = Field(
        0, ge=0, le=512, description="CPU threads for training (0: one for models under a million parameters, else all cores)"
    )
    transfer: TransferParams | None = Field(None, description="start from the first layers of trained models (architecture transfer)")
    memory_gb: float | None = Field(
        None, gt=0, description="memory training may take (GB): a batch that does not fit is refused before training; "
        "none: what the machine has available (or the GPU, or the environment variable HARK_MEMORY_GB)"
    )

    @field_validator("batch_size", mode="before")
    @classmethod
    def _number_or_auto(cls, value):
        if isinstance(value, str) and value.strip().lower() == AUTO_BATCH:
            return AUTO_BATCH
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValueError(f"{value!r}: expected a number of examples or auto") from None
        if isinstance(value, bool) or (number != value and not (isinstance(value, str) and value.strip().isdigit())):
            raise ValueError(f"{value!r}: expected a whole number of examples or auto")
        if not 1 <= number <= 100_000:
            raise ValueError(f"{number}: expected 1 to 100000 examples, or auto")
        return number

    @field_validator("optimizer", "lr_schedule", "weight_averaging", mode="before")
    @classmethod
    def _lower(cls, value):
        return value.lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _warmup_within_steps(self):
        if self.warmup_steps >= self.steps:
            raise ValueError(f"warmup_steps ({self.warmup_steps}) must be fewer than steps ({self.steps})")
        return self
