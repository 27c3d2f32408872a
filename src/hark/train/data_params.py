"""``DataParams``: what to train on and how to split it (:mod:`hark.train.data` builds the data).

Kept apart from the data's code so that declaring a command's options
(:mod:`hark.train.requests`) does not load numpy's, scipy's and torch's users: the registry
of supervisions is imported only when a value is checked.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from hark.annotations.event import label_problem
from hark.params import Params
from hark.train.splits import MIN_RECORDINGS_TO_HOLD_OUT


def _supervisions():
    from hark.train.supervisions import supervisions

    return supervisions


ValidationSplit = Literal["auto", "recordings", "blocks", "percent"]


def _comma_list(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value



class DataParams(Params):
    """What to train on and how to split it."""

    field_choices: ClassVar[dict[str, Callable[[], list[str]]]] = {"supervision": lambda: _supervisions().names()}
    """Fields whose values are a registry's names (the GUI's forms offer them as choices)."""

    labels: list[str] = Field(
        [], description="labels to use (one output each); a comma-separated string is accepted; none for unsupervised supervision"
    )
    kinds: list[str] = Field(["annotated"], description="kinds of annotation to use (annotated, detected, ...)")
    supervision: str = Field(
        "sparse",
        description="a supervision plugin (hark.train.supervisions); hark's own: sparse: labelled points and ranges; dense: every sample of annotated recordings; clip: one label per file; "
        "events: each reviewed event's crop (a denoiser); unsupervised: windows of every recording, no labels (an autoencoder)",
    )
    overlapped: bool = Field(False, description="one sigmoid per label instead of a softmax; negatives come from '<not_prefix><label>' annotations")
    not_prefix: str = Field("not_", min_length=1, description="prefix of the labels of negative examples for overlapped classes")
    validation_percent: float = Field(
        20.0, ge=0, le=100,
        description="percent held out for validation: of the annotated recordings (at least one) or of each recording's blocks "
        "(validation_split auto, recordings, blocks), of the clips (clip), or of the annotations (validation_split percent)",
    )
    validation_split: ValidationSplit = Field(
        "auto",
        description="how validation is held out: auto (whole recordings with 5 or more annotated recordings, else blocks of each "
        "recording; clip: whole clips), recordings, blocks, or percent (single annotations drawn from every recording, as before)",
    )
    whole_recordings_from: int = Field(
        MIN_RECORDINGS_TO_HOLD_OUT, ge=2, description="validation_split auto: hold out whole recordings when at least this many are annotated (else blocks of each)"
    )
    validation_recordings: list[str] | None = Field(
        None,
        description="recordings held out whole (names relative to the folder), or one text file of names or one subfolder; overrides validation_percent",
    )
    split_seed: int = Field(1, ge=0, description="seed of the validation split")
    folds: int = Field(
        0,
        description="k-fold cross-validation: deal the annotations or clips into |folds| folds per label (sparse, clip, events), "
        "or each recording's blocks into |folds| folds (dense); "
        "positive: validate on fold validation_fold, train on the others; negative: train on it, validate on the others; 0: off",
    )
    validation_fold: int = Field(1, ge=1, description="with folds: the fold (from 1) that validates (positive folds) or trains (negative)")
    test_percent: float = Field(
        0.0, ge=0, le=100, description="percent held out for testing, from training and validation alike (the hash range just above validation_percent's)"
    )
    test_recordings: list[str] | None = Field(
        None, description="recordings held out whole for testing (like validation_recordings); overrides test_percent"
    )
    equalize: bool = Field(True, description="draw training examples equally often per label (dense: per class, background included)")
    background_label: str = Field("background", description="dense: the class of samples no annotation covers")
    point_width_ms: float = Field(10.0, gt=0, description="dense: a point annotation labels this much audio around it; dense and sparse: the least distance between the ethogram's points (ms)")
    point_shape: Literal["box", "gaussian"] = Field(
        "box", description="dense: a point labels a box point_width_ms wide, or a Gaussian of sigma point_width_ms / 2 (soft targets)"
    )
    segment_gap_ms: float = Field(
        0.0, ge=0, description="dense: background kept between ranges that (nearly) touch, so neighbours stay separate (ms)"
    )
    dense_blocks: int = Field(10, ge=2, description="blocks per recording when recordings are too few to hold whole ones out (all supervisions)")
    rejected_label: str = Field(
        "noise",
        description="the label that rejected events count as: events: always (accepted ones keep their own); "
        "sparse and clip, exclusive classes: when not_<label> is not a label and this one is (see docs/training-data.md)",
    )
    annotators: list[str] = Field(
        [],
        description="annotators ranked, first wins: where their events mark the same sound, the higher-ranked one's label and verdict "
        "are learnt and the other's are left out (kept on disk); a comma-separated string is accepted",
    )
    crop_ms: float = Field(100.0, gt=0, le=60_000, description="events: length of the audio the model sees of each event, centred on it (ms)")
    margin_ms: float = Field(5.0, ge=0, le=1000, description="events: audio kept on each side of an event, faded out; beyond it the crop is silent (ms)")
    clip_window_s: float = Field(
        5.0, gt=0, le=3600,
        description="clip: seconds of audio the model reads at a time (at most the longest clip): a random crop of a longer clip each time it is drawn, "
        "a shorter clip padded; batches then take memory for this, not for the longest clip",
    )
    clip_padding: Literal["repeat", "zeros"] = Field(
        "repeat", description="clip: how a clip shorter than the window fills it: repeated (default), or zeros after it"
    )
    clip_overlap: float = Field(
        0.5, ge=0, lt=1, description="clip: overlap of neighbouring validation windows, as a fraction of the window (hark classify's default too)"
    )
    clip_aggregation: Literal["mean", "max"] = Field(
        "mean", description="clip: how a clip's window probabilities make the clip's: their mean or maximum (hark accuracy and classify)"
    )
    augmentations: list[dict[str, Any]] | None = Field(
        None,
        description="training-only augmentations in order: [{'name': 'volume', 'params': {...}}, ...] (or names); "
        "None: the supervision's defaults (sparse: carrier), [] none",
    )
    channel: int = Field(0, ge=0, description="audio channel to read, numbered from 0")
    channels: list[Annotated[int, Field(ge=0)]] | None = Field(
        None,
        description="models of several channels (input_channels C > 1): the C channels each example reads, in order "
        "(None: channels 0 to C-1); docs/channels.md",
    )
    reader: str = Field("auto", description="audio reader plugin ('auto': by file ending)")
    reader_params: dict[str, Any] | None = Field(None, description="parameters of the audio reader")
    video_finder: str = Field("same-name", description="video models: the video finder plugin that finds each recording's movie (hark.video)")
    video_finder_params: dict[str, Any] | None = Field(None, description="video models: parameters of the video finder")
    video_reader: str = Field("pyav", description="video models: the video reader plugin that decodes the movies")
    video_reader_params: dict[str, Any] | None = Field(None, description="video models: parameters of the video reader")

    @field_validator("labels", "kinds", "validation_recordings", "test_recordings", "annotators", "channels", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        return _comma_list(value)

    @model_validator(mode="before")
    @classmethod
    def _default_augmentations(cls, values: Any) -> Any:
        # resolved before validation, so a model's stored settings say what it trained with
        if isinstance(values, dict) and values.get("augmentations") is None:
            name = values.get("supervision", cls.model_fields["supervision"].default)
            if isinstance(name, str) and name in _supervisions():
                values = {**values, "augmentations": [copy.deepcopy(n) if isinstance(n, dict) else {"name": n} for n in _supervisions().get(name).default_augmentations]}
        return values

    @field_validator("augmentations", mode="before")
    @classmethod
    def _names_as_specs(cls, value: Any) -> Any:
        value = _comma_list(value)
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("labels")
    @classmethod
    def _check_labels(cls, labels: list[str]) -> list[str]:
        for label in labels:
            problem = label_problem(label)
            if problem:
                raise ValueError(problem)
        _refuse_repeats(labels, "label")
        return labels

    @field_validator("channels")
    @classmethod
    def _check_channels(cls, channels: list[int] | None) -> list[int] | None:
        if channels is not None:
            if not channels:
                raise ValueError("the list of channels is empty")
            _refuse_repeats(channels, "channel", quoted=False)
        return channels

    @field_validator("annotators")
    @classmethod
    def _check_annotators(cls, names: list[str]) -> list[str]:
        for name in names:
            if not re.fullmatch(r"[^/\\\s]+", name):
                raise ValueError(f"annotator {name!r} is not a name as -annotated-<who>.csv files carry it (no spaces or slashes)")
        _refuse_repeats(names, "annotator")
        return names

    @field_validator("supervision")
    @classmethod
    def _known_supervision(cls, name: str) -> str:
        if name not in _supervisions():
            raise ValueError(f"unknown supervision {name!r}; known: {', '.join(_supervisions().names())}")
        return name

    @model_validator(mode="after")
    def _check_combination(self) -> DataParams:
        _supervisions().get(self.supervision).check_params(self)
        if self.overlapped:
            for label in self.labels:
                if label.startswith(self.not_prefix):
                    raise ValueError(
                        f"label {label!r} starts with the negative prefix {self.not_prefix!r}; with overlapped classes "
                        f"list {label[len(self.not_prefix):]!r} and its {self.not_prefix}-annotations are used as its negatives"
                    )
        if self.folds:
            _check_folds(self)
        if self.validation_percent + self.test_percent > 100:
            raise ValueError(f"validation_percent {self.validation_percent} and test_percent {self.test_percent} add up to more than 100")
        return self


def _check_folds(params: DataParams) -> None:
    if abs(params.folds) < 2:
        raise ValueError(f"folds {params.folds}: give at least 2 folds (or at most -2), or 0 for no cross-validation")
    if params.validation_fold > abs(params.folds):
        raise ValueError(f"validation_fold {params.validation_fold} is beyond the {abs(params.folds)} folds")
    if params.validation_recordings:
        raise ValueError("folds and validation_recordings are two ways to choose the validation set; give one")
    if not _supervisions().get(params.supervision).labelled:
        raise ValueError(f"folds split labelled audio; {params.supervision} training has no labels to validate")


def _refuse_repeats(items: list, what: str, quoted: bool = True) -> None:
    """A ValueError naming the first (in sorted order) of ``items`` listed more than once."""
    repeated = sorted({item for item in items if items.count(item) > 1})
    if repeated:
        first = repr(repeated[0]) if quoted else str(repeated[0])
        raise ValueError(f"{what} {first} is listed twice")
