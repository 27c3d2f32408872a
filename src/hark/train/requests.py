"""The requests of hark's training actions: every option of ``hark train``, ``hark xvalidate``
and ``hark generalize``, declared once.

HOW TO ADD AN OPTION (one field):

- An option that sets a field of :class:`~hark.train.data_params.DataParams` or
  :class:`~hark.train.params.TrainParams` is a field of the same name declared with
  ``like(TrainParams, "name", "Help as --help shows it.")``: its default and range are that
  model's (written there once), its flag is ``--name-with-dashes`` (give the flags after the
  help to spell it otherwise: ``like(TrainParams, "early_stopping_patience", "...",
  "--early-stopping")``) and its value goes into that model by itself (:meth:`TrainingRequest.data_values`,
  :meth:`TrainingRequest.training_values`); the GUI's train form and the train job already show
  and carry that model's field.
- Any other option is a plain field, e.g. ``continue_from: Path | None = Field(None,
  description="...", json_schema_extra=flags("--continue"))``, which the command reads
  (``request.continue_from`` in :func:`hark.cli.train.run_train`).

Put it in :class:`TrainRequest` (hark train only) or :class:`TrainingRequest` (xvalidate and
generalize too). The command's option is generated from the field (:mod:`hark.cli.requests`):
it is listed after the others in ``--help``; regenerate docs/cli.md with
``python -m hark.cli.reference > docs/cli.md``. A bad value is a one-line error naming the flag.

This module imports pydantic and the two light parameter modules only: building the commands'
options must not load torch.
"""

from __future__ import annotations

from copy import copy
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic.fields import FieldInfo

from hark.params import Params
from hark.train.data_params import DataParams
from hark.train.params import DEFAULT_BATCH, TrainParams, TransferParams

SPLIT_BY_COMMAS = "commas"
"""``json_schema_extra`` key of a list typed as one comma-separated text (``--labels a,b``)."""


def flags(*names: str, **more: Any) -> dict[str, Any]:
    """A field's ``json_schema_extra``: its option's ``names`` and other keys (see :mod:`hark.cli.requests`)."""
    return {"flags": names, **more} if names else dict(more)


def like(model: type[Params], name: str, description: str, *names: str, **more: Any) -> FieldInfo:
    """The field ``name`` of ``model`` (its default and range, declared there once) as an option
    described by ``description``, with the flags ``names`` (default ``--name``) and other
    ``json_schema_extra`` keys ``more``."""
    field = copy(model.model_fields[name])
    extra = flags(*names, **more)
    return FieldInfo.merge_field_infos(field, Field(description=description, **({"json_schema_extra": extra} if extra else {})))


def restated(model: type[Params], name: str, description: str) -> FieldInfo:
    """``model``'s field ``name`` (a request's) with another command's help: same default, range and flags."""
    return FieldInfo.merge_field_infos(copy(model.model_fields[name]), Field(description=description))


