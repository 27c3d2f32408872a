"""Training data from a ground-truth folder: examples, splits, batches (see docs/training-data.md).

>>> data = TrainingData.from_folder("groundtruth/", DataParams(labels="mel-pulse,mel-sine,ambient"))
>>> data.check_batch_size(32)
>>> batch = data.training_batch(np.random.default_rng(0), 32, Window(context=256, stride=16))
>>> for batch in data.validation_batches(32, Window(context=256, stride=16)): ...

Everything is split before any window is cut: the split assigns annotations (sparse),
clips (clip) or stretches of recordings (dense) to training or validation, and windows are
then drawn only from their own side.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from hark.annotations.event import label_problem
from hark.annotations.selection import check_kinds
from hark.audio import open_recording
from hark.errors import HarkError
from hark.params import Params, validate_params
from hark.train import data_events
from hark.train.augment import augment, build_augmentations
from hark.train.data_clip import ClipSource, clip_examples
from hark.train.data_dense import DenseSource, dense_labels
from hark.train.data_dense_split import dense_annotation_counts, dense_regions
from hark.train.data_load import FolderContents, check_labels_present, read_audio, read_folder
from hark.train.data_types import Batch, ExampleRef, Window
from hark.train.data_unsupervised import unlabelled_data
from hark.train.data_targets import gaussian_targets
from hark.train.examples import Classes, Example, SparseSource, count_labels, sparse_examples
from hark.train.splits import assign_folds, held_out, held_out_for_test, resolve_validation_recordings

__all__ = ["Batch", "DataParams", "ExampleRef", "TrainingData", "Window", "split_examples"]

Supervision = Literal["sparse", "dense", "clip", "events", "unsupervised"]


def _comma_list(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class DataParams(Params):
    """What to train on and how to split it."""

    labels: list[str] = Field(
        [], description="labels to use (one output each); a comma-separated string is accepted; none for unsupervised supervision"
    )
    kinds: list[str] = Field(["annotated"], description="kinds of annotation to use (annotated, detected, ...)")
    supervision: Supervision = Field(
        "sparse",
        description="sparse: labelled points and ranges; dense: every sample of annotated recordings; clip: one label per file; "
        "events: each reviewed event's crop (a denoiser); unsupervised: windows of every recording, no labels (an autoencoder)",
    )
    overlapped: bool = Field(False, description="one sigmoid per label instead of a softmax; negatives come from '<not_prefix><label>' annotations")
    not_prefix: str = Field("not_", min_length=1, description="prefix of the labels of negative examples for overlapped classes")
    validation_percent: float = Field(
        20.0, ge=0, le=100, description="percent of annotations (sparse), clips (clip) or stretches (dense) held out for validation"
    )
    validation_recordings: list[str] | None = Field(
        None,
        description="recordings held out whole (names relative to the folder), or one text file of names or one subfolder; overrides validation_percent",
    )
    split_seed: int = Field(1, ge=0, description="seed of the validation split")
    folds: int = Field(
        0,
        description="k-fold cross-validation (sparse, clip, events): deal the annotations or clips into |folds| folds per label; "
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
    point_width_ms: float = Field(10.0, gt=0, description="dense: a point annotation labels this much audio around it (ms)")
    point_shape: Literal["box", "gaussian"] = Field(
        "box", description="dense: a point labels a box point_width_ms wide, or a Gaussian of sigma point_width_ms / 2 (soft targets)"
    )
    segment_gap_ms: float = Field(
        0.0, ge=0, description="dense: background kept between ranges that (nearly) touch, so neighbours stay separate (ms)"
    )
    dense_blocks: int = Field(10, ge=2, description="dense: blocks per recording when recordings are too few to hold whole ones out")
    rejected_label: str = Field("noise", description="events: the label that rejected events count as (accepted ones keep their own)")
    crop_ms: float = Field(100.0, gt=0, le=60_000, description="events: length of the audio the model sees of each event, centred on it (ms)")
    margin_ms: float = Field(5.0, ge=0, le=1000, description="events: audio kept on each side of an event, faded out; beyond it the crop is silent (ms)")
    augmentations: list[dict[str, Any]] = Field(
        [], description="training-only augmentations in order: [{'name': 'volume', 'params': {...}}, ...] (or names)"
    )
    channel: int = Field(0, ge=0, description="audio channel to read, numbered from 0")
    reader: str = Field("auto", description="audio reader plugin ('auto': by file ending)")
    reader_params: dict[str, Any] | None = Field(None, description="parameters of the audio reader")

    @field_validator("labels", "kinds", "validation_recordings", "test_recordings", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        return _comma_list(value)

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
        duplicates = sorted({label for label in labels if labels.count(label) > 1})
        if duplicates:
            raise ValueError(f"label {duplicates[0]!r} is listed twice")
        return labels

    @model_validator(mode="after")
    def _check_combination(self) -> DataParams:
        if not self.labels and self.supervision != "unsupervised":
            raise ValueError("labels: give at least one label")
        if self.supervision == "unsupervised" and (self.labels or self.overlapped or self.folds):
            raise ValueError("unsupervised supervision learns from unlabelled audio: give no labels, overlapped or folds")
        if self.overlapped:
            for label in self.labels:
                if label.startswith(self.not_prefix):
                    raise ValueError(
                        f"label {label!r} starts with the negative prefix {self.not_prefix!r}; with overlapped classes "
                        f"list {label[len(self.not_prefix):]!r} and its {self.not_prefix}-annotations are used as its negatives"
                    )
        if self.supervision == "dense" and self.overlapped:
            raise ValueError("dense supervision trains exclusive classes; overlapped classes work with sparse and clip supervision")
        if self.supervision == "events" and self.overlapped:
            raise ValueError("events supervision trains exclusive classes (a call or noise); overlapped classes work with sparse and clip supervision")
        if self.supervision == "events":
            problem = label_problem(self.rejected_label)
            if problem:
                raise ValueError(f"rejected_label: {problem}")
        if self.folds:
            _check_folds(self)
        if self.validation_percent + self.test_percent > 100:
            raise ValueError(f"validation_percent {self.validation_percent} and test_percent {self.test_percent} add up to more than 100")
        if self.supervision == "dense" and self.background_label in self.labels:
            raise ValueError(f"the background label {self.background_label!r} is implicit in dense supervision; do not list it")
        return self


def _check_folds(params: DataParams) -> None:
    if abs(params.folds) < 2:
        raise ValueError(f"folds {params.folds}: give at least 2 folds (or at most -2), or 0 for no cross-validation")
    if params.validation_fold > abs(params.folds):
        raise ValueError(f"validation_fold {params.validation_fold} is beyond the {abs(params.folds)} folds")
    if params.validation_recordings:
        raise ValueError("folds and validation_recordings are two ways to choose the validation set; give one")
    if params.supervision == "dense":
        raise ValueError("folds deal annotations (sparse) or clips (clip); with dense supervision hold out recordings (hark generalize)")


class TrainingData:
    """Examples of one ground-truth folder, split into training and validation, as batches."""

    def __init__(self, root: Path, params: DataParams, samplerate: int, output_names: list[str], source, split: dict):
        self.root = root
        self.params = params
        self.samplerate = samplerate
        self.output_names = output_names
        self.source = source
        self._split = split
        self._augmentations = build_augmentations(params.augmentations)

    @classmethod
    def from_folder(cls, root: str | Path, params: DataParams | dict) -> TrainingData:
        """Scan ``root``, read the annotations and audio, check them and split them."""
        if not isinstance(params, DataParams):
            params = validate_params(DataParams, params, "training data")
        build_augmentations(params.augmentations)  # unknown names fail before any audio is read
        root = Path(root)
        kinds = sorted(k.value for k in check_kinds(params.kinds))
        contents = read_folder(root, kinds)
        if not contents.annotations and params.supervision != "unsupervised":
            raise HarkError(f"{root}: no annotations of kinds {','.join(kinds)}")
        classes = Classes(tuple(params.labels), params.overlapped, params.not_prefix)
        if params.supervision not in ("events", "unsupervised"):  # there a rejected event counts as rejected_label: the builder checks
            check_labels_present(contents, classes.annotation_labels, kinds)
        validation_recordings = None
        if params.validation_recordings:
            validation_recordings = resolve_validation_recordings(params.validation_recordings, root, contents.recordings)
        test_recordings = None
        if params.test_recordings:
            test_recordings = resolve_validation_recordings(params.test_recordings, root, contents.recordings)
            both = sorted(set(test_recordings) & set(validation_recordings or ()))
            if both:
                raise HarkError(f"recording {both[0]} is held out for both validation and testing; name it in one of the two")
        builder = {"sparse": _sparse, "dense": _dense, "clip": _clip, "events": _events, "unsupervised": unlabelled_data}[params.supervision]
        return builder(cls, contents, params, classes, validation_recordings, test_recordings)

    # -- batches ---------------------------------------------------------------------------

    def training_batch(self, rng: np.random.Generator, batch_size: int, window: Window | None) -> Batch:
        """A random training batch, augmented. ``window`` None or of length 0 (clip supervision only): the longest clip."""
        self._check_window(window)
        batch = self.source.training_batch(rng, batch_size, window)
        if self._augmentations:
            batch.x, reversed_rows = augment(batch.x, self._augmentations, rng)
            if self.params.supervision == "dense" and reversed_rows.any():
                batch.y[reversed_rows] = batch.y[reversed_rows, ..., ::-1]
        return batch

    def validation_batches(self, batch_size: int, window: Window | None) -> Iterator[Batch]:
        """The whole validation set once, in a fixed order, never augmented."""
        self._check_window(window)
        return self.source.validation_batches(batch_size, window)

    def _check_window(self, window: Window | None) -> None:
        if (window is None or window.length == 0) and self.params.supervision not in ("clip", "events"):
            raise HarkError(f"{self.params.supervision} supervision needs a window of at least one sample")

    @property
    def clip_length(self) -> int | None:
        """Clip supervision: samples in the longest clip (the default window)."""
        return self.source.longest if self.params.supervision == "clip" else None

    def check_batch_size(self, batch_size: int, window: Window | None = None) -> None:
        """A one-line HarkError when there are fewer training examples than one mini-batch holds."""
        if batch_size < 1:
            raise HarkError(f"the mini-batch size must be positive, not {batch_size}")
        if self.params.supervision == "dense":
            if self.source.n_training == 0:
                raise HarkError(f"no training audio in {self.root}: everything is held out for validation")
            if window is not None:
                self.source.check_window(window)
            return
        n = self.source.n_training
        if n < batch_size:
            raise HarkError(
                f"only {n} training examples of {','.join(self.params.labels)} in {self.root}, fewer than the "
                f"mini-batch of {batch_size}; lower the batch size or annotate more"
            )

    # -- reports ---------------------------------------------------------------------------

    def summary(self) -> dict:
        """Counts per label and split, and the recordings on each side."""
        summary = {
            "supervision": self.params.supervision,
            "samplerate": self.samplerate,
            "outputs": list(self.output_names),
            "split": self._split["method"],
            "recordings": {
                "training": self._split["training_recordings"],
                "validation": self._split["validation_recordings"],
                "test": self._split["test_recordings"],
            },
        }
        if self.params.supervision == "dense":
            summary["annotations"] = self._split["annotation_counts"]
            summary["seconds"] = self.source.seconds(self.samplerate)
        else:
            summary["examples"] = {**self.source.counts(), "test": count_labels(self._split["test_examples"])}
        return summary

    def split_manifest(self) -> dict:
        """A JSON-serialisable record of what went to training, to validation and to testing."""
        p = self.params
        manifest = {
            "root": str(self.root),
            "supervision": p.supervision,
            "labels": list(p.labels),
            "kinds": list(p.kinds),
            "overlapped": p.overlapped,
            "method": self._split["method"],
            "validation_percent": p.validation_percent,
            "validation_recordings": self._split["validation_recordings"] if p.validation_recordings else None,
            "split_seed": p.split_seed,
            "folds": p.folds or None,
            "validation_fold": p.validation_fold if p.folds else None,
            "test_percent": p.test_percent,
            "test_recordings": self._split["test_recordings"] if p.test_recordings else None,
            **self.source.manifest(),
        }
        if "test" not in manifest:
            manifest["test"] = [e.as_dict() for e in self._split["test_examples"]]
        return manifest


def split_examples(root: str | Path, params: DataParams) -> dict[str, list[Example]]:
    """The training, validation and test examples (sparse, clip or events) as training would
    split them, read from the annotations and the recordings' headers only, without their audio.

    Planning cross-validation folds checks each fold's labels with this before any training.
    """
    if params.supervision not in ("sparse", "clip", "events"):
        raise HarkError(f"{params.supervision} supervision does not split labelled examples")
    root = Path(root)
    kinds = sorted(k.value for k in check_kinds(params.kinds))
    contents = read_folder(root, kinds)
    if not contents.annotations:
        raise HarkError(f"{root}: no annotations of kinds {','.join(kinds)}")
    classes = Classes(tuple(params.labels), params.overlapped, params.not_prefix)
    if params.supervision != "events":
        check_labels_present(contents, classes.annotation_labels, kinds)
    validation_recordings = test_recordings = None
    if params.validation_recordings:
        validation_recordings = resolve_validation_recordings(params.validation_recordings, root, contents.recordings)
    if params.test_recordings:
        test_recordings = resolve_validation_recordings(params.test_recordings, root, contents.recordings)
    if params.supervision == "events":
        used = sorted({a.event.recording for a in contents.annotations})
        _, recordings = data_events.open_recordings(root, used, params.channel, params.reader, params.reader_params)
        frames_of = {name: recording.frames for name, recording in recordings.items()}
        examples, key = data_events.event_examples(contents.annotations, classes, params.rejected_label, frames_of), Example.key
    else:
        frames_of = {
            name: open_recording(root / name, channel=params.channel, reader=params.reader, reader_params=params.reader_params).frames
            for name in _used_recordings(contents, classes)
        }
        if params.supervision == "clip":
            examples, key = clip_examples(contents.annotations, classes, frames_of)[0], lambda e: ("clip", e.recording)
        else:
            examples, key = sparse_examples(contents.annotations, classes, frames_of), Example.key
    training, validation, test, _ = _split_items(examples, key, params, validation_recordings, test_recordings)
    return {"training": training, "validation": validation, "test": test}


# -- one builder per supervision -------------------------------------------------------------


def _split_items(items: list[Example], key, params: DataParams, validation_recordings: list[str] | None, test_recordings=None):
    """Examples into (training, validation, test, method), by whole recordings or by a seeded percent.

    The test set is taken first: whole ``test_recordings``, or the items whose seeded hash lies
    in the ``test_percent`` range just above the validation range (so the two never meet).
    """
    seed, percent = params.split_seed, params.validation_percent
    held = set(validation_recordings or ())
    tested = set(test_recordings or ())

    def is_test(e: Example) -> bool:
        if test_recordings is not None:
            return e.recording in tested
        return params.test_percent > 0 and held_out_for_test(seed, percent, params.test_percent, *key(e))

    def side(e: Example) -> str:
        if validation_recordings is not None:
            return "validation" if e.recording in held else "training"
        return "validation" if held_out(seed, percent, *key(e)) else "training"

    sides = ["test" if is_test(e) else "" for e in items]
    if params.folds:
        # dealt among what testing leaves, so each fold holds its share of every label
        free = [i for i, s in enumerate(sides) if not s]
        folds = assign_folds(seed, abs(params.folds), [key(items[i]) for i in free], [items[i].label for i in free])
        for i, fold in zip(free, folds):
            sides[i] = "validation" if (fold == params.validation_fold) == (params.folds > 0) else "training"
    else:
        sides = [s or side(e) for e, s in zip(items, sides)]
    method = "recordings" if validation_recordings is not None else "folds" if params.folds else "percent"
    training = [e for e, s in zip(items, sides) if s == "training"]
    validation = [e for e, s in zip(items, sides) if s == "validation"]
    test = [e for e, s in zip(items, sides) if s == "test"]
    # A label seen only in validation would never be learnt; say so now rather than after training.
    # (With nothing in training at all, check_batch_size says so.)
    trained = {e.label for e in training}
    for label in sorted({e.label for e in validation} - trained if training else ()):
        held = sum(e.label == label for e in validation)
        raise HarkError(
            f"label {label!r} has no training examples: all {held} are held out for validation; "
            "annotate more, or change validation_percent, split_seed, folds or validation_recordings"
        )
    return training, validation, test, method


def _recordings_split(method: str, training: list[Example], validation: list[Example], test: list[Example]) -> dict:
    return {
        "method": method,
        "training_recordings": sorted({e.recording for e in training}),
        "validation_recordings": sorted({e.recording for e in validation}),
        "test_recordings": sorted({e.recording for e in test}),
        "test_examples": test,
    }


def _used_recordings(contents: FolderContents, classes: Classes) -> list[str]:
    wanted = set(classes.annotation_labels)
    return sorted({a.event.recording for a in contents.annotations if a.event.label in wanted})


def _sparse(cls, contents: FolderContents, params: DataParams, classes: Classes, validation_recordings, test_recordings):
    samplerate, audio = read_audio(contents.root, _used_recordings(contents, classes), params.channel, params.reader, params.reader_params)
    examples = sparse_examples(contents.annotations, classes, {name: len(x) for name, x in audio.items()})
    training, validation, test, method = _split_items(examples, Example.key, params, validation_recordings, test_recordings)
    source = SparseSource(training, validation, audio, classes, params.equalize)
    return cls(contents.root, params, samplerate, list(classes.labels), source, _recordings_split(method, training, validation, test))


def _events(cls, contents: FolderContents, params: DataParams, classes: Classes, validation_recordings, test_recordings):
    """Events supervision: see :mod:`hark.train.data_events` (only the events' samples are read)."""
    kinds = sorted(k.value for k in check_kinds(params.kinds))
    used = sorted({a.event.recording for a in contents.annotations})
    samplerate, recordings = data_events.open_recordings(contents.root, used, params.channel, params.reader, params.reader_params)
    frames_of = {name: recording.frames for name, recording in recordings.items()}
    examples = data_events.event_examples(contents.annotations, classes, params.rejected_label, frames_of)
    data_events.check_examples_cover_labels(examples, classes, contents.root, kinds, params.rejected_label)
    training, validation, test, method = _split_items(examples, Example.key, params, validation_recordings, test_recordings)
    cropper = data_events.EventCropper.from_ms(params.crop_ms, params.margin_ms, samplerate)
    regions = data_events.read_regions([*training, *validation], recordings, cropper)
    source = data_events.EventSource(training, validation, regions, cropper, params.equalize)
    return cls(contents.root, params, samplerate, list(classes.labels), source, _recordings_split(method, training, validation, test))


def _clip(cls, contents: FolderContents, params: DataParams, classes: Classes, validation_recordings, test_recordings):
    samplerate, audio = read_audio(contents.root, _used_recordings(contents, classes), params.channel, params.reader, params.reader_params)
    examples, targets = clip_examples(contents.annotations, classes, {name: len(x) for name, x in audio.items()})
    # Keyed by the clip alone, so that all labels of one clip go the same way.
    training, validation, test, method = _split_items(
        examples, lambda e: ("clip", e.recording), params, validation_recordings, test_recordings
    )
    source = ClipSource(training, validation, targets, audio, classes, params.equalize)
    return cls(contents.root, params, samplerate, list(classes.labels), source, _recordings_split(method, training, validation, test))


def _dense(cls, contents: FolderContents, params: DataParams, classes: Classes, validation_recordings, test_recordings):
    stretches = list(contents.annotated)
    samplerate, audio = read_audio(contents.root, stretches, params.channel, params.reader, params.reader_params)
    wanted = set(classes.labels)
    by_recording: dict[str, list] = {name: [] for name in stretches}
    for annotation in contents.annotations:
        if annotation.event.label in wanted and annotation.event.recording in by_recording:
            by_recording[annotation.event.recording].append(annotation)
    gap = int(round(params.segment_gap_ms / 1000 * samplerate))
    soft_of = None
    if params.point_shape == "gaussian":
        sigma = params.point_width_ms / 2 / 1000 * samplerate
        soft_of = {name: gaussian_targets(by_recording[name], len(audio[name]), classes.labels, sigma, gap) for name in stretches}
        classes_of = {name: soft.argmax(axis=0).astype(np.int16) for name, soft in soft_of.items()}
    else:
        half_width = int(round(params.point_width_ms / 1000 * samplerate / 2))
        classes_of = {name: dense_labels(by_recording[name], len(audio[name]), classes.labels, half_width, gap) for name in stretches}

    lengths = {name: len(audio[name]) for name in stretches}
    method, guarded, regions, test_regions = dense_regions(stretches, lengths, params, validation_recordings, test_recordings)
    output_names = [params.background_label, *classes.labels]
    source = DenseSource(classes_of, audio, regions, guarded, output_names, params.equalize, test_regions, soft_of)
    split = {
        "method": method,
        "training_recordings": sorted({name for name, _, _ in source.training_regions()}),
        "validation_recordings": sorted(name for name, rs in regions.items() if rs),
        "test_recordings": sorted(name for name, rs in test_regions.items() if rs),
        "annotation_counts": dense_annotation_counts(by_recording, regions, test_regions),
    }
    return cls(contents.root, params, samplerate, output_names, source, split)