def _comma_list(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


BUILT_OR_OWN = frozenset({"labels", "architecture_params", "transfer", "folds"})
"""Fields named as one of DataParams' or TrainParams' that are not passed on as they are: the
request builds that field from them (labels, architecture_params, transfer) or the action
sets it itself (xvalidate's folds: each fold's)."""


class TrainingRequest(Params):
    """The options ``hark train``, ``hark xvalidate`` and ``hark generalize`` share: the
    training data, the model and how to train it."""

    data: Path = Field(
        description="Ground-truth folder: recordings with their annotation CSVs; or a clip-label table "
        "(file,label[,split][,group] CSV or TSV, paths relative to it) for --supervision clip.",
        json_schema_extra=flags("--data"),
    )
    labels: list[str] | None = Field(
        None,
        description="Labels to learn, comma-separated (e.g. mel-pulse,mel-sine,ambient); none with --supervision unsupervised. "
        "Default with a clip-label table: every label of the table.",
        json_schema_extra=flags(commas=True),
    )
    out: Path = Field(description="Model folder to write (resumes when it holds this model's checkpoints).", json_schema_extra=flags("--out", "-o"))
    kinds: list[str] = like(DataParams, "kinds", "Kinds of events to learn from, comma-separated.", commas=True)
    supervision: str = like(
        DataParams, "supervision",
        "sparse (labelled points and ranges), dense (every sample), clip (one label per file), events (each reviewed event's crop: a denoiser), "
        "unsupervised (windows of every recording, no labels: an autoencoder) or a plugin's (listed below).",
    )  # fmt: skip
    overlapped: bool = like(DataParams, "overlapped", "One sigmoid per label, trained with not_<label> annotations.", "--overlapped")
    architecture: str | None = like(
        TrainParams, "architecture",
        "Architecture plugin (listed below); default: convnet for sparse, tcn for dense, resnet for clip and events, autoencoder for unsupervised supervision.",
    )  # fmt: skip
    architecture_params: dict[str, Any] = like(
        TrainParams, "architecture_params", "Architecture parameter NAME=VALUE (repeatable).", "--arch-param", "-a", pairs=True
    )
    arch_params_file: Path | None = Field(None, description="JSON or TOML file of architecture parameters.", json_schema_extra=flags("--arch-params"))
    optimizer: str = like(TrainParams, "optimizer", "adam, adamw, sgd, rmsprop, adadelta, adagrad, adamax or nadam.")
    learning_rate: float = like(TrainParams, "learning_rate", "Step size of the optimiser.")
    steps: int = like(TrainParams, "steps", "Mini-batches to train on.")
    batch_size: int | str = like(
        TrainParams, "batch_size",
        "Examples per mini-batch; auto: the largest up to 32 that fits in memory. A batch that does not fit is refused before training, with what to change.",
        metavar="N|auto",
    )  # fmt: skip
    validation_period: int = like(TrainParams, "validation_period", "Steps between validations and checkpoints.")
    lr_schedule: str | None = like(
        TrainParams, "lr_schedule",
        "Learning rate over the steps: constant, cosine (falls to 0 at the last step), one-cycle (rises, then falls to almost 0) or plateau "
        "(lowered when the validation loss stops improving). Default: the supervision's (sparse: cosine; the others: constant).",
    )  # fmt: skip
    warmup_steps: int = like(
        TrainParams, "warmup_steps",
        "First steps in which the learning rate rises linearly to --learning-rate (one-cycle: the length of its rise; 0: 30% of the steps).",
    )  # fmt: skip
    early_stopping_patience: int | None = like(
        TrainParams, "early_stopping_patience",
        "Stop once the validation loss has not improved for this many validations (default: train all the steps).", "--early-stopping",
    )  # fmt: skip
    weight_averaging: str = like(
        TrainParams, "weight_averaging",
        "Validate and save averaged weights: none, ema (exponential moving average) or swa (plain mean from --swa-start on).",
    )  # fmt: skip
    frames: int = like(TrainParams, "frames", "Dense supervision: output frames per training window.")
    split_seed: int = like(DataParams, "split_seed", "Seed of the validation split.")
    equalize: bool = like(DataParams, "equalize", "Draw training examples equally often per label.", "--equalize/--no-equalize")
    data_params: dict[str, Any] = Field(
        default_factory=dict,
        description="Other training-data parameter NAME=VALUE (repeatable), e.g. point_width_ms=5, point_shape=gaussian, segment_gap_ms=2, "
        "dense_blocks=20, test_percent=10, test_recordings=a.wav,b.wav.",
        json_schema_extra=flags("--data-param", pairs=True),
    )
    augment: list[str] = Field(
        default_factory=list,
        description="Augmentation NAME or NAME:PARAM=VALUE,... (repeatable; volume, noise, dc, reverse, invert, tilt, band, pitch, stretch, "
        "carrier, background; see docs/training-data.md). Default: the supervision's (sparse: carrier); none: no augmentation.",
    )
    weights_seed: int = like(TrainParams, "weights_seed", "Seed of the initial weights (repeatable bit for bit on the CPU).")
    batch_seed: int = like(TrainParams, "batch_seed", "Seed of the order of examples and augmentations.")
    replicates: int = Field(1, ge=1, description="Models to train with successive weight seeds (in OUT/1r, OUT/2r, ...).")
    device: str = like(TrainParams, "device", "auto (a GPU when there is one), cpu or cuda.")
    threads: int = like(TrainParams, "threads", "CPU threads (0: one for models under a million parameters, else all cores).")
    channel: int = like(DataParams, "channel", "Channel of multi-channel recordings (from 0).")
    channels: list[int] | None = like(
        DataParams, "channels",
        "A model of several channels (-a input_channels=C): the C channels each example reads, comma-separated, in order "
        "(default: 0 to C-1); classify reads the same ones.",
        commas=True, metavar="N,M,...",
    )  # fmt: skip
    reader: str = like(DataParams, "reader", "Audio reader plugin (auto: by file ending; highpass: filtered).")
    reader_params: dict[str, Any] | None = like(
        DataParams, "reader_params", "Audio reader parameter NAME=VALUE (repeatable).", "--reader-param", pairs=True
    )
    video_finder: str = like(
        DataParams, "video_finder", "Video models (architectures video, audio-video): the video finder plugin that finds each recording's movie "
        "(same-name: rec.wav -> rec.mp4; strip-channel; docs/video.md)."
    )
    video_finder_params: dict[str, Any] | None = like(
        DataParams, "video_finder_params", "Video finder parameter NAME=VALUE (repeatable).", "--video-finder-param", pairs=True
    )

    @model_validator(mode="before")
    @classmethod
    def _split_commas(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        split = {name for name, field in cls.model_fields.items() if isinstance(field.json_schema_extra, dict) and field.json_schema_extra.get(SPLIT_BY_COMMAS)}
        return {name: _comma_list(value) if name in split else value for name, value in values.items()}

    def data_values(self, labels: list[str] | None = None) -> dict[str, Any]:
        """The :class:`DataParams` asked for, as a table: every field named as one of its own,
        ``labels`` (default: the request's), the augmentations and the other data parameters."""
        from hark.train.augment import parse_augmentations

        values = self._values_of(DataParams)
        values["labels"] = self.labels if labels is None else labels
        values["augmentations"] = parse_augmentations(self.augment)
        return {**values, **self.data_params}

    def training_values(self, architecture_params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The :class:`TrainParams` asked for, as a table (``architecture_params``: the
        architecture's parameters as read, e.g. a file's values under the typed ones)."""
        values = self._values_of(TrainParams)
        values["architecture_params"] = self.architecture_params if architecture_params is None else architecture_params
        return values

    def _values_of(self, model: type[Params]) -> dict[str, Any]:
        return {name: getattr(self, name) for name in type(self).model_fields if name in model.model_fields and name not in BUILT_OR_OWN}


class TrainRequest(TrainingRequest):
    """``hark train``: every parameter of one training (or ``replicates`` of them), declared once;
    the command's options come from it, and its values become the :class:`DataParams` and
    :class:`TrainParams` that the GUI's train form shows and a ``train`` job carries.

    A new option of hark train is one more field here (see this module's docstring)."""

    not_prefix: str = like(DataParams, "not_prefix", "Prefix of the negative labels of overlapped classes.")
    memory_gb: float | None = like(
        TrainParams, "memory_gb",
        "Memory training may take, in GB (default: what the machine has available, or the GPU's free memory, or the environment variable HARK_MEMORY_GB).",
    )  # fmt: skip
    plateau_patience: int = like(TrainParams, "plateau_patience", "--lr-schedule plateau: validations without improvement before the learning rate is lowered.")
    plateau_factor: float = like(TrainParams, "plateau_factor", "--lr-schedule plateau: what the learning rate is multiplied by each time it is lowered.")
    ema_decay: float = like(TrainParams, "ema_decay", "--weight-averaging ema: weight of the average so far at each step (0.99: about the last 100 steps).")
    swa_start: float = like(TrainParams, "swa_start", "--weight-averaging swa: fraction of the steps after which the weights are averaged.")
    validation_percent: float = like(
        DataParams, "validation_percent",
        "Percent held out for validation: of the annotated recordings (at least one) or of each recording's blocks (see --validation-split), "
        "of the clips, or of the annotations.",
    )  # fmt: skip
    validation_split: str = like(
        DataParams, "validation_split",
        "auto (whole recordings with 5 or more annotated ones, else blocks of each recording; clips: whole clips), recordings, blocks, "
        "or percent (single annotations from every recording; flatters).",
    )  # fmt: skip
    validation_recordings: list[str] | None = like(
        DataParams, "validation_recordings", "Recordings held out whole: names (comma-separated), a text file of names, or a subfolder.", commas=True
    )
    annotators: list[str] = like(
        DataParams, "annotators",
        "Annotators ranked, comma-separated, first wins (e.g. alice,person1): where their annotations mark the same sound, "
        "the higher-ranked one's label and verdict are learnt and the other's left out (kept on disk).",
        commas=True,
    )  # fmt: skip
    restore: Path | None = Field(None, description="Start from the weights of this checkpoint (ckpt-N.pt).")
    dataset_only: bool = Field(
        False, description="Only assemble the dataset: write OUT/dataset/ and OUT/split.json, print the summary, do not train.",
        json_schema_extra=flags("--dataset-only"),
    )  # fmt: skip
    transfer: list[Path] = Field(
        default_factory=list, description="Start from the first layers of this trained frame model (repeatable: their features are concatenated); "
        "with --supervision clip or events, from a trained clip model's body under a new output layer."
    )
    keep_layers: int | None = Field(
        None, description="With --transfer: layers kept of each model after its front end (convnet: conv1, conv2, ..., dense1, ...; resnet: stem, block1, ...)."
    )
    fine_tune: bool = like(
        TransferParams, "fine_tune",
        "With --transfer: train the kept layers too, or keep them frozen (weights and batch-norm statistics).", "--fine-tune/--freeze-kept",
    )  # fmt: skip
    new_layers: str | None = Field(
        None, description="With --transfer: feature maps of each new conv layer, comma-separated (default 32; empty for none)."
    )
    new_dense: str | None = Field(
        None, description="With --transfer: units of each new dense layer before the output, comma-separated (default 32; empty for none)."
    )
    continue_from: Path | None = Field(
        None,
        description="Fine-tune this trained model on --data's annotations as they now stand, into the new model folder --out (a round: "
        "MODEL's settings and weights, --labels added as new outputs, 100 steps unless --steps; see docs/annotate-less.md).",
        json_schema_extra=flags("--continue", metavar="MODEL"),
    )
    find_lr: bool = Field(
        False, description="Run the learning-rate range test instead of training (100 steps, the rate rising from 1e-7 to 10): "
        "write OUT/lr-finder.csv and its figure, print the suggested --learning-rate, and exit.",
        json_schema_extra=flags("--find-lr"),
    )  # fmt: skip

    def transfer_values(self) -> dict[str, Any] | None:
        """The :class:`TransferParams` asked for (None without ``--transfer``)."""
        if not self.transfer:
            return None
        return {"models": [str(model) for model in self.transfer], "keep_layers": self.keep_layers, "fine_tune": self.fine_tune}

    def training_values(self, architecture_params: dict[str, Any] | None = None) -> dict[str, Any]:
        values = super().training_values(architecture_params)
        new = {"conv_layers": self.new_layers, "dense_layers": self.new_dense}
        values["architecture_params"] = {**values["architecture_params"], **{name: v for name, v in new.items() if v is not None}}
        if self.transfer:
            values["transfer"] = self.transfer_values()
        return values


class ValidationRequest(TrainingRequest):
    """What ``hark xvalidate`` and ``hark generalize`` add to the training options: models per
    fold, a grid of settings, and how each model is scored."""

    labels: list[str] = Field(description="Labels to learn, comma-separated (e.g. mel-pulse,mel-sine,ambient).", json_schema_extra=flags(commas=True))
    data: Path = Field(description="Ground-truth folder: recordings with their annotation CSVs.", json_schema_extra=flags("--data"))
    out: Path = Field(
        description="Folder for the run: one model folder per model, the summary beside them (with --grid: one run per combination in it).",
        json_schema_extra=flags("--out", "-o"),
    )  # fmt: skip
    supervision: str = like(DataParams, "supervision", "sparse, dense, clip or events, as for hark train.")
    architecture: str | None = like(TrainParams, "architecture", "Architecture plugin (hark train --help lists them); default by supervision, as for hark train.")
    steps: int = like(TrainParams, "steps", "Mini-batches each model trains on.")
    batch_size: int = Field(DEFAULT_BATCH, ge=1, le=100_000, description="Examples per mini-batch.")
    early_stopping_patience: int | None = like(
        TrainParams, "early_stopping_patience",
        "Stop each model once its validation loss has not improved for this many validations.", "--early-stopping",
    )  # fmt: skip
    split_seed: int = like(DataParams, "split_seed", "Seed that deals the folds (xvalidate) or the partitions of recordings (generalize --omit some).")
    weights_seed: int = like(TrainParams, "weights_seed", "Seed of the initial weights of replicate 1; replicate r uses this + r - 1.")
    batch_seed: int = like(TrainParams, "batch_seed", "Seed of the order of examples and augmentations (the same for every model).")
    replicates: int = restated(TrainingRequest, "replicates", "Models per fold, with successive weight seeds.")
    threads: int = like(TrainParams, "threads", "CPU threads per model (0: one for models under a million parameters, else all cores).")
    grid: list[str] = Field(
        default_factory=list,
        description="Try several values: NAME=V1,V2,... (repeatable; a training parameter, architecture_params.NAME or a data parameter); "
        "one run per combination, named like mb32_ks33.",
    )
    checkpoint: Literal["last", "best"] = Field(
        "last", description="Checkpoint each model is scored at: last (honest) or best (highest macro F1 on its own validation set; flatters)."
    )
    figures: bool = Field(True, description="Draw the summary figures (PDF and PNG) as well as the tables.", json_schema_extra=flags("--figures/--no-figures"))

    @field_validator("checkpoint", mode="before")
    @classmethod
    def _last_or_best(cls, value: Any) -> Any:
        if value not in ("last", "best"):
            raise ValueError("choose last or best")
        return value


class XValidateRequest(ValidationRequest):
    """``hark xvalidate``: k-fold cross-validation, every parameter declared once."""

    folds: int = Field(
        description="Folds k: each model validates on 1/k and trains on the rest; negative: trains on 1/|k| and validates on the rest.",
        json_schema_extra=flags("--folds", "-k"),
    )  # fmt: skip


class GeneralizeRequest(ValidationRequest):
    """``hark generalize``: models that each withhold whole recordings, every parameter declared once."""

    omit: Literal["one", "some", "all"] = Field(
        "one", description="one (a model per withheld recording), some (a model per partition of the recordings) or all (one model withholding them all)."
    )
    recordings: list[str] | None = Field(
        None,
        description="Recordings to withhold: names (comma-separated), a text file of names or a subfolder "
        "(default for one and some: every annotated recording).",
        json_schema_extra=flags(commas=True),
    )
    partitions: int | None = Field(None, description="--omit some: how many sets the recordings are dealt into.")
    checkpoint: Literal["last", "best"] = Field(
        "best",
        description="Checkpoint each model is scored at: best (nested: the highest macro F1 on its own validation split of the other recordings) or last.",
    )
    nested: bool = Field(
        True, description="Tune on the other recordings and score the withheld ones once (default), or validate on the withheld ones.",
        json_schema_extra=flags("--nested/--no-nested"),
    )  # fmt: skip

    @field_validator("omit", mode="before")
    @classmethod
    def _one_some_or_all(cls, value: Any) -> Any:
        if value not in ("one", "some", "all"):
            raise ValueError("choose one, some or all")
        return value
